// "replication" module, primary side: one set of series per WAL sender in
// pg_stat_replication (all columns need pg_monitor / pg_read_all_stats), plus
// whether each configured standby is connected at all.
//
// Byte lag of each stage is measured from this node's own position: the
// current LSN on a primary, the replay LSN on a cascading standby.
// Time lag: PostgreSQL sets write/flush/replay_lag to NULL once a standby
// has caught up and the primary is idle, so NULL is exported as 0. While
// replay is paused the time lag stays small; the byte lag is what grows.
#include <set>
#include <stdexcept>

#include "checks/check.h"
#include "checks/lsn.h"
#include "checks/pg_facts.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

class ReplicationCheck : public Check {
 public:

  void collect(CheckContext& ctx, SampleSink& out) override {
    bool standby = in_recovery(ctx);
    PgResult r = ctx.query(
        "SELECT " + own_lsn_sql(standby) + " AS own_lsn, application_name, "
        "host(client_addr) AS client_addr, state, sync_state, "
        "sent_lsn, write_lsn, flush_lsn, replay_lsn, "
        "COALESCE(EXTRACT(EPOCH FROM write_lag), 0) AS write_lag, "
        "COALESCE(EXTRACT(EPOCH FROM flush_lag), 0) AS flush_lag, "
        "COALESCE(EXTRACT(EPOCH FROM replay_lag), 0) AS replay_lag, "
        "CASE WHEN reply_time IS NOT NULL THEN GREATEST(EXTRACT(EPOCH FROM now() - reply_time), 0) END AS reply_age "
        "FROM pg_stat_replication ORDER BY application_name, client_addr, pid");

    std::set<std::string> connected;
    std::set<std::pair<std::string, std::string>> seen;
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string& app = r.text(i, "application_name");
      const std::string& addr = r.text(i, "client_addr");
      connected.insert(app);
      // Two senders with the same identity (e.g. a base backup next to the
      // stream) would make duplicate series: keep the first.
      if (!seen.emplace(app, addr).second) continue;
      auto own = parse_lsn(r.text(i, "own_lsn"));
      Labels id{{"application_name", app}, {"client_addr", addr}};
      auto with = [&](const char* stage) {
        Labels l = id;
        l.emplace_back("stage", stage);
        return l;
      };
      for (const char* stage : {"sent", "write", "flush", "replay"}) {
        auto pos = parse_lsn(r.text(i, std::string(stage) + "_lsn"));
        if (own && pos) out.add("pgwarden_replication_lag_bytes", with(stage), lsn_diff_bytes(*own, *pos));
      }
      for (const char* stage : {"write", "flush", "replay"})
        if (auto v = r.number(i, std::string(stage) + "_lag"))
          out.add("pgwarden_replication_lag_seconds", with(stage), *v);
      out.add("pgwarden_replication_streaming", id, r.text(i, "state") == "streaming" ? 1 : 0);
      const std::string& sync = r.text(i, "sync_state");
      out.add("pgwarden_replication_sync", id, sync == "sync" || sync == "quorum" ? 1 : 0);
      if (auto age = r.number(i, "reply_age")) out.add("pgwarden_replication_reply_age_seconds", id, *age);
    }

    if (ctx.node)
      for (const auto& name : ctx.node->expected_standbys)
        out.add("pgwarden_replication_expected_standby_connected", {{"application_name", name}},
                connected.count(name) ? 1 : 0);
  }
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_replication_lag_bytes", MetricType::Gauge,
     "Bytes between the primary's current LSN and the standby's position at each stage."},
    {"pgwarden_replication_lag_seconds", MetricType::Gauge,
     "Replication lag reported by pg_stat_replication for each stage."},
    {"pgwarden_replication_streaming", MetricType::Gauge,
     "1 when the WAL sender to the standby is in state streaming."},
    {"pgwarden_replication_sync", MetricType::Gauge,
     "1 when the standby's sync_state is sync or quorum."},
    {"pgwarden_replication_reply_age_seconds", MetricType::Gauge,
     "Seconds since the standby last replied to the primary."},
    {"pgwarden_replication_expected_standby_connected", MetricType::Gauge,
     "1 when a configured standby is connected to this node, else 0."},
});

PGW_REGISTER_CHECK("replication", ReplicationCheck);

}  // namespace
}  // namespace pgw
