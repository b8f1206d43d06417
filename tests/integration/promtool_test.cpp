// Prometheus's own linter on a real /metrics scrape: pgwarden watching a real
// primary + standby, healthy and with the standby stopped (failed checks),
// must pass `promtool check metrics` without a single reported problem.
#include <chrono>
#include <random>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "exporter/metrics_render.h"
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

// Issue 13: hostile bytes (invalid UTF-8, quotes, backslashes, newlines,
// anything) as metric names, label names and label values, rendered as
// /metrics renders them: promtool's own parser must read every body (lint
// remarks about the made-up names are not the point; a parse error is).
// The fuzz target `render` checks the same with a validator in-process; this
// is the cross-check against the real parser, on 40 bodies of 50 samples.
TEST_F(PromtoolTest, HostileBytesRenderToTextPromtoolParses) {
  std::string dir = make_temp_dir("pgwarden-promtool-hostile");
  std::mt19937 rng(13);
  auto bytes = [&](size_t max) {
    std::string s(rng() % (max + 1), '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 4 == 0 ? "\"\\\n{}=,\xff\xc3"[rng() % 10] : rng() % 256);
    return s;
  };
  for (int body = 0; body < 40; ++body) {
    std::vector<Sample> samples;
    for (int i = 0; i < 50; ++i) {
      Labels labels;
      for (int k = rng() % 4; k > 0; --k) labels.emplace_back(bytes(8), bytes(40));
      samples.push_back({rng() % 2 ? "pgwarden_fuzz_" + bytes(6) : bytes(12), labels, static_cast<double>(rng() % 1000) / 7});
    }
    std::string text = render_text(samples);
    CommandResult r = lint(dir, text);
    EXPECT_EQ(r.out.find("error while linting"), std::string::npos) << r.out << "\n" << text;
    if (HasFailure()) break;
  }
  remove_tree(dir);
}

}  // namespace
}  // namespace pgw::test
