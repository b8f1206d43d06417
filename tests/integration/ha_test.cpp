// HA layout of docs/ha.md (issue 7, "HA"): two `pgwarden serve` instances
// watch the same real primary + standby and post (receiver type
// `alertmanager`, one receiver per peer) to a two-peer Alertmanager cluster
// gossiping on loopback, whose route sends to one webhook sink.
//
// Each alert therefore reaches Alertmanager four times (2 pgwarden x 2
// peers); the sink must get each alert group exactly once: each peer dedups
// the two pgwarden copies, and the notification log gossiped between the
// peers keeps the second peer (which waits --cluster.peer-timeout per
// position before sending) from repeating what the first one sent. Stopping
// either pgwarden loses nothing: an alert raised afterwards still arrives,
// once.
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/http_client.h"
#include "tests/fixtures/alertmanager_server.h"
#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/flag_alerts.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/process_rss.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/webhook_sink.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr auto kStartup = 30s;
// A raised flag is seen by the next round (1 s), posted at once, grouped for
// group_wait (1 s) and sent by the first peer: a few seconds; 30 s on a
// loaded machine.
constexpr auto kArrive = 30s;
// --cluster.peer-timeout: the second peer sends (if its notification log
// does not show the first peer's send) this long after the first.
constexpr const char* kPeerTimeout = "4s";
// After the first arrival, how long a duplicate is given to show up: past
// the second peer's turn (group_wait + peer timeout) with room to spare.
constexpr auto kDuplicateWindow = 12s;

// Firing notifications (webhook POSTs from Alertmanager) per group key.
std::map<std::string, int> firing_per_group(const WebhookSink& sink) {
  std::map<std::string, int> out;
  for (const auto& r : sink.requests()) {
    auto body = json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      ++out["<malformed>"];
      continue;
    }
    if (body.value("status", "") == "firing") ++out[body.value("groupKey", "<none>")];
  }
  return out;
}

// Group key of Alertmanager's route (group_by [alertname]) for `alertname`.
std::string group_key(const std::string& alertname) { return "{}:{alertname=\"" + alertname + "\"}"; }

class HaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = std::make_unique<PgCluster>();
    pg_->wait_streaming(0);
    flags_ = std::make_unique<FlagAlerts>(*pg_, std::vector<std::string>{"HaBefore", "HaAfterAStopped",
                                                                         "HaAfterBStopped"});
    AlertmanagerOptions o;
    o.cluster = true;
    o.peer_timeout = kPeerTimeout;
    am1_ = std::make_unique<AlertmanagerServer>(sink_.url("/am"), o);
    o.peers = {am1_->cluster_address()};
    am2_ = std::make_unique<AlertmanagerServer>(sink_.url("/am"), o);
    ASSERT_TRUE(poll_until([&] { return clustered(*am1_) && clustered(*am2_); }, kStartup, 200ms))
        << "the two Alertmanagers did not form a ready cluster\n---- am1 ----\n"
        << am1_->log_text() << "---- am2 ----\n" << am2_->log_text();
  }

  void TearDown() override {
    if (!HasFailure()) return;
    std::cerr << "---- sink requests ----\n";
    for (const auto& r : sink_.requests()) std::cerr << r.body << "\n";
    for (auto* p : {&a_, &b_}) std::cerr << "---- pgwarden log ----\n" << p->log_text();
    std::cerr << "---- am1 ----\n" << am1_->log_text() << "---- am2 ----\n" << am2_->log_text();
  }

  // Both peers see each other and have settled.
  static bool clustered(const AlertmanagerServer& am) {
    auto r = http_get(am.url() + "/api/v2/status", 2000ms);
    if (r.status != 200) return false;
    auto j = json::parse(r.body);
    return j["cluster"]["status"] == "ready" && j["cluster"]["peers"].size() == 2;
  }

  // Whether Alertmanager lists an active alert named `alertname`.
  static bool holds(const AlertmanagerServer& am, const std::string& alertname) {
    auto r = http_get(am.url() + "/api/v2/alerts", 2000ms);
    if (r.status != 200) return false;
    for (const auto& a : json::parse(r.body))
      if (a["labels"].value("alertname", "") == alertname) return true;
    return false;
  }

  // pgwarden `p`: its own state_dir, one alertmanager receiver per peer.
  std::string config(const PgwardenProcess& p) const {
    WatchOptions o;
    o.state_dir = p.dir() + "/state";
    o.extra_toml = "[alerts]\nfor = \"0s\"\n\n";
    int i = 0;
    for (const auto* am : {am1_.get(), am2_.get()})
      o.extra_toml += "[[receivers]]\nname = \"am" + std::to_string(++i) +
                      "\"\ntype = \"alertmanager\"\nurl = \"" + am->url() + "\"\n\n";
    o.extra_toml += flags_->toml();
    return watch_config(*pg_, o);
  }

  static ::testing::AssertionResult healthy(const PgwardenProcess& p) {
    return eventually_metrics(p, "both nodes up", kStartup, [](const Exposition& m) {
      return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 &&
             m.value("pgwarden_node_up", {{"node", "beta"}}) == 1.0;
    });
  }

  // Raises `flag` and checks its group reaches the sink exactly once.
  void expect_exactly_once(const std::string& flag) {
    flags_->raise(flag);
    const std::string key = group_key(flag);
    ASSERT_TRUE(poll_until([&] { return firing_per_group(sink_)[key] >= 1; }, kArrive, 100ms))
        << flag << " never reached the sink";
    // Both peers hold the alert, so either could have notified: one
    // notification is the cluster's dedup, not a peer that never heard of it.
    EXPECT_TRUE(poll_until([&] { return holds(*am1_, flag) && holds(*am2_, flag); }, kArrive, 200ms))
        << "not every Alertmanager peer received " << flag;
    // Negative check with a deadline: a duplicate would arrive within the window.
    poll_until([&] { return firing_per_group(sink_)[key] > 1; }, kDuplicateWindow, 200ms);
    EXPECT_EQ(firing_per_group(sink_)[key], 1) << flag << " was notified more than once";
  }

  std::unique_ptr<PgCluster> pg_;
  std::unique_ptr<FlagAlerts> flags_;
  WebhookSink sink_;
  std::unique_ptr<AlertmanagerServer> am1_, am2_;
  PgwardenProcess a_, b_;
};

TEST_F(HaTest, EachGroupReachesTheSinkOnceAndStoppingEitherPgwardenLosesNothing) {
  a_.start(config(a_));
  b_.start(config(b_));
  ASSERT_TRUE(healthy(a_));
  ASSERT_TRUE(healthy(b_));
  const auto rss_b = rss_bytes(b_.pid());  // B runs from here until the last phase

  // Both pgwardens post every alert to both peers.
  expect_exactly_once("HaBefore");
  for (auto* p : {&a_, &b_}) {
    Exposition m = parse_exposition(p->scrape());
    for (const char* r : {"am1", "am2"})
      EXPECT_GE(m.value("pgwarden_notifications_total", {{"receiver", r}, {"outcome", "success"}}).value_or(0), 1)
          << "a pgwarden did not post to " << r;
  }

  // Stop A: B alone still gets a new alert through, once.
  ASSERT_TRUE(a_.stop().has_value());
  expect_exactly_once("HaAfterAStopped");

  // A comes back (same state_dir), B stops: again nothing lost, nothing doubled.
  a_.start(config(a_));
  ASSERT_TRUE(healthy(a_));
  EXPECT_TRUE(rss_bounded(rss_b, rss_bytes(b_.pid())));
  ASSERT_TRUE(b_.stop().has_value());
  expect_exactly_once("HaAfterBStopped");

  // Groups that were already notified stay notified once, though both
  // pgwardens re-posted them (Watchdog always fires: a group of its own).
  auto groups = firing_per_group(sink_);
  std::cout << "HA: firing notifications per group at the sink:";
  for (const auto& [key, n] : groups) std::cout << " " << key << "=" << n;
  std::cout << "\n";
  for (const auto& [key, n] : groups) EXPECT_EQ(n, 1) << key;
  EXPECT_EQ(groups[group_key("Watchdog")], 1);
  EXPECT_EQ(groups.count("<malformed>"), 0u);
  EXPECT_TRUE(a_.running());
}

}  // namespace
}  // namespace pgw::test
