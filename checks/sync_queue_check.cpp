// "sync_queue" module: on client nodes with `write_queue` set, how many rows
// of that table wait to be synced (synced = false) and how old the oldest of
// them is. The table must have a boolean `synced` and a timestamptz
// `created_at` column. Its name is a strict identifier (optionally
// schema-qualified), double-quoted in the SQL, so config text is never
// interpolated raw; the name is taken as written (case-sensitive).
#include <stdexcept>

#include "checks/check.h"
#include "checks/sql_identifier.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

class SyncQueueCheck : public Check {
 public:
  bool applies_to(const NodeConfig& node) const override {
    return node.role == Role::Client && !node.write_queue.empty();
  }

  void collect(CheckContext& ctx, SampleSink& out) override {
    auto table = quote_table_name(ctx.node->write_queue);
    if (!table)
      throw std::runtime_error("write_queue '" + ctx.node->write_queue +
                               "' is not a plain table name ([schema.]name of letters, digits, _ and $)");
    // Ages use the server's clock, the same one that wrote created_at.
    PgResult r = ctx.query(
        "SELECT count(*) AS pending, "
        "COALESCE(GREATEST(EXTRACT(EPOCH FROM now() - min(created_at)), 0), 0) AS oldest_age "
        "FROM " + *table + " WHERE synced = false");
    auto pending = r.empty() ? std::nullopt : r.number(0, "pending");
    auto age = r.empty() ? std::nullopt : r.number(0, "oldest_age");
    if (!pending || !age) throw std::runtime_error("sync_queue: unexpected result from " + *table);
    out.add("pgwarden_sync_queue_pending", {}, *pending);
    out.add("pgwarden_sync_queue_oldest_age_seconds", {}, *age);
  }
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_sync_queue_pending", MetricType::Gauge,
     "Rows of the write queue not yet synced."},
    {"pgwarden_sync_queue_oldest_age_seconds", MetricType::Gauge,
     "Age of the oldest unsynced write-queue row."},
});

PGW_REGISTER_CHECK("sync_queue", SyncQueueCheck);

}  // namespace
}  // namespace pgw
