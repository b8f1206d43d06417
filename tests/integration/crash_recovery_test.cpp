// kill -9 of `pgwarden serve` while notifications wait in the outbox: a new
// process on the same config and state_dir delivers them, exactly once, and
// does not repeat what the killed process had already delivered
// (docs/notifications.md, "Outbox and retries").
//
// The state_dir lives in a temp dir of the test, outside both processes'
// own directories, so it survives the first process.
#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>

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
constexpr auto kStartup = 30s;  // first rounds after a start

struct TempDir {
  std::string path = make_temp_dir("pgwarden-crash-state");
  ~TempDir() { remove_tree(path); }
};

class CrashRecoveryTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) return;
    std::cerr << "---- webhook alerts received ----\n";
    for (const auto& a : webhook_alerts(sink_.requests())) std::cerr << "  " << a.str() << " fp=" << a.fingerprint << "\n";
    if (first_) std::cerr << "---- first pgwarden log ----\n" << first_->log_text();
    if (second_) std::cerr << "---- second pgwarden log ----\n" << second_->log_text();
    std::cerr << "----\n";
  }

  std::string config() const {
    WatchOptions o;
    o.state_dir = state_.path;
    o.extra_toml = "[alerts]\nfor = \"0s\"\n\n[[receivers]]\nname = \"sink\"\ntype = \"webhook\"\n"
                   "url = \"" + sink_.url("/hook") + "\"\n"
                   "group_wait = \"0s\"\ngroup_interval = \"1s\"\nrepeat_interval = \"1h\"\n"
                   "send_resolved = true\n";
    return watch_config(*pg_, o);
  }

  static ::testing::AssertionResult healthy(const PgwardenProcess& proc) {
    return eventually_metrics(proc, "both nodes up and the slot active", kStartup, [](const Exposition& m) {
      return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 &&
             m.value("pgwarden_node_up", {{"node", "beta"}}) == 1.0 &&
             m.value("pgwarden_slot_active", {{"node", "alpha"}, {"slot", "beta_slot"}}) == 1.0;
    });
  }

  // Alerts with `fingerprint` and their own status `status` over every
  // request the sink recorded.
  int received(const std::string& fingerprint, const std::string& status) const {
    int n = 0;
    for (const auto& a : webhook_alerts(sink_.requests())) n += a.fingerprint == fingerprint && a.status == status;
    return n;
  }

  // Polls until `node`'s checks completed `rounds` more rounds.
  static bool over_rounds(const PgwardenProcess& proc, const std::string& node, int rounds) {
    return over_check_rounds(proc, node, rounds, kReact + std::chrono::seconds(rounds));
  }

  TempDir state_;                  // destroyed last: outlives both processes
  std::unique_ptr<PgCluster> pg_;
  WebhookSink sink_;
  std::unique_ptr<PgwardenProcess> first_;
  std::unique_ptr<PgwardenProcess> second_;
};

TEST_F(CrashRecoveryTest, PendingResolvedIsDeliveredOnceAfterKill9AndAcknowledgedFiringIsNotRepeated) {
  pg_ = std::make_unique<PgCluster>();
  pg_->wait_streaming(0);
  const std::string toml = config();

  // Phase A: sink up; the standby stops and its PgNodeDown is delivered.
  first_ = std::make_unique<PgwardenProcess>();
  first_->start(toml);
  ASSERT_TRUE(healthy(*first_));
  const Labels beta_down = {{"alertname", "PgNodeDown"}, {"cluster", "e2e"}, {"node", "beta"}};
  const Labels not_streaming = {{"alertname", "PgStandbyNotStreaming"}, {"cluster", "e2e"},
                                {"node", "alpha"}, {"application_name", "beta"}};
  pg_->stop_standby(0);
  WebhookAlert firing;
  ASSERT_TRUE(eventually_webhook_alert(sink_, beta_down, "firing", kReact, &firing));
  ASSERT_FALSE(firing.fingerprint.empty()) << firing.str();
  ASSERT_TRUE(eventually_webhook_alert(sink_, not_streaming, "firing", kReact));
  // Acknowledged: the outbox is empty again.
  ASSERT_TRUE(eventually_metrics(*first_, "the outbox drained", kReact, [](const Exposition& m) {
    return m.value("pgwarden_outbox_pending", {{"receiver", "sink"}}) == 0.0;
  }));

  // Phase B: sink down; the standby comes back, the resolved notification
  // cannot be delivered and waits in the outbox; then kill -9.
  sink_.stop();
  const size_t before_outage = sink_.count();
  pg_->start_standby(0);
  pg_->wait_streaming(0);
  ASSERT_TRUE(eventually_metrics(*first_, "a notification pending in the outbox", kReact, [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"node", "beta"}}) == 1.0 &&
           m.value("pgwarden_outbox_pending", {{"receiver", "sink"}}) > 0.0;
  }));
  first_->kill9();
  ASSERT_FALSE(first_->running());
  ASSERT_EQ(sink_.count(), before_outage) << "the sink recorded requests while it was down";
  ASSERT_EQ(received(firing.fingerprint, "resolved"), 0) << "resolved delivered before the restart";

  // Phase C: sink up, a new process on the same config and state_dir.
  sink_.start();
  second_ = std::make_unique<PgwardenProcess>();
  second_->start(toml);
  WebhookAlert resolved;
  ASSERT_TRUE(eventually_webhook_alert(sink_, beta_down, "resolved", kReact, &resolved, before_outage));
  EXPECT_EQ(resolved.fingerprint, firing.fingerprint);
  ASSERT_TRUE(eventually_webhook_alert(sink_, not_streaming, "resolved", kReact, nullptr, before_outage));

  // A few more rounds give a duplicate time to show up.
  ASSERT_TRUE(over_rounds(*second_, "alpha", 3)) << "the new pgwarden did not complete three rounds";
  ASSERT_TRUE(eventually_metrics(*second_, "the outbox drained", kReact, [](const Exposition& m) {
    return m.value("pgwarden_outbox_pending", {{"receiver", "sink"}}) == 0.0;
  }));
  EXPECT_EQ(received(firing.fingerprint, "resolved"), 1) << "resolved PgNodeDown not delivered exactly once";
  EXPECT_EQ(received(firing.fingerprint, "firing"), 1) << "an acknowledged firing PgNodeDown was sent again";
}

}  // namespace
}  // namespace pgw::test
