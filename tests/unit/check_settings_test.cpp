// [checks.NAME] applies to the module registered under NAME, also when the
// module makes instances with names of their own: [checks.query] reaches
// every query_<name> check (it validated and did nothing before, since the
// query module's checks were looked up under their own names).
#include <algorithm>

#include <gtest/gtest.h>

#include "checks/check.h"
#include "exporter/config_loader.h"
#include "exporter/scheduler.h"
#include "exporter/snapshot_store.h"

namespace pgw {
namespace {

Config load(const std::string& extra) {
  const std::string toml = R"(
[[clusters]]
name = "c"
[[clusters.nodes]]
name = "a"
role = "primary"
conninfo = "host=127.0.0.1 port=1 dbname=x user=y"

[[queries]]
name = "docs"
sql = "SELECT 1 AS n"
metrics = [{ column = "n", name = "pgwarden_test_docs" }]
)" + extra;
  auto r = load_config_string(toml, "test.toml");
  if (!r.config) {
    for (const auto& e : r.errors) ADD_FAILURE() << e.str();
    return Config{};
  }
  return *r.config;
}

bool has_check(const Scheduler& s, const std::string& check) {
  auto keys = s.keys();
  return std::any_of(keys.begin(), keys.end(), [&](const auto& k) { return std::get<2>(k) == check; });
}

TEST(CheckSettings, ModuleNameComesFromTheRegistration) {
  Config config = load("");
  bool query = false, archiver = false;
  for (const auto& c : create_checks(config)) {
    if (c->name() == "query_docs") {
      query = true;
      EXPECT_EQ(c->module(), "query");
    }
    if (c->module() == "archiver") {
      archiver = true;
      EXPECT_EQ(c->name(), "archiver");
    }
  }
  EXPECT_TRUE(query);
  EXPECT_TRUE(archiver);
}

TEST(CheckSettings, QueryEnabledFalseDisablesEveryQuery) {
  Config on = load("");
  SnapshotStore store;
  EXPECT_TRUE(has_check(Scheduler(on, store), "query_docs"));

  Config off = load("[checks.query]\nenabled = false\n");
  ASSERT_TRUE(off.checks.count("query"));
  Scheduler s(off, store);
  EXPECT_FALSE(has_check(s, "query_docs"));
  EXPECT_TRUE(has_check(s, "archiver"));  // other modules still run
}

TEST(CheckSettings, QueryIntervalFromChecksQueryUnlessTheQuerySetsItsOwn) {
  Config config = load("[checks.query]\ninterval = \"42s\"\ntimeout = \"7s\"\n");
  SnapshotStore store;
  Scheduler s(config, store);
  for (const auto& c : create_checks(config))
    if (c->name() == "query_docs") {
      EXPECT_EQ(s.interval_of(*c), Duration(42'000));
      EXPECT_EQ(s.timeout_of(*c), Duration(7'000));
    }

  ASSERT_EQ(config.queries.size(), 1u);
  config.queries[0].interval = Duration(5'000);
  Scheduler own(config, store);
  for (const auto& c : create_checks(config))
    if (c->name() == "query_docs") {
      EXPECT_EQ(own.interval_of(*c), Duration(5'000));
      EXPECT_EQ(own.timeout_of(*c), Duration(7'000));
    }
}

}  // namespace
}  // namespace pgw
