// "archiver" module: WAL archiving health from pg_stat_archiver (readable by
// any role). Failing means the newest failure is newer than the newest
// success, i.e. archive_command is failing right now.
#include <stdexcept>

#include "checks/check.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

class ArchiverCheck : public Check {
 public:

  void collect(CheckContext& ctx, SampleSink& out) override {
    PgResult r = ctx.query(
        "SELECT archived_count, failed_count, "
        "CASE WHEN last_archived_time IS NOT NULL THEN GREATEST(EXTRACT(EPOCH FROM now() - last_archived_time), 0) END AS last_archived_age, "
        "(last_failed_time IS NOT NULL AND "
        " (last_archived_time IS NULL OR last_failed_time > last_archived_time)) AS failing "
        "FROM pg_stat_archiver");
    if (r.empty()) throw std::runtime_error("archiver: pg_stat_archiver returned no row");
    out.add("pgwarden_archiver_archived_total", {}, r.number(0, "archived_count").value_or(0));
    out.add("pgwarden_archiver_failed_total", {}, r.number(0, "failed_count").value_or(0));
    if (auto age = r.number(0, "last_archived_age"))
      out.add("pgwarden_archiver_last_archived_age_seconds", {}, *age);
    out.add("pgwarden_archiver_failing", {}, r.number(0, "failing").value_or(0));
  }
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_archiver_archived_total", MetricType::Counter,
     "WAL files archived successfully."},
    {"pgwarden_archiver_failed_total", MetricType::Counter,
     "Failed attempts to archive WAL files."},
    {"pgwarden_archiver_last_archived_age_seconds", MetricType::Gauge,
     "Seconds since the last successful archive."},
    {"pgwarden_archiver_failing", MetricType::Gauge,
     "1 when the last archive failure is newer than the last success."},
});

PGW_REGISTER_CHECK("archiver", ArchiverCheck);

}  // namespace
}  // namespace pgw
