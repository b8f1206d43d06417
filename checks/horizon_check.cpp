// "horizon" module: what holds vacuum back. The age of the oldest open
// transaction by state (active, idle in transaction, prepared), the age of
// the oldest xmin by holder (client backends, walsenders carrying a
// standby's hot_standby_feedback, replication slots, prepared transactions),
// and each database's distance to transaction ID / multixact wraparound.
// Needs pg_monitor (pg_read_all_stats) to see other roles' backends.
//
// Every state and holder is reported, 0 when nothing holds it, so an alert
// resolves when the holder goes away and a dashboard always has data.
#include "checks/check.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

PGW_DESCRIBE_METRICS({
    {"pgwarden_pg_oldest_transaction_age_seconds", MetricType::Gauge,
     "Age of the oldest open transaction by state (active, idle_in_transaction, prepared); 0 when none."},
    {"pgwarden_pg_xmin_horizon_age_xids", MetricType::Gauge,
     "Age in transactions of the oldest xmin by holder (backend, replication, slot, prepared); 0 when none."},
    {"pgwarden_pg_database_xid_age_xids", MetricType::Gauge,
     "age(datfrozenxid): transactions since the database was last frozen (wraparound at 2^31)."},
    {"pgwarden_pg_database_mxid_age_xids", MetricType::Gauge,
     "mxid_age(datminmxid): multixacts since the database was last frozen."},
});

// One row per (what, label, value). The state/holder lists are fixed so that
// absent ones read 0.
constexpr const char* kHorizonSql =
    "SELECT 'state' AS what, s.label, COALESCE(("
    "  SELECT max(GREATEST(EXTRACT(EPOCH FROM now() - xact_start), 0)) FROM pg_stat_activity"
    "  WHERE xact_start IS NOT NULL AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
    "    AND CASE s.label WHEN 'active' THEN state = 'active'"
    "                     ELSE state LIKE 'idle in transaction%' END), 0) AS value "
    "FROM (VALUES ('active'), ('idle_in_transaction')) s(label) "
    "UNION ALL SELECT 'state', 'prepared', COALESCE(("
    "  SELECT max(GREATEST(EXTRACT(EPOCH FROM now() - prepared), 0)) FROM pg_prepared_xacts), 0) "
    "UNION ALL SELECT 'holder', 'backend', COALESCE(("
    "  SELECT max(GREATEST(age(backend_xmin), age(backend_xid))) FROM pg_stat_activity"
    "  WHERE backend_type <> 'walsender' AND pid <> pg_backend_pid()"
    "    AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)), 0) "
    "UNION ALL SELECT 'holder', 'replication', COALESCE(("
    "  SELECT max(age(backend_xmin)) FROM pg_stat_replication), 0) "
    "UNION ALL SELECT 'holder', 'slot', COALESCE(("
    "  SELECT max(GREATEST(age(xmin), age(catalog_xmin))) FROM pg_replication_slots), 0) "
    "UNION ALL SELECT 'holder', 'prepared', COALESCE(("
    "  SELECT max(age(transaction)) FROM pg_prepared_xacts), 0) "
    "UNION ALL SELECT 'xid', datname, age(datfrozenxid) FROM pg_database WHERE datallowconn "
    "UNION ALL SELECT 'mxid', datname, mxid_age(datminmxid) FROM pg_database WHERE datallowconn";

class HorizonCheck : public Check {
 public:
  // Transaction and xid ages that matter are minutes to days old, and the
  // query reads pg_stat_activity, pg_prepared_xacts, pg_replication_slots
  // and every database's age: every 30 s, not every round (at a 0.2 s
  // interval it doubled the backend CPU pgwarden costs). [checks.horizon]
  // interval overrides it.
  std::optional<Duration> interval() const override { return Duration(30'000); }

  void collect(CheckContext& ctx, SampleSink& out) override {
    PgResult r = ctx.query(kHorizonSql);
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string& what = r.text(i, "what");
      const std::string& label = r.text(i, "label");
      double v = r.number(i, "value").value_or(0);
      if (what == "state") out.add("pgwarden_pg_oldest_transaction_age_seconds", {{"state", label}}, v);
      else if (what == "holder") out.add("pgwarden_pg_xmin_horizon_age_xids", {{"holder", label}}, v);
      else if (what == "xid") out.add("pgwarden_pg_database_xid_age_xids", {{"datname", label}}, v);
      else if (what == "mxid") out.add("pgwarden_pg_database_mxid_age_xids", {{"datname", label}}, v);
    }
  }
};

PGW_REGISTER_CHECK("horizon", HorizonCheck);

}  // namespace
}  // namespace pgw
