// "recovery" module: the node's role, timeline and WAL position.
//
// Timeline source: on a primary, the timeline encoded in the current WAL file
// name (pg_walfile_name(pg_current_wal_lsn())), which changes the moment a
// promotion ends, whereas pg_control_checkpoint() keeps the old timeline
// until the next checkpoint. On a standby pg_walfile_name() is not allowed;
// the WAL receiver's received_tli is used while it streams, else the last
// restartpoint's timeline. pg_control_checkpoint() and pg_stat_wal_receiver
// need pg_monitor (pg_read_all_stats / the explicit grant to pg_monitor).
//
// pg_timeline_changed_timestamp_seconds is 0 until pgwarden sees the
// timeline change while watching (alerts use time() - value < window, so the
// first sight must not look like a recent change); afterwards it is the Unix
// time of the round that noticed the change.
#include <stdexcept>

#include "checks/check.h"
#include "checks/lsn.h"
#include "checks/pg_facts.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

constexpr const char* kPrimarySql =
    "SELECT pg_current_wal_lsn() AS lsn, "
    "('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint AS timeline";
constexpr const char* kStandbySql =
    "SELECT pg_last_wal_replay_lsn() AS lsn, "
    "COALESCE((SELECT received_tli FROM pg_stat_wal_receiver WHERE received_tli > 0), "
    "(SELECT timeline_id FROM pg_control_checkpoint())) AS timeline";

class RecoveryCheck : public Check {
 public:

  void collect(CheckContext& ctx, SampleSink& out) override {
    bool standby = in_recovery(ctx);
    PgResult r = ctx.query(standby ? kStandbySql : kPrimarySql);
    if (r.empty()) throw std::runtime_error("recovery: empty result");
    auto timeline = r.number(0, "timeline");

    out.add("pgwarden_pg_in_recovery", {}, standby ? 1 : 0);
    out.add("pgwarden_pg_expected_primary", {},
            ctx.node && ctx.node->role == Role::Primary ? 1 : 0);
    if (timeline) {
      out.add("pgwarden_pg_timeline_id", {}, *timeline);
      out.add("pgwarden_pg_timeline_changed_timestamp_seconds", {},
              note_timeline(ctx, *timeline));
    }
    // NULL on a standby that has replayed nothing yet.
    if (auto lsn = parse_lsn(r.text(0, "lsn")))
      out.add("pgwarden_pg_wal_lsn_bytes", {}, static_cast<double>(*lsn));
  }

 private:
  // Remembers the timeline; returns when it last changed (0 = never seen).
  static double note_timeline(CheckContext& ctx, double timeline) {
    if (!ctx.memory) return 0;
    auto& mem = *ctx.memory;
    auto seen = mem.find("timeline");
    if (seen != mem.end() && seen->second != timeline)
      mem["timeline_changed_at"] = ctx.now_seconds();
    mem["timeline"] = timeline;
    auto changed = mem.find("timeline_changed_at");
    return changed == mem.end() ? 0 : changed->second;
  }
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_pg_in_recovery", MetricType::Gauge,
     "1 when the node is a standby (in recovery), 0 on a primary."},
    {"pgwarden_pg_expected_primary", MetricType::Gauge,
     "1 when the configuration says the node is a primary."},
    {"pgwarden_pg_timeline_id", MetricType::Gauge,
     "Current timeline of the node."},
    {"pgwarden_pg_timeline_changed_timestamp_seconds", MetricType::Gauge,
     "When pgwarden last saw the node's timeline change (Unix time)."},
    {"pgwarden_pg_wal_lsn_bytes", MetricType::Gauge,
     "Current WAL LSN (primary) or replay LSN (standby) in bytes."},
});

PGW_REGISTER_CHECK("recovery", RecoveryCheck);

}  // namespace
}  // namespace pgw
