// "failover_facts" module: what the failover verdict (failover_readiness)
// needs and no other module measures.
//
// On every node: wal_log_hints and data_checksums (pg_rewind needs one of
// them to bring an old primary back as a standby) and whether
// synchronous_standby_names is set. On a primary with track_commit_timestamp
// on: the time of its newest commit (pg_last_committed_xact() raises an
// error when the setting is off, so it is only called when it is on; NULL
// before the first commit is simply not exported). On a standby: the WAL
// position it has received and flushed (pg_last_wal_receive_lsn(), which
// keeps its value when the receiver stops), the commit time of the last
// transaction it replayed, and who it is to its primary: the
// application_name it connects with and its slot, so the verdict can find
// its pg_stat_replication row and slot on the primary.
//
// primary_conninfo may hold a password: only its application_name is parsed
// out (with libpq's own parser) and nothing else of it leaves this file.
// pg_settings hides it from roles without pg_read_all_settings (pg_monitor
// has it); then cluster_name, then "walreceiver" -- the names the WAL
// receiver itself falls back to -- are used.
#include <libpq-fe.h>

#include "checks/check.h"
#include "checks/lsn.h"
#include "checks/pg_facts.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

PGW_DESCRIBE_METRICS({
    {"pgwarden_pg_wal_log_hints", MetricType::Gauge, "1 when wal_log_hints is on."},
    {"pgwarden_pg_data_checksums", MetricType::Gauge, "1 when the cluster was initialised with data checksums."},
    {"pgwarden_pg_synchronous_standby_names_configured", MetricType::Gauge,
     "1 when synchronous_standby_names is not empty."},
    {"pgwarden_pg_last_commit_timestamp_seconds", MetricType::Gauge,
     "Primary: commit time of its newest transaction (needs track_commit_timestamp = on)."},
    {"pgwarden_standby_received_lsn_bytes", MetricType::Gauge,
     "Standby: WAL position received and flushed to its disk (pg_last_wal_receive_lsn())."},
    {"pgwarden_standby_last_replay_timestamp_seconds", MetricType::Gauge,
     "Standby: commit time of the last transaction it replayed (pg_last_xact_replay_timestamp())."},
    {"pgwarden_standby_upstream_info", MetricType::Gauge,
     "Standby: always 1; application_name and slot it streams with from its primary."},
});

// application_name of a libpq conninfo string, or "" when unset/unparsable.
std::string conninfo_application_name(const std::string& conninfo) {
  if (conninfo.empty()) return "";
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (err) PQfreemem(err);  // may quote the string: never shown
  if (!opts) return "";
  std::string name;
  for (PQconninfoOption* o = opts; o->keyword; ++o)
    if (std::string_view(o->keyword) == "application_name" && o->val) name = o->val;
  PQconninfoFree(opts);
  return name;
}

class FailoverFactsCheck : public Check {
 public:

  void collect(CheckContext& ctx, SampleSink& out) override {
    bool standby = in_recovery(ctx);
    PgResult s = ctx.query(
        "SELECT current_setting('wal_log_hints') = 'on' AS wal_log_hints, "
        "current_setting('data_checksums') = 'on' AS data_checksums, "
        "current_setting('synchronous_standby_names') <> '' AS sync_names, "
        "current_setting('track_commit_timestamp') = 'on' AS track_commit_timestamp");
    if (s.empty()) return;
    out.add("pgwarden_pg_wal_log_hints", {}, s.number(0, "wal_log_hints").value_or(0));
    out.add("pgwarden_pg_data_checksums", {}, s.number(0, "data_checksums").value_or(0));
    out.add("pgwarden_pg_synchronous_standby_names_configured", {}, s.number(0, "sync_names").value_or(0));

    if (!standby) {
      if (s.number(0, "track_commit_timestamp").value_or(0) == 0) return;
      PgResult c = ctx.query("SELECT EXTRACT(EPOCH FROM timestamp) AS ts FROM pg_last_committed_xact()");
      if (!c.empty())
        if (auto ts = c.number(0, "ts")) out.add("pgwarden_pg_last_commit_timestamp_seconds", {}, *ts);
      return;
    }

    PgResult r = ctx.query(
        "SELECT pg_last_wal_receive_lsn() AS receive_lsn, "
        "EXTRACT(EPOCH FROM pg_last_xact_replay_timestamp()) AS replay_ts, "
        "current_setting('primary_slot_name', true) AS slot, "
        "(SELECT setting FROM pg_settings WHERE name = 'primary_conninfo') AS conninfo, "
        "current_setting('cluster_name') AS cluster_name");
    if (r.empty()) return;
    if (auto lsn = parse_lsn(r.text(0, "receive_lsn")))
      out.add("pgwarden_standby_received_lsn_bytes", {}, static_cast<double>(*lsn));
    if (auto ts = r.number(0, "replay_ts")) out.add("pgwarden_standby_last_replay_timestamp_seconds", {}, *ts);
    std::string app = conninfo_application_name(r.text(0, "conninfo"));
    if (app.empty()) app = r.text(0, "cluster_name");
    if (app.empty()) app = "walreceiver";
    out.add("pgwarden_standby_upstream_info", {{"application_name", app}, {"slot", r.text(0, "slot")}}, 1);
  }
};

PGW_REGISTER_CHECK("failover_facts", FailoverFactsCheck);

}  // namespace
}  // namespace pgw
