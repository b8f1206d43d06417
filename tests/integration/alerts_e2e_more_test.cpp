// More end-to-end acceptance of the built-in alert pack against a real
// primary + streaming standby and `pgwarden serve` with `for = 0s` and a
// webhook receiver: an idle slot retaining WAL, and a cluster without a
// reachable primary. Each test fires the alert, undoes the fault and waits
// for the resolved notification (polling with deadlines, like
// alerts_e2e_test.cpp).
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <csignal>

#include <gtest/gtest.h>

#include "tests/fixtures/alert_payload.h"
#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/webhook_sink.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;
using Labels = std::map<std::string, std::string>;

constexpr auto kReact = 20s;    // a round (1 s), evaluation, group_interval 1 s, on a busy machine
constexpr auto kStartup = 30s;  // first rounds after start

class AlertsE2EMoreTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) return;
    std::cerr << "---- webhook alerts received ----\n";
    for (const auto& a : webhook_alerts(sink_.requests())) std::cerr << "  " << a.str() << "\n";
    std::cerr << "---- /alerts ----\n" << proc_.get("/alerts").body;
    std::cerr << "---- pgwarden log ----\n" << proc_.log_text() << "----\n";
  }

  void start(const std::string& alerts_extra = "") {
    pg_ = std::make_unique<PgCluster>();
    pg_->wait_streaming(0);
    WatchOptions o;
    o.state_dir = proc_.dir() + "/state";
    o.extra_toml = "[alerts]\nfor = \"0s\"\n" + alerts_extra +
                   "\n[[receivers]]\nname = \"sink\"\ntype = \"webhook\"\n"
                   "url = \"" + sink_.url("/hook") + "\"\n"
                   "group_wait = \"0s\"\ngroup_interval = \"1s\"\nrepeat_interval = \"1h\"\n"
                   "send_resolved = true\n";
    proc_.start(watch_config(*pg_, o));
    ASSERT_TRUE(eventually_metrics(proc_, "both nodes up with their roles and the slot active", kStartup,
                                   [](const Exposition& m) {
                                     return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 &&
                                            m.value("pgwarden_node_up", {{"node", "beta"}}) == 1.0 &&
                                            m.value("pgwarden_pg_in_recovery", {{"node", "beta"}}) == 1.0 &&
                                            m.value("pgwarden_cluster_primaries") == 1.0 &&
                                            m.value("pgwarden_slot_active",
                                                    {{"node", "alpha"}, {"slot", "beta_slot"}}) == 1.0;
                                   }));
  }

  void expect_firing(const Labels& labels, bool with_node, size_t since) {
    expect_webhook_firing(sink_, labels, with_node, since, kReact);
  }
  void expect_resolved(const Labels& labels, size_t since) {
    expect_webhook_resolved(sink_, labels, since, kReact);
  }

  std::unique_ptr<PgCluster> pg_;  // destroyed last: pgwarden and the sink go first
  WebhookSink sink_;
  PgwardenProcess proc_;
};

// A reserved physical slot nobody consumes holds back every WAL byte written
// after it was created; past the lowered threshold the alert fires, and
// dropping the slot resolves it.
TEST_F(AlertsE2EMoreTest, IdleSlotRetainingWalFiresAndResolvesWhenDropped) {
  start("slot_retained_warning_bytes = 1e6\n");
  // The streaming standby's own slot retains next to nothing: no alert.
  EXPECT_FALSE(find_webhook_alert(sink_, {{"alertname", "PgReplicationSlotRetainingWal"}}, "firing"));

  const Labels retaining = {{"alertname", "PgReplicationSlotRetainingWal"}, {"severity", "warning"},
                            {"cluster", "e2e"}, {"node", "alpha"}, {"slot", "idle_slot"}};
  size_t mark = sink_.count();
  pg_->psql(PgCluster::kPrimary, "SELECT pg_create_physical_replication_slot('idle_slot', true)");
  pg_->psql(PgCluster::kPrimary,
            "CREATE TABLE e2e_bulk AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 30000) g");
  pg_->psql(PgCluster::kPrimary, "SELECT pg_switch_wal()");
  ASSERT_TRUE(eventually_metrics(proc_, "idle_slot retains more than 1e6 bytes", kReact, [](const Exposition& m) {
    return m.value("pgwarden_slot_retained_bytes", {{"node", "alpha"}, {"slot", "idle_slot"}}) > 1e6;
  }));
  expect_firing(retaining, true, mark);
  EXPECT_FALSE(find_webhook_alert(sink_, {{"alertname", "PgReplicationSlotRetainingWal"}, {"slot", "beta_slot"}},
                                  "firing"))
      << "the streaming standby's slot was reported retaining WAL";

  mark = sink_.count();
  pg_->psql(PgCluster::kPrimary, "SELECT pg_drop_replication_slot('idle_slot')");
  expect_resolved(retaining, mark);
}

// The primary stops answering (SIGSTOP: the fixture has no primary
// stop/start, and a frozen postmaster is unreachable within the 1 s check
// timeout) while the standby stays in recovery: no reachable primary.
// SIGCONT brings it back.
TEST_F(AlertsE2EMoreTest, UnreachablePrimaryFiresNoPrimaryAndResolves) {
  start();
  EXPECT_FALSE(find_webhook_alert(sink_, {{"alertname", "PgNoPrimary"}}, "firing"));

  const Labels no_primary = {{"alertname", "PgNoPrimary"}, {"cluster", "e2e"}, {"severity", "critical"}};
  const Labels alpha_down = {{"alertname", "PgNodeDown"}, {"cluster", "e2e"}, {"node", "alpha"},
                             {"severity", "critical"}};
  size_t mark = sink_.count();
  pg_->signal_node(PgCluster::kPrimary, SIGSTOP);
  ASSERT_TRUE(eventually_metrics(proc_, "no primary while beta stays in recovery", kReact, [](const Exposition& m) {
    return m.value("pgwarden_cluster_primaries") == 0.0 && m.value("pgwarden_node_up", {{"node", "alpha"}}) == 0.0 &&
           m.value("pgwarden_pg_in_recovery", {{"node", "beta"}}) == 1.0;
  }));
  expect_firing(no_primary, false, mark);
  expect_firing(alpha_down, true, mark);

  mark = sink_.count();
  pg_->signal_node(PgCluster::kPrimary, SIGCONT);
  expect_resolved(no_primary, mark);
  expect_resolved(alpha_down, mark);
}

}  // namespace
}  // namespace pgw::test
