// "slots" module: every replication slot of the node and every slot the
// config expects. pg_replication_slots is readable by any role;
// safe_wal_size exists since PostgreSQL 13.
//
// Retained WAL is measured from the node's own position (current LSN on a
// primary, replay LSN on a standby).
#include <map>

#include "checks/check.h"
#include "checks/lsn.h"
#include "checks/pg_facts.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

class SlotsCheck : public Check {
 public:

  void collect(CheckContext& ctx, SampleSink& out) override {
    bool standby = in_recovery(ctx);
    PgResult r = ctx.query("SELECT " + own_lsn_sql(standby) +
                           " AS own_lsn, slot_name, slot_type, active, restart_lsn, safe_wal_size "
                           "FROM pg_replication_slots ORDER BY slot_name");
    std::map<std::string, std::string> types;  // slot -> type
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string& slot = r.text(i, "slot_name");
      const std::string& type = r.text(i, "slot_type");
      types[slot] = type;
      out.add("pgwarden_slot_active", {{"slot", slot}, {"slot_type", type}},
              r.number(i, "active").value_or(0));
      auto own = parse_lsn(r.text(i, "own_lsn"));
      auto restart = parse_lsn(r.text(i, "restart_lsn"));
      if (own && restart)
        out.add("pgwarden_slot_retained_bytes", {{"slot", slot}}, lsn_diff_bytes(*own, *restart));
      if (auto safe = r.number(i, "safe_wal_size"))
        out.add("pgwarden_slot_safe_wal_size_bytes", {{"slot", slot}}, *safe);
    }
    if (!ctx.node) return;
    for (const auto& slot : ctx.node->expected_slots) {
      auto it = types.find(slot);
      out.add("pgwarden_slot_present", {{"slot", slot}, {"slot_type", it == types.end() ? "physical" : it->second}},
              it == types.end() ? 0 : 1);
    }
  }
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_slot_present", MetricType::Gauge,
     "1 when a configured replication slot exists."},
    {"pgwarden_slot_active", MetricType::Gauge,
     "1 when the replication slot is in use."},
    {"pgwarden_slot_retained_bytes", MetricType::Gauge,
     "WAL bytes the replication slot holds back."},
    {"pgwarden_slot_safe_wal_size_bytes", MetricType::Gauge,
     "Bytes that can still be written before the slot is in danger of losing WAL."},
});

PGW_REGISTER_CHECK("slots", SlotsCheck);

}  // namespace
}  // namespace pgw
