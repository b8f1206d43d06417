// "subscriptions" module: logical replication subscribers. Whether each
// subscription's apply worker runs, and its apply and table-sync error
// counters (pg_stat_subscription_stats, 15+; the errors are absent on 14).
// Nothing is emitted on a node without subscriptions. The statistics views
// need no privilege beyond pg_monitor.
#include "checks/catalog_sql.h"
#include "checks/check.h"
#include "checks/pg_facts.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

PGW_DESCRIBE_METRICS({
    {"pgwarden_subscription_up", MetricType::Gauge, "1 when the subscription's apply worker runs."},
    {"pgwarden_subscription_errors_total", MetricType::Counter,
     "Errors of the subscription's workers by kind: apply or sync (PostgreSQL 15+)."},
});

class SubscriptionsCheck : public Check {
 public:
  void collect(CheckContext& ctx, SampleSink& out) override {
    PgResult r = ctx.query(subscriptions_sql(server_version(ctx)));
    for (size_t i = 0; i < r.size(); ++i) {
      const std::string& sub = r.text(i, "subname");
      out.add("pgwarden_subscription_up", {{"subscription", sub}}, r.number(i, "up").value_or(0));
      if (auto n = r.number(i, "apply_errors"))
        out.add("pgwarden_subscription_errors_total", {{"subscription", sub}, {"kind", "apply"}}, *n);
      if (auto n = r.number(i, "sync_errors"))
        out.add("pgwarden_subscription_errors_total", {{"subscription", sub}, {"kind", "sync"}}, *n);
    }
  }
};

PGW_REGISTER_CHECK("subscriptions", SubscriptionsCheck);

}  // namespace
}  // namespace pgw
