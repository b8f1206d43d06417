// Acceptance of "expectations follow the primary" (issue 12, part 1) against
// real servers: etcd + two Patroni 3.0.2 members with synchronous_mode, and
// `pgwarden serve` configured as a user of a Patroni cluster should configure
// it (both nodes role = "auto", expected_standbys / expected_slots /
// sync_standbys on [[clusters]]) with a webhook sink.
//
//  (a) `patronictl switchover`, (b) the leader's Patroni stopped (failover)
//      and started again (rejoin). In both, from the moment Patroni reports
//      both members running again plus three rounds, only Watchdog and
//      PgTimelineChanged fire, nothing else is still pending once `for` has
//      passed, and the sink got no other firing notification (in (b)
//      PgNodeDown for the stopped member and PgNoPrimary may fire while it
//      lasted, and then must be resolved). The expectation series move to the
//      new primary, the old one is watched as a standby.
//  (c) `patronictl pause` raises PatroniPaused until `resume`; the new
//      standby's PostgreSQL stopped (its Patroni stopped, which would start
//      it again otherwise) raises PgStandbyNotStreaming on the new primary,
//      and starting it resolves that.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fixtures/alert_payload.h"
#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/patroni_lab.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/webhook_sink.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
using namespace test;

// `for` of the built-in rules: longer than a switchover's blips (the old
// primary restarting as a standby, a round without a primary), short enough
// to keep the test quick.
constexpr int kForSeconds = 10;

std::string config_toml(const PatroniLab& lab, const std::string& sink_url, const std::string& state_dir) {
  std::ostringstream t;
  t << "[exporter]\ninterval = \"1s\"\ntimeout = \"1s\"\nstate_dir = \"" << state_dir << "\"\n\n"
    << "[[clusters]]\nname = \"hc\"\n"
    << "expected_standbys = [\"" << lab.member(0) << "\", \"" << lab.member(1) << "\"]\n"
    << "expected_slots = [\"" << lab.member(0) << "\", \"" << lab.member(1) << "\"]\n"
    << "sync_standbys = [\"" << lab.member(0) << "\", \"" << lab.member(1) << "\"]\n\n";
  for (int i = 0; i < 2; ++i)
    t << "[[clusters.nodes]]\nname = \"" << lab.member(i) << "\"\nrole = \"auto\"\n"
      << "conninfo = \"host=127.0.0.1 port=" << lab.pg_port(i) << " dbname=postgres user=postgres\"\n"
      << "patroni = { url = \"" << lab.rest_url(i) << "\" }\n\n";
  t << "[[clusters.etcd]]\nurl = \"" << lab.etcd_url() << "\"\n\n"
    << "[alerts]\nfor = \"" << kForSeconds << "s\"\n\n"
    << "[[receivers]]\nname = \"sink\"\ntype = \"webhook\"\nurl = \"" << sink_url << "\"\n"
    << "group_wait = \"0s\"\ngroup_interval = \"1s\"\nrepeat_interval = \"1h\"\nsend_resolved = true\n";
  return t.str();
}

struct ActiveAlert {
  std::string state;
  std::map<std::string, std::string> labels;
  std::string name() const { return labels.count("alertname") ? labels.at("alertname") : ""; }
  std::string str() const {
    std::string s = state + " " + name() + "{";
    for (const auto& [k, v] : labels)
      if (k != "alertname") s += k + "=" + v + ",";
    return s + "}";
  }
};

std::vector<ActiveAlert> active_alerts(const PgwardenProcess& proc) {
  std::vector<ActiveAlert> out;
  auto j = nlohmann::json::parse(proc.scrape("/alerts"));
  for (const auto& a : j.at("alerts")) {
    ActiveAlert x;
    x.state = a.at("state").get<std::string>();
    for (const auto& [k, v] : a.at("labels").items()) x.labels[k] = v.get<std::string>();
    out.push_back(std::move(x));
  }
  return out;
}

const std::set<std::string> kAfterChange = {"Watchdog", "PgTimelineChanged"};

// Active alerts outside `allowed` (firing only, or pending too).
std::vector<std::string> unexpected_alerts(const PgwardenProcess& proc, const std::set<std::string>& allowed,
                                           bool pending_too) {
  std::vector<std::string> out;
  for (const auto& a : active_alerts(proc))
    if (!allowed.count(a.name()) && (pending_too || a.state == "firing")) out.push_back(a.str());
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "\n  " + x;
  return s;
}

// From now (Patroni reports both members running) plus three rounds, for
// `for` plus three more rounds: nothing outside kAfterChange fires; at the
// end nothing outside it is even pending (so nothing is left broken that a
// longer wait would turn into a page).
void expect_only_watchdog_and_timeline(const PgwardenProcess& proc, const std::string& node) {
  ASSERT_TRUE(over_check_rounds(proc, node, 3, 30s)) << "pgwarden stopped checking " << node;
  std::vector<std::string> bad;
  ASSERT_TRUE(over_check_rounds(proc, node, kForSeconds + 3, 60s, [&] {
    if (bad.empty()) bad = unexpected_alerts(proc, kAfterChange, false);
  }));
  EXPECT_TRUE(bad.empty()) << "firing after the change settled:" << join(bad);
  auto left = unexpected_alerts(proc, kAfterChange, true);
  EXPECT_TRUE(left.empty()) << "still active once `for` had passed:" << join(left);
}

// Firing notifications of the sink from request `since` on whose alert
// `allowed` refuses.
std::vector<std::string> unexpected_firing(const WebhookSink& sink, size_t since,
                                           const std::function<bool(const WebhookAlert&)>& allowed) {
  auto requests = sink.requests();
  if (since > requests.size()) since = requests.size();
  std::vector<RecordedRequest> newer(requests.begin() + static_cast<long>(since), requests.end());
  std::vector<std::string> out;
  for (const auto& a : webhook_alerts(newer))
    if (a.status != "resolved" && !allowed(a)) out.push_back(a.str());
  return out;
}

// The expectations sit on `primary` (and only there), all met; `standby` is
// watched from its own side.
::testing::AssertionResult topology_followed(const PgwardenProcess& proc, const std::string& primary,
                                             const std::string& standby) {
  return eventually_metrics(proc, primary + " holds the expectations, " + standby + " streams", 60s,
                            [&](const Exposition& m) {
    return m.value("pgwarden_pg_in_recovery", {{"node", primary}}) == 0.0 &&
           m.value("pgwarden_pg_in_recovery", {{"node", standby}}) == 1.0 &&
           m.value("pgwarden_replication_expected_standby_connected",
                   {{"node", primary}, {"application_name", standby}}) == 1.0 &&
           m.find_all("pgwarden_replication_expected_standby_connected", {{"node", standby}}).empty() &&
           m.value("pgwarden_slot_present", {{"node", primary}, {"slot", standby}}) == 1.0 &&
           m.find_all("pgwarden_slot_present", {{"node", standby}}).empty() &&
           m.value("pgwarden_replication_sync", {{"node", primary}, {"application_name", standby}}) == 1.0 &&
           m.value("pgwarden_standby_wal_receiver_streaming", {{"node", standby}}) == 1.0 &&
           m.value("pgwarden_standby_last_msg_age_seconds", {{"node", standby}}).has_value() &&
           m.value("pgwarden_standby_receive_replay_lag_bytes", {{"node", standby}}).has_value() &&
           m.find_all("pgwarden_standby_wal_receiver_streaming", {{"node", primary}}).empty();
  });
}

TEST(PatroniSwitchover, ExpectationsFollowThePrimaryThroughSwitchoverFailoverAndRejoin) {
  if (!have_patroni_tools()) GTEST_SKIP() << "needs Debian packages patroni, etcd-server and postgresql-15";
  PatroniLabOptions options;
  options.scope = "hc";
  options.members = {"alpha", "beta"};
  options.synchronous_mode = true;
  PatroniLab lab(options);
  lab.start_patroni(0);
  ASSERT_TRUE(poll_until([&] { return lab.leader() == 0; }, 90s))
      << "alpha did not become leader; see " << lab.dir() << "/patroni0.log";
  lab.start_patroni(1);
  ASSERT_TRUE(poll_until([&] { return lab.all_running(); }, 90s))
      << "beta did not join; see " << lab.dir() << "/patroni1.log";

  WebhookSink sink;
  PgwardenProcess proc;
  proc.start(config_toml(lab, sink.url("/hook"), proc.dir() + "/state"));
  ASSERT_TRUE(topology_followed(proc, "alpha", "beta"));
  expect_only_watchdog_and_timeline(proc, "alpha");
  auto only = [](std::set<std::string> names) {
    return [names](const WebhookAlert& a) { return names.count(a.labels.count("alertname") ? a.labels.at("alertname") : ""); };
  };
  EXPECT_TRUE(unexpected_firing(sink, 0, only({"Watchdog"})).empty())
      << "healthy cluster notified:" << join(unexpected_firing(sink, 0, only({"Watchdog"})));

  // (a) Planned switchover alpha -> beta, no config change.
  size_t since = sink.count();
  CommandResult sw = lab.patronictl("switchover --leader alpha --candidate beta --force");
  ASSERT_EQ(sw.exit_code, 0) << sw.out;
  ASSERT_TRUE(poll_until([&] { return lab.leader() == 1 && lab.all_running(); }, 90s))
      << "switchover did not complete; see " << lab.dir();
  expect_only_watchdog_and_timeline(proc, "beta");
  EXPECT_TRUE(topology_followed(proc, "beta", "alpha"));
  auto after_a = unexpected_firing(sink, since, only(kAfterChange));
  EXPECT_TRUE(after_a.empty()) << "notified during the switchover:" << join(after_a);

  // (b) Failover: the leader's (beta's) Patroni stopped, then started again.
  since = sink.count();
  lab.stop_patroni(1);
  ASSERT_TRUE(poll_until([&] { return lab.leader() == 0; }, 60s))
      << "alpha was not promoted; see " << lab.dir() << "/patroni0.log";
  lab.start_patroni(1);
  ASSERT_TRUE(poll_until([&] { return lab.all_running(); }, 90s))
      << "beta did not rejoin as a replica; see " << lab.dir() << "/patroni1.log";
  expect_only_watchdog_and_timeline(proc, "alpha");
  EXPECT_TRUE(topology_followed(proc, "alpha", "beta"));
  auto allowed_b = [](const WebhookAlert& a) {
    const std::string name = a.labels.count("alertname") ? a.labels.at("alertname") : "";
    return kAfterChange.count(name) || name == "PgNoPrimary" ||
           (name == "PgNodeDown" && a.labels.count("node") && a.labels.at("node") == "beta");
  };
  auto after_b = unexpected_firing(sink, since, allowed_b);
  EXPECT_TRUE(after_b.empty()) << "notified during the failover:" << join(after_b);
  for (const auto& a : webhook_alerts(sink.requests())) {
    const std::string name = a.labels.count("alertname") ? a.labels.at("alertname") : "";
    if (a.status != "firing" || (name != "PgNodeDown" && name != "PgNoPrimary")) continue;
    std::map<std::string, std::string> id = {{"alertname", name}};
    if (a.labels.count("node")) id["node"] = a.labels.at("node");
    EXPECT_TRUE(eventually_webhook_alert(sink, id, "resolved", 30s, nullptr, since)) << a.str();
  }

  // (c) Maintenance mode raises PatroniPaused (info) while it lasts.
  since = sink.count();
  CommandResult pause = lab.patronictl("pause --wait");
  ASSERT_EQ(pause.exit_code, 0) << pause.out;
  expect_webhook_firing(sink, {{"alertname", "PatroniPaused"}, {"severity", "info"}}, true, since, 30s);
  CommandResult resume = lab.patronictl("resume --wait");
  ASSERT_EQ(resume.exit_code, 0) << resume.out;
  expect_webhook_resolved(sink, {{"alertname", "PatroniPaused"}}, since, 30s);

  // The new standby's PostgreSQL stopped (with its Patroni, which would
  // otherwise start it again at once): the new primary misses it.
  since = sink.count();
  const std::map<std::string, std::string> not_streaming = {
      {"alertname", "PgStandbyNotStreaming"}, {"node", "alpha"}, {"application_name", "beta"}};
  lab.stop_patroni(1);
  expect_webhook_firing(sink, not_streaming, true, since, std::chrono::seconds(kForSeconds + 30));
  lab.start_patroni(1);
  expect_webhook_resolved(sink, not_streaming, since, 90s);
}

}  // namespace
}  // namespace pgw
