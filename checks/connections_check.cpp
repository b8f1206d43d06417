// "connections" module: client backends by state and max_connections.
// Without pg_monitor (pg_read_all_stats) other roles' sessions show a NULL
// state and are counted as "unknown".
#include <map>
#include <stdexcept>

#include "checks/check.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

class ConnectionsCheck : public Check {
 public:

  void collect(CheckContext& ctx, SampleSink& out) override {
    PgResult r = ctx.query(
        "SELECT COALESCE(state, 'unknown') AS state, count(*) AS n FROM pg_stat_activity "
        "WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 1");
    // These states always get a series, so "0 active" is visible as 0.
    std::map<std::string, double> by_state{{"active", 0}, {"idle", 0}, {"idle in transaction", 0}};
    for (size_t i = 0; i < r.size(); ++i) by_state[r.text(i, "state")] = r.number(i, "n").value_or(0);
    for (const auto& [state, n] : by_state) out.add("pgwarden_pg_connections", {{"state", state}}, n);

    PgResult m = ctx.query("SELECT current_setting('max_connections') AS max_connections");
    auto max = m.empty() ? std::nullopt : m.number(0, "max_connections");
    if (!max) throw std::runtime_error("connections: cannot read max_connections");
    out.add("pgwarden_pg_max_connections", {}, *max);
  }
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_pg_connections", MetricType::Gauge,
     "Client backends by state."},
    {"pgwarden_pg_max_connections", MetricType::Gauge,
     "The max_connections setting."},
});

PGW_REGISTER_CHECK("connections", ConnectionsCheck);

}  // namespace
}  // namespace pgw
