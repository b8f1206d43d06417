// Receiver faults under a running `pgwarden serve` (issue 7, "Fault
// injection"): a receiver slower than its timeout, one that flaps down and
// up, one that answers 500 before 200. Each notification is a test flag
// alert raised for the phase; none is lost, and each is acknowledged
// exactly once (a timed-out request may still have been processed by the
// receiver, which pgwarden cannot know: there the guarantee is at least once
// at the receiver and exactly one success in pgwarden's counters).
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures/exposition.h"
#include "tests/fixtures/fault_test.h"
#include "tests/fixtures/flag_alerts.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

// Retries back off (1 s, 2 s, 4 s, ...): delivery after a fault can take
// a while longer than a first attempt.
constexpr auto kDeliver = 60s;

class ReceiverFaultsTest : public FaultTest {
 protected:
  void SetUp() override {
    start_cluster();
    flags_ = std::make_unique<FlagAlerts>(
        *pg_, std::vector<std::string>{"SlowReceiver", "FlapWhileDown", "FlapWhileUp", "ErroringReceiver"});
    // The receiver's own timeout, well below the sink's delay in the slow
    // phase. One group per alert: each flag is its own notification, so
    // "delivered exactly once" can be counted per flag (the default groups
    // by cluster, where a later flag's notification repeats the earlier).
    std::string toml = config(flags_->toml());
    const std::string group_wait = "group_wait = \"0s\"\n";
    toml.replace(toml.find(group_wait), group_wait.size(),
                 group_wait + "timeout = \"1s\"\ngroup_by = [\"alertname\"]\n");
    watch(toml);
    if (HasFatalFailure()) return;
    // Watchdog's first notification delivered before a phase starts: an
    // empty outbox alone can also mean no round has queued it yet, and then
    // it takes the phase's faults (the 500s) and counts as its success.
    ASSERT_TRUE(eventually_metrics(proc_, "Watchdog delivered", kDeliver, [](const Exposition& m) {
      return m.value("pgwarden_notifications_total", {{"receiver", "sink"}, {"outcome", "success"}}).value_or(0) >= 1 &&
             m.value("pgwarden_outbox_pending", {{"receiver", "sink"}}) == 0.0;
    }));
  }

  double counter(const std::string& outcome) const {
    return parse_exposition(proc_.scrape())
        .value("pgwarden_notifications_total", {{"receiver", "sink"}, {"outcome", outcome}})
        .value_or(-1);
  }
  ::testing::AssertionResult drained() const {
    return eventually_metrics(proc_, "outbox drained", kDeliver, [](const Exposition& m) {
      return m.value("pgwarden_outbox_pending", {{"receiver", "sink"}}) == 0.0;
    });
  }
  // Firing notifications of `flag` the sink recorded (answered with
  // `http_status`, when non-zero).
  int arrivals(const std::string& flag, int http_status = 0) const {
    int n = 0;
    for (const auto& r : sink_.requests()) {
      if (http_status != 0 && r.status != http_status) continue;
      for (const auto& a : webhook_alerts({r}))
        n += a.status == "firing" && a.labels.count("alertname") && a.labels.at("alertname") == flag;
    }
    return n;
  }
  std::unique_ptr<FlagAlerts> flags_;
};

TEST_F(ReceiverFaultsTest, ReceiverSlowerThanItsTimeoutGetsTheNotificationOnceItIsFast) {
  const double success_before = counter("success");
  const double failure_before = counter("failure");
  sink_.set_delay(3s);
  flags_->raise("SlowReceiver");
  // The receiver got it but pgwarden gave up waiting: counted as a failure.
  ASSERT_TRUE(poll_until([&] { return arrivals("SlowReceiver") >= 1 && counter("failure") > failure_before; },
                         kFaultReact, 200ms));
  EXPECT_EQ(counter("success"), success_before) << "a timed-out request counted as delivered";
  expect_undisturbed();

  sink_.set_delay(0ms);
  ASSERT_TRUE(drained());
  EXPECT_EQ(counter("success"), success_before + 1) << "not acknowledged exactly once";
  EXPECT_GE(arrivals("SlowReceiver"), 2) << "the timed-out notification was not retried";
  expect_undisturbed();
}

TEST_F(ReceiverFaultsTest, FlappingReceiverGetsEveryNotificationExactlyOnce) {
  const double success_before = counter("success");
  sink_.stop();
  flags_->raise("FlapWhileDown");
  ASSERT_TRUE(poll_until([&] { return counter("failure") >= 1; }, kFaultReact, 200ms));
  // Down and up a few times; a second alert is raised during an up phase.
  for (int i = 0; i < 4; ++i) {
    sink_.start();
    if (i == 1) flags_->raise("FlapWhileUp");
    std::this_thread::sleep_for(700ms);  // the fault's rhythm, not synchronisation
    sink_.stop();
    std::this_thread::sleep_for(1500ms);
  }
  expect_undisturbed();
  sink_.start();
  ASSERT_TRUE(poll_until([&] { return arrivals("FlapWhileDown") >= 1 && arrivals("FlapWhileUp") >= 1; },
                         kDeliver, 200ms));
  ASSERT_TRUE(drained());
  // A refused connection never reaches the sink: every recorded request was
  // a delivery, so exactly one each.
  EXPECT_EQ(arrivals("FlapWhileDown"), 1);
  EXPECT_EQ(arrivals("FlapWhileUp"), 1);
  EXPECT_EQ(counter("success"), success_before + 2);
  expect_undisturbed();
}

TEST_F(ReceiverFaultsTest, ServerErrorsThenSuccessDeliverOnce) {
  const double success_before = counter("success");
  sink_.respond_with({500, 500});
  flags_->raise("ErroringReceiver");
  ASSERT_TRUE(poll_until([&] { return arrivals("ErroringReceiver", 200) >= 1; }, kDeliver, 200ms));
  ASSERT_TRUE(drained());
  EXPECT_EQ(arrivals("ErroringReceiver", 500), 2);
  EXPECT_EQ(arrivals("ErroringReceiver", 200), 1);
  EXPECT_EQ(counter("success"), success_before + 1);
  EXPECT_GE(counter("failure"), 2);
  expect_undisturbed();
}

}  // namespace
}  // namespace pgw::test
