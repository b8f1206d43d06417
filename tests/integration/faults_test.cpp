// Node faults under a running `pgwarden serve` (issue 7, "Fault injection"):
// a node that accepts TCP but never answers, a primary frozen mid-query
// (SIGSTOP), and a primary restarted under pgwarden. For each: /metrics
// keeps answering, the alert reaches a real webhook receiver (and resolves
// where the fault can be undone), the healthy nodes keep fresh samples,
// pgwarden is not restarted and its RSS stays bounded.
#include <signal.h>

#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "tests/fixtures/exposition.h"
#include "tests/fixtures/fault_test.h"
#include "tests/fixtures/silent_server.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

class NodeFaultsTest : public FaultTest {};

TEST_F(NodeFaultsTest, NodeThatAcceptsButNeverAnswersGoesDownWithinItsDeadline) {
  SilentServer silent;
  start_watching("[[clusters.nodes]]\nname = \"mute\"\nrole = \"standby\"\n"
                 "conninfo = \"host=127.0.0.1 port=" + std::to_string(silent.port()) +
                 " dbname=postgres user=pgwarden\"\n\n");
  if (HasFatalFailure()) return;
  ASSERT_TRUE(eventually_metrics(proc_, "the silent node is reported down", kFaultReact,
                                 [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"node", "mute"}}) == 0.0 &&
           m.find("pgwarden_pg_in_recovery", {{"node", "mute"}}) == nullptr;
  }));
  EXPECT_GT(silent.accepted(), 0) << "pgwarden never connected to the silent node";
  expect_firing({{"alertname", "PgNodeDown"}, {"cluster", "e2e"}, {"node", "mute"}}, true, 0);

  // Every round waits for the silent node's deadline; the others must still
  // complete rounds and /metrics must keep answering meanwhile.
  ScrapeStats st = scrape_for(4s);
  EXPECT_EQ(st.failed, 0) << st.first_error;
  std::cout << "scrapes while a node is silent: " << st.total << ", slowest "
            << st.slowest_s * 1000 << " ms\n";
  EXPECT_TRUE(over_rounds("alpha", 3)) << "alpha's samples went stale";
  EXPECT_TRUE(over_rounds("beta", 3)) << "beta's samples went stale";
  EXPECT_EQ(parse_exposition(proc_.scrape()).value("pgwarden_node_up", {{"node", "mute"}}), 0.0);
  EXPECT_EQ(active_alerts("PgNodeDown", {{"node", "mute"}}), 1);
  EXPECT_EQ(active_alerts("PgNodeDown", {{"node", "alpha"}}) + active_alerts("PgNodeDown", {{"node", "beta"}}), 0);
  expect_undisturbed();
}

TEST_F(NodeFaultsTest, FrozenPrimaryRaisesNodeDownAtTheReceiverAndResolvesAfterSigcont) {
  start_watching();
  if (HasFatalFailure()) return;
  const AlertLabels alpha_down = {{"alertname", "PgNodeDown"}, {"cluster", "e2e"}, {"node", "alpha"}};

  size_t mark = sink_.count();
  pg_->signal_node(PgCluster::kPrimary, SIGSTOP);  // PgCluster's destructor resumes it too
  expect_firing(alpha_down, true, mark);
  ScrapeStats st = scrape_for(3s);
  EXPECT_EQ(st.failed, 0) << "while the primary is frozen: " << st.first_error;
  EXPECT_TRUE(over_rounds("beta", 2)) << "the standby's samples went stale while the primary hung";

  mark = sink_.count();
  pg_->signal_node(PgCluster::kPrimary, SIGCONT);
  expect_resolved(alpha_down, mark);
  EXPECT_TRUE(eventually_metrics(proc_, "alpha up again", kFaultReact, [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0;
  }));
  expect_undisturbed();
}

TEST_F(NodeFaultsTest, RestartedPrimaryIsReconnectedWithoutRestartingPgwarden) {
  start_watching();
  if (HasFatalFailure()) return;
  const AlertLabels alpha_down = {{"alertname", "PgNodeDown"}, {"cluster", "e2e"}, {"node", "alpha"}};

  size_t mark = sink_.count();
  pg_->stop_node(PgCluster::kPrimary);
  expect_firing(alpha_down, true, mark);
  ASSERT_TRUE(eventually_metrics(proc_, "alpha down, beta still measured", kFaultReact,
                                 [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 0.0 &&
           m.value("pgwarden_node_up", {{"node", "beta"}}) == 1.0;
  }));

  mark = sink_.count();
  pg_->start_node(PgCluster::kPrimary);
  // The old session died with the server: pgwarden must open a new one.
  EXPECT_TRUE(eventually_metrics(proc_, "alpha up again with its role", kFaultReact, [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 &&
           m.value("pgwarden_pg_in_recovery", {{"node", "alpha"}}) == 0.0;
  }));
  expect_resolved(alpha_down, mark);
  pg_->wait_streaming(0);
  EXPECT_TRUE(healthy());
  expect_undisturbed();
}

}  // namespace
}  // namespace pgw::test
