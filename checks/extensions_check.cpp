// "extensions" module: one series per extension installed in the monitored
// database (pg_extension is readable by any role).
#include "checks/check.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

class ExtensionsCheck : public Check {
 public:

  void collect(CheckContext& ctx, SampleSink& out) override {
    PgResult r = ctx.query("SELECT extname, extversion FROM pg_extension ORDER BY extname");
    for (size_t i = 0; i < r.size(); ++i)
      out.add("pgwarden_pg_extension_installed",
              {{"extension", r.text(i, "extname")}, {"version", r.text(i, "extversion")}}, 1);
  }
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_pg_extension_installed", MetricType::Gauge,
     "1 for each extension installed in the monitored database."},
});

PGW_REGISTER_CHECK("extensions", ExtensionsCheck);

}  // namespace
}  // namespace pgw
