// Prometheus's own linter on a real /metrics scrape: pgwarden watching a real
// primary + standby, healthy and with the standby stopped (failed checks),
// must pass `promtool check metrics` without a single reported problem.
#include <chrono>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

std::string promtool() {
  for (const char* p : {"/usr/bin/promtool", "/usr/local/bin/promtool", "/opt/homebrew/bin/promtool"})
    if (run_command(std::string("test -x ") + p).exit_code == 0) return p;
  return "";
}

// Runs `promtool check metrics` on `body` fed on stdin.
CommandResult lint(const std::string& dir, const std::string& body) {
  std::string file = dir + "/scrape.txt";
  write_file(file, body);
  return run_command(shell_quote(promtool()) + " check metrics < " + shell_quote(file), true);
}

class PromtoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (promtool().empty()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  }
};

// The linter must actually find problems, or a pass proves nothing.
TEST_F(PromtoolTest, PromtoolReportsProblemsInABadExposition) {
  std::string dir = make_temp_dir("pgwarden-promtool");
  CommandResult r = lint(dir, "# TYPE pgwarden_requests counter\npgwarden_requests 1\n");
  remove_tree(dir);
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("pgwarden_requests"), std::string::npos) << r.out;
}

TEST_F(PromtoolTest, RealScrapesPassPromtoolCheckMetrics) {
  PgCluster pg;
  pg.wait_streaming(0);
  PgwardenProcess proc;
  WatchOptions o;
  o.state_dir = proc.dir() + "/state";
  proc.start(watch_config(pg, o));

  ASSERT_TRUE(eventually_metrics(proc, "both nodes up and replication visible", 30s,
                                 [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 &&
           m.value("pgwarden_node_up", {{"node", "beta"}}) == 1.0 &&
           m.find("pgwarden_replication_lag_bytes") != nullptr &&
           m.find("pgwarden_cluster_lag_bytes") != nullptr;
  })) << proc.log_text();

  std::string healthy = proc.scrape();
  CommandResult r = lint(proc.dir(), healthy);
  EXPECT_EQ(r.exit_code, 0) << r.out << "\n--- scrape:\n" << healthy;
  EXPECT_EQ(r.out, "") << "promtool reported problems:\n" << r.out;

  // Failed checks (standby down) change what is exported; lint that too.
  pg.stop_standby(0);
  ASSERT_TRUE(eventually_metrics(proc, "beta reported down", 15s, [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"node", "beta"}}).value_or(0) == 0.0 &&
           m.value("pgwarden_check_success", {{"node", "beta"}}) == 0.0;
  })) << proc.log_text();
  std::string degraded = proc.scrape();
  r = lint(proc.dir(), degraded);
  EXPECT_EQ(r.exit_code, 0) << r.out << "\n--- scrape:\n" << degraded;
  EXPECT_EQ(r.out, "") << "promtool reported problems:\n" << r.out;
}

}  // namespace
}  // namespace pgw::test
