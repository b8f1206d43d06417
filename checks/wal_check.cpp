// "wal" module: WAL generation and what piles up behind it. The primary's
// WAL position as a counter (rate() of it is WAL generation), the size of
// pg_wal, the archive backlog (.ready files in pg_wal/archive_status) and
// checkpoints by kind. pg_ls_waldir() and pg_ls_archive_statusdir() are
// granted to pg_monitor; the checkpoint counters moved from
// pg_stat_bgwriter to pg_stat_checkpointer in 17 (checks/catalog_sql.h).
#include <stdexcept>

#include "checks/catalog_sql.h"
#include "checks/check.h"
#include "checks/lsn.h"
#include "checks/pg_facts.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

PGW_DESCRIBE_METRICS({
    {"pgwarden_pg_wal_bytes_total", MetricType::Counter,
     "The primary's current WAL position in bytes: rate() of it is WAL generation."},
    {"pgwarden_pg_wal_size_bytes", MetricType::Gauge, "Size of the files in pg_wal."},
    {"pgwarden_archiver_ready_files", MetricType::Gauge,
     "WAL segments waiting to be archived (.ready files in pg_wal/archive_status)."},
    {"pgwarden_pg_checkpoints_total", MetricType::Counter,
     "Checkpoints (restartpoints on a standby up to 16) by kind: timed or requested."},
});

class WalCheck : public Check {
 public:
  // pg_wal's size, the archive backlog and checkpoint counts move over
  // minutes, and listing pg_wal and archive_status costs the server more
  // than a catalog read: every 30 s, not every round. [checks.wal] interval
  // overrides it.
  std::optional<Duration> interval() const override { return Duration(30'000); }

  void collect(CheckContext& ctx, SampleSink& out) override {
    bool standby = in_recovery(ctx);
    int version = server_version(ctx);
    PgResult r = ctx.query(
        std::string("SELECT ") + (standby ? "NULL::pg_lsn" : "pg_current_wal_lsn()") +
        " AS lsn, (SELECT COALESCE(sum(size), 0) FROM pg_ls_waldir()) AS wal_size, "
        "(SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready') AS ready");
    if (r.empty()) throw std::runtime_error("wal: no row");
    if (auto lsn = parse_lsn(r.text(0, "lsn"))) out.add("pgwarden_pg_wal_bytes_total", {}, static_cast<double>(*lsn));
    out.add("pgwarden_pg_wal_size_bytes", {}, r.number(0, "wal_size").value_or(0));
    out.add("pgwarden_archiver_ready_files", {}, r.number(0, "ready").value_or(0));
    PgResult c = ctx.query(checkpoints_sql(version));
    if (c.empty()) return;
    out.add("pgwarden_pg_checkpoints_total", {{"kind", "timed"}}, c.number(0, "timed").value_or(0));
    out.add("pgwarden_pg_checkpoints_total", {{"kind", "requested"}}, c.number(0, "requested").value_or(0));
  }
};

PGW_REGISTER_CHECK("wal", WalCheck);

}  // namespace
}  // namespace pgw
