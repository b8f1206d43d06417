// SIGHUP under a running `pgwarden serve` (issue 7, "Fault injection").
// serve_test checks a rejected config and a renamed cluster; this test
// changes the node set: a broken config keeps the old nodes measured, a
// good one makes a new node appear (measured and alerting: its PgNodeDown
// reaches the receiver) and a removed node vanish from /metrics entirely.
#include <string>

#include <gtest/gtest.h>

#include "tests/fixtures/exposition.h"
#include "tests/fixtures/fault_test.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

class ReloadFaultTest : public FaultTest {};

TEST_F(ReloadFaultTest, BrokenConfigKeepsTheOldNodesAndAGoodOneSwapsThem) {
  start_watching();
  if (HasFatalFailure()) return;
  const std::string before = config();

  // Broken: a node with a role that does not exist. Rejected; the running
  // config stays.
  const size_t log_mark = proc_.log_text().size();
  proc_.write_config(before + "[[clusters.nodes]]\nname = \"broken\"\nrole = \"leader\"\n"
                                "conninfo = \"host=127.0.0.1\"\n");
  proc_.reload();
  ASSERT_TRUE(poll_until([&] { return proc_.log_text().find("reload rejected", log_mark) != std::string::npos; },
                         kFaultReact));
  EXPECT_TRUE(over_rounds("beta", 2)) << "the old config stopped being measured";
  EXPECT_EQ(parse_exposition(proc_.scrape()).find("pgwarden_node_up", {{"node", "broken"}}), nullptr);

  // Good: the standby is now watched as node "replica"; node beta is gone.
  std::string after = before;
  const std::string beta_node = "name = \"beta\"\nrole = \"standby\"";
  ASSERT_NE(after.find(beta_node), std::string::npos) << after;
  after.replace(after.find(beta_node), beta_node.size(), "name = \"replica\"\nrole = \"standby\"");
  // The validator wants expected_standbys to name nodes of the cluster.
  const std::string expected = "expected_standbys = [\"beta\"]";
  ASSERT_NE(after.find(expected), std::string::npos) << after;
  after.replace(after.find(expected), expected.size(), "expected_standbys = []");
  proc_.write_config(after);
  proc_.reload();
  EXPECT_TRUE(eventually_metrics(proc_, "replica measured, beta gone", kFaultReact, [](const Exposition& m) {
    size_t beta_series = 0;
    for (const auto& s : m.samples) beta_series += s.labels.count("node") && s.labels.at("node") == "beta";
    return m.value("pgwarden_node_up", {{"node", "replica"}}) == 1.0 &&
           m.value("pgwarden_pg_in_recovery", {{"node", "replica"}}) == 1.0 &&
           m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 && beta_series == 0;
  }));
  EXPECT_TRUE(over_rounds("replica", 2));

  // The new node alerts like any other.
  const size_t mark = sink_.count();
  pg_->stop_standby(0);
  expect_firing({{"alertname", "PgNodeDown"}, {"cluster", "e2e"}, {"node", "replica"}}, true, mark);
  EXPECT_FALSE(find_webhook_alert(sink_, {{"alertname", "PgNodeDown"}, {"node", "beta"}}, "firing", mark))
      << "the removed node still alerts";
  expect_undisturbed();
}

}  // namespace
}  // namespace pgw::test
