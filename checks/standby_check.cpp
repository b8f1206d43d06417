// "standby" module: the standby's own view of replication. On a primary it
// emits nothing and succeeds. pg_stat_wal_receiver needs pg_monitor.
//
// With no WAL receiver at all (primary unreachable, restore_command only)
// standby_last_msg_age_seconds is omitted and standby_wal_receiver_streaming
// is 0: alert on the latter rather than on a made-up age.
#include "checks/check.h"
#include "checks/lsn.h"
#include "checks/pg_facts.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

class StandbyCheck : public Check {
 public:

  void collect(CheckContext& ctx, SampleSink& out) override {
    if (!in_recovery(ctx)) return;
    int version = ctx.pg ? ctx.pg->server_version() : 0;
    // pg_get_wal_replay_pause_state() (14+) also reports a requested pause
    // that has not taken effect yet.
    std::string paused = version >= 140000 ? "pg_get_wal_replay_pause_state() <> 'not paused'"
                                           : "pg_is_wal_replay_paused()";
    PgResult r = ctx.query(
        "SELECT pg_last_wal_receive_lsn() AS receive_lsn, pg_last_wal_replay_lsn() AS replay_lsn, "
        "CASE WHEN pg_last_xact_replay_timestamp() IS NOT NULL THEN GREATEST(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END AS replay_age, "
        "COALESCE((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false) AS streaming, "
        "(SELECT CASE WHEN last_msg_receipt_time IS NOT NULL THEN GREATEST(EXTRACT(EPOCH FROM now() - last_msg_receipt_time), 0) END "
        " FROM pg_stat_wal_receiver) AS last_msg_age, " +
        paused + " AS paused");
    if (r.empty()) return;

    auto receive = parse_lsn(r.text(0, "receive_lsn"));
    auto replay = parse_lsn(r.text(0, "replay_lsn"));
    if (receive && replay)
      out.add("pgwarden_standby_receive_replay_lag_bytes", {}, lsn_diff_bytes(*receive, *replay));
    out.add("pgwarden_standby_wal_receiver_streaming", {}, r.number(0, "streaming").value_or(0));
    if (auto age = r.number(0, "last_msg_age")) out.add("pgwarden_standby_last_msg_age_seconds", {}, *age);
    if (auto age = r.number(0, "replay_age")) out.add("pgwarden_standby_replay_age_seconds", {}, *age);
    out.add("pgwarden_standby_replay_paused", {}, r.number(0, "paused").value_or(0));
  }
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_standby_receive_replay_lag_bytes", MetricType::Gauge,
     "Bytes received by the standby but not yet replayed."},
    {"pgwarden_standby_wal_receiver_streaming", MetricType::Gauge,
     "1 when the standby's WAL receiver is streaming."},
    {"pgwarden_standby_last_msg_age_seconds", MetricType::Gauge,
     "Seconds since the standby last received a message from the primary."},
    {"pgwarden_standby_replay_age_seconds", MetricType::Gauge,
     "Seconds since the last replayed transaction's commit time (grows on an idle primary)."},
    {"pgwarden_standby_replay_paused", MetricType::Gauge,
     "1 when WAL replay is paused on the standby."},
});

PGW_REGISTER_CHECK("standby", StandbyCheck);

}  // namespace
}  // namespace pgw
