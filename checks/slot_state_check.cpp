// "slot_state" module: what PostgreSQL itself says about each replication
// slot beyond slots_check's presence and retained WAL: wal_status, whether
// the slot was invalidated (and why, 17+), since when it is inactive (17+),
// how far it holds back vacuum (xmin / catalog_xmin age) and how far a
// logical slot's consumer lags (confirmed_flush_lsn). pg_replication_slots
// is readable by any role.
#include "checks/catalog_sql.h"
#include "checks/check.h"
#include "checks/pg_facts.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

PGW_DESCRIBE_METRICS({
    {"pgwarden_slot_wal_status", MetricType::Gauge,
     "1 for the slot's current wal_status (reserved, extended, unreserved, lost)."},
    {"pgwarden_slot_invalidated", MetricType::Gauge,
     "1 when PostgreSQL invalidated the slot; reason from 17 on, \"unknown\" before."},
    {"pgwarden_slot_inactive_since_timestamp_seconds", MetricType::Gauge,
     "When the slot became inactive (PostgreSQL 17+)."},
    {"pgwarden_slot_xmin_age_xids", MetricType::Gauge,
     "Age in transactions of the slot's xmin or catalog_xmin (kind): how far it holds back vacuum."},
    {"pgwarden_slot_confirmed_flush_lag_bytes", MetricType::Gauge,
     "Logical slots: the node's LSN minus the consumer's confirmed_flush_lsn."},
});

class SlotStateCheck : public Check {
 public:
  void collect(CheckContext& ctx, SampleSink& out) override {
    PgResult r = ctx.query(slot_state_sql(server_version(ctx), in_recovery(ctx)));
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string& slot = r.text(i, "slot_name");
      const std::string& type = r.text(i, "slot_type");
      if (!r.is_null(i, "wal_status"))
        out.add("pgwarden_slot_wal_status", {{"slot", slot}, {"slot_type", type}, {"wal_status", r.text(i, "wal_status")}},
                1);
      bool invalidated = r.number(i, "invalidated").value_or(0) != 0;
      out.add("pgwarden_slot_invalidated",
              {{"slot", slot}, {"slot_type", type}, {"reason", invalidated ? r.text(i, "reason") : ""}},
              invalidated ? 1 : 0);
      if (auto since = r.number(i, "inactive_since"))
        out.add("pgwarden_slot_inactive_since_timestamp_seconds", {{"slot", slot}}, *since);
      if (auto age = r.number(i, "xmin_age"))
        out.add("pgwarden_slot_xmin_age_xids", {{"slot", slot}, {"kind", "xmin"}}, *age);
      if (auto age = r.number(i, "catalog_xmin_age"))
        out.add("pgwarden_slot_xmin_age_xids", {{"slot", slot}, {"kind", "catalog_xmin"}}, *age);
      if (auto lag = r.number(i, "confirmed_flush_lag"))
        out.add("pgwarden_slot_confirmed_flush_lag_bytes", {{"slot", slot}}, *lag);
    }
  }
};

PGW_REGISTER_CHECK("slot_state", SlotStateCheck);

}  // namespace
}  // namespace pgw
