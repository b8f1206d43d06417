// "patroni" node check: the node's Patroni REST API (GET /patroni).
//
// Patroni answering at all is the measurement pgwarden_patroni_up: a refused
// connection, a timeout or a body that is not a Patroni status give 0 with
// check_success 1 (Patroni being down is a fact to alert on, not a failure of
// pgwarden). /patroni answers 503 when PostgreSQL is not running; that body
// is still a valid status, so Patroni counts as up and its role/state are
// exported.
//
// pgwarden_patroni_role{role} carries the role exactly as Patroni reports it:
// "master" in Patroni < 4, "primary" in 4.x, "replica", "standby_leader".
// It is not normalised so that dashboards can show what Patroni says; rules
// that need "is leader" should match role=~"master|primary|standby_leader"
// or use pgwarden_cluster_has_leader (module patroni_cluster).
#include <algorithm>
#include <stdexcept>

#include "checks/check.h"
#include "core/http_client.h"
#include "checks/patroni_response.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

constexpr size_t kStatusMaxBytes = 256 * 1024;

class PatroniCheck : public Check {
 public:
  bool applies_to(const NodeConfig& node) const override { return node.patroni.has_value(); }
  bool uses_postgres() const override { return false; }

  void collect(CheckContext& ctx, SampleSink& out) override {
    if (!ctx.node || !ctx.node->patroni) return;
    const PatroniConfig& cfg = *ctx.node->patroni;
    Deadline budget = Deadline::in(cfg.timeout).earlier(ctx.deadline);
    if (budget.expired()) throw std::runtime_error("patroni: no time left in this round's deadline");

    std::string url = cfg.url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    HttpResponse resp =
        http_get(url + "/patroni", Duration(std::max(1, budget.remaining_ms())), kStatusMaxBytes);
    // Any HTTP status with a Patroni body counts (503 = PostgreSQL down).
    PatroniStatus st;
    if (resp.status != 0 && resp.error.empty()) st = parse_patroni_status(resp.body);
    bool up = resp.status != 0 && resp.error.empty() && st.error.empty();
    out.add("pgwarden_patroni_up", {}, up ? 1 : 0);
    if (!up) return;

    if (!st.role.empty()) out.add("pgwarden_patroni_role", {{"role", st.role}}, 1);
    if (st.timeline) out.add("pgwarden_patroni_timeline", {}, static_cast<double>(*st.timeline));
    if (st.dcs_last_seen)
      out.add("pgwarden_patroni_dcs_last_seen_age_seconds", {},
              std::max(0.0, ctx.now_seconds() - *st.dcs_last_seen));
    out.add("pgwarden_patroni_pending_restart", {}, st.pending_restart ? 1 : 0);
  }
};

}  // namespace

PGW_DESCRIBE_METRICS({
    {"pgwarden_patroni_up", MetricType::Gauge,
     "1 when the Patroni REST API answered."},
    {"pgwarden_patroni_role", MetricType::Gauge,
     "1 for the role Patroni reports for the node."},
    {"pgwarden_patroni_timeline", MetricType::Gauge,
     "Timeline reported by Patroni."},
    {"pgwarden_patroni_dcs_last_seen_age_seconds", MetricType::Gauge,
     "Seconds since Patroni last reached its DCS."},
    {"pgwarden_patroni_pending_restart", MetricType::Gauge,
     "1 when Patroni reports a pending restart."},
});

PGW_REGISTER_CHECK("patroni", PatroniCheck);

}  // namespace pgw
