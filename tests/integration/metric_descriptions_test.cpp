// Every metric family that `pgwarden serve` exposes while watching a real
// primary and standby (with a [[queries]] counter and a webhook receiver, so
// the query module and the notifier emit too) is described: its HELP is the
// description (not the generic fallback of an undescribed metric) and its
// TYPE is the described one, which is counter exactly for the _total
// metrics. A metric emitted without PGW_DESCRIBE_METRICS beside its code
// fails here.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "core/metric_catalog.h"
#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

TEST(MetricDescriptionsTest, EveryExposedFamilyIsDescribedWithItsType) {
  PgCluster pg;
  pg.wait_streaming(0);
  PgwardenProcess proc;
  WatchOptions o;
  o.state_dir = proc.dir() + "/state";
  o.extra_toml =
      "[[queries]]\n"
      "name = \"wal\"\n"
      "sql = \"SELECT 3 AS n\"\n"
      "metrics = [{ column = \"n\", name = \"pgwarden_test_things_total\", type = \"counter\", "
      "help = \"Things counted by a test query.\" }]\n" +
      // Nothing listens there: deliveries fail and are counted.
      webhook_alerting_toml("http://127.0.0.1:" + std::to_string(free_port()) + "/hook");
  proc.start(watch_config(pg, o));

  // Wait for what every check module that applies here emits at least once,
  // and for the notifier's counter (Watchdog fires at once and is sent).
  Exposition m;
  ASSERT_TRUE(eventually_metrics(proc, "checks, query and notifier metrics", 40s, [&](const Exposition& e) {
    m = e;
    return e.find("pgwarden_replication_lag_bytes") && e.find("pgwarden_standby_wal_receiver_streaming") &&
           e.find("pgwarden_slot_active") && e.find("pgwarden_cluster_lag_bytes") &&
           e.find("pgwarden_test_things_total") && e.find("pgwarden_notifications_total") &&
           e.find("pgwarden_alerts") && e.find("pgwarden_round_duration_seconds");
  })) << proc.log_text();

  int families = 0;
  for (const auto& [name, type] : m.type) {
    ++families;
    const std::string help = m.help.count(name) ? m.help.at(name) : "";
    EXPECT_NE(help, "pgwarden metric " + name) << name << " is emitted but not described";
    EXPECT_EQ(type, name.ends_with("_total") ? "counter" : "gauge") << name;
    if (name == "pgwarden_test_things_total") {
      EXPECT_EQ(help, "Things counted by a test query.");
      continue;
    }
    auto info = find_metric(name);
    ASSERT_TRUE(info.has_value()) << name << " is exposed but described nowhere in this build";
    EXPECT_EQ(help, info->help) << name;
    EXPECT_EQ(type, info->type == MetricType::Counter ? "counter" : "gauge") << name;
  }
  // Every sample belongs to a family with a TYPE line.
  for (const auto& s : m.samples) EXPECT_TRUE(m.type.count(s.name)) << s.str();
  EXPECT_GE(families, 30);
}

}  // namespace
}  // namespace pgw::test
