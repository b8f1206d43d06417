// Inhibition: each built-in rule, a user [[inhibit_rules]] entry, the
// Alertmanager details (source must fire, no self-inhibition, two-sided
// matches), and that the rule engine's state machine is untouched: the
// target keeps firing underneath and reappears uninhibited.
#include <gtest/gtest.h>

#include "alerts/inhibit.h"
#include "alerts/rule_engine.h"
#include "alerts/suppression.h"
#include "exporter/config_loader.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
const TimePoint kT0 = TimePoint(std::chrono::seconds(1'795'000'000));

Alert alert(Labels labels, AlertState state = AlertState::Firing) {
  Alert a;
  a.labels = std::move(labels);
  normalize(a.labels);
  a.state = state;
  a.fired_at = state == AlertState::Firing ? kT0 : TimePoint{};
  return a;
}

Alert node_alert(const std::string& name, const std::string& node, const std::string& severity = "critical",
                 AlertState state = AlertState::Firing) {
  return alert({{"alertname", name}, {"cluster", "aya"}, {"node", node}, {"severity", severity}}, state);
}

std::vector<Alert> inhibit(std::vector<Alert> alerts, const Config& config = {}) {
  Inhibitor(inhibit_rules(config)).apply(alerts);
  return alerts;
}

TEST(Inhibit, NodeDownInhibitsEveryOtherAlertOfThatNode) {
  Labels check = {{"alertname", "CheckFailing"}, {"check", "pg_replication"}, {"cluster", "aya"},
                  {"node", "alpha"}, {"severity", "warning"}};
  auto out = inhibit({node_alert("PgNodeDown", "alpha"), alert(check),
                      node_alert("EmbedderDown", "alpha"), node_alert("EmbedderDown", "beta"),
                      alert({{"alertname", "PgNoPrimary"}, {"cluster", "aya"}, {"severity", "critical"}})});
  std::string down = out[0].fingerprint();
  EXPECT_TRUE(out[0].inhibited_by.empty());  // not by itself
  EXPECT_EQ(out[1].inhibited_by, std::vector<std::string>{down});  // CheckFailing included
  EXPECT_EQ(out[2].inhibited_by, std::vector<std::string>{down});
  EXPECT_TRUE(out[3].inhibited_by.empty());  // another node
  EXPECT_TRUE(out[4].inhibited_by.empty());  // about the cluster, not the node
}

TEST(Inhibit, NodeDownOfAnotherClusterInhibitsNothing) {
  auto other = alert({{"alertname", "PgNodeDown"}, {"cluster", "other"}, {"node", "alpha"}, {"severity", "critical"}});
  auto out = inhibit({other, node_alert("EmbedderDown", "alpha")});
  EXPECT_TRUE(out[1].inhibited_by.empty());
}

TEST(Inhibit, OnlyAFiringSourceInhibits) {
  auto out = inhibit({node_alert("PgNodeDown", "alpha", "critical", AlertState::Pending),
                      node_alert("EmbedderDown", "alpha")});
  EXPECT_TRUE(out[1].inhibited_by.empty());
  auto resolved = node_alert("PgNodeDown", "alpha");
  resolved.state = AlertState::Inactive;
  out = inhibit({resolved, node_alert("EmbedderDown", "alpha")});
  EXPECT_TRUE(out[1].inhibited_by.empty());
}

TEST(Inhibit, NoPrimaryInhibitsTheReplicationAlertsThatFollow) {
  auto no_primary = alert({{"alertname", "PgNoPrimary"}, {"cluster", "aya"}, {"severity", "critical"}});
  Labels not_streaming = {{"alertname", "PgStandbyNotStreaming"}, {"cluster", "aya"}, {"node", "beta"},
                          {"observed_on", "standby"}, {"severity", "critical"}};
  Labels slot = {{"alertname", "PgReplicationSlotMissing"}, {"cluster", "aya"}, {"node", "beta"},
                 {"slot", "s"}, {"severity", "critical"}};
  auto out = inhibit({no_primary, alert(not_streaming), alert(slot), node_alert("HostDiskSpaceLow", "beta"),
                      alert({{"alertname", "PgStandbyNotStreaming"}, {"cluster", "b"}, {"node", "x"},
                             {"severity", "critical"}})});
  EXPECT_EQ(out[1].inhibited_by, std::vector<std::string>{out[0].fingerprint()});
  EXPECT_EQ(out[2].inhibited_by, std::vector<std::string>{out[0].fingerprint()});
  EXPECT_TRUE(out[3].inhibited_by.empty());  // not a replication alert
  EXPECT_TRUE(out[4].inhibited_by.empty());  // another cluster
}

TEST(Inhibit, CriticalInhibitsTheWarningOfTheSameAlertAndLabels) {
  Labels crit = {{"alertname", "PgReplicationLagHigh"}, {"application_name", "beta"}, {"cluster", "aya"},
                 {"node", "alpha"}, {"severity", "critical"}};
  Labels warn = crit, other_standby = crit, other_alert = crit;
  warn.back().second = "warning";
  other_standby[1].second = "gamma";
  other_standby.back().second = "warning";
  other_alert[0].second = "HostDiskSpaceLow";
  other_alert.back().second = "warning";
  auto out = inhibit({alert(crit), alert(warn), alert(other_standby), alert(other_alert)});
  EXPECT_EQ(out[1].inhibited_by, std::vector<std::string>{out[0].fingerprint()});
  EXPECT_TRUE(out[2].inhibited_by.empty());
  EXPECT_TRUE(out[3].inhibited_by.empty());
  EXPECT_TRUE(out[0].inhibited_by.empty());
}

Config user_rules_config() {
  auto loaded = load_config_string(R"(
[exporter]
state_dir = "/tmp/unused"
[[inhibit_rules]]
source_matchers = ['alertname="EtcdUnhealthy"']
target_matchers = ['severity=~"warning|info"', 'alertname!="PgTimelineChanged"']
equal = ["cluster"]
)", "user.toml");
  EXPECT_TRUE(loaded.config) << (loaded.errors.empty() ? "" : loaded.errors[0].str());
  return loaded.config ? *loaded.config : Config{};
}

TEST(Inhibit, UserRuleWithSourceTargetAndEqual) {
  Config c = user_rules_config();
  ASSERT_EQ(c.inhibit_rules.size(), 1u);
  auto etcd = alert({{"alertname", "EtcdUnhealthy"}, {"cluster", "aya"}, {"endpoint", "e1"}, {"severity", "critical"}});
  auto out = inhibit({etcd, node_alert("BackupTooOld", "alpha", "warning"),
                      node_alert("PgTimelineChanged", "alpha", "warning"),
                      node_alert("EmbedderDown", "alpha", "critical"),
                      alert({{"alertname", "BackupTooOld"}, {"cluster", "zeta"}, {"node", "z"}, {"severity", "warning"}})},
                     c);
  EXPECT_EQ(out[1].inhibited_by, std::vector<std::string>{out[0].fingerprint()});
  EXPECT_TRUE(out[2].inhibited_by.empty());  // target matcher !=
  EXPECT_TRUE(out[3].inhibited_by.empty());  // severity critical
  EXPECT_TRUE(out[4].inhibited_by.empty());  // equal: another cluster
}

TEST(Inhibit, TwoAlertsMatchingBothSidesDoNotInhibitEachOther) {
  auto loaded = load_config_string(R"(
[exporter]
state_dir = "/tmp/unused"
[[inhibit_rules]]
source_matchers = ['alertname="X"']
target_matchers = ['alertname="X"']
)", "both.toml");
  ASSERT_TRUE(loaded.config);
  auto a = alert({{"alertname", "X"}, {"i", "1"}, {"severity", "info"}});
  auto b = alert({{"alertname", "X"}, {"i", "2"}, {"severity", "info"}});
  auto out = inhibit({a, b}, *loaded.config);
  EXPECT_TRUE(out[0].inhibited_by.empty());
  EXPECT_TRUE(out[1].inhibited_by.empty());
}

TEST(InhibitConfig, BadMatchersAreReportedWithTheirPosition) {
  auto loaded = load_config_string(R"([exporter]
state_dir = "/tmp/unused"
[[inhibit_rules]]
source_matchers = ['alertname="PgNodeDown"', 'severity=~"(warn"']
target_matchers = ['alertname~"x"']
equal = ["node-name"]
)", "bad.toml");
  ASSERT_FALSE(loaded.config);
  ASSERT_EQ(loaded.errors.size(), 3u);
  EXPECT_EQ(loaded.errors[0].pos.str(), "bad.toml:4:46");
  EXPECT_NE(loaded.errors[0].message.find("invalid regular expression"), std::string::npos) << loaded.errors[0].message;
  EXPECT_EQ(loaded.errors[1].pos.str(), "bad.toml:5:20");
  EXPECT_NE(loaded.errors[1].message.find("expected =, !=, =~ or !~"), std::string::npos) << loaded.errors[1].message;
  EXPECT_EQ(loaded.errors[2].pos.str(), "bad.toml:6:10");
}

TEST(InhibitConfig, EmptySourceIsAnError) {
  auto loaded = load_config_string("[[inhibit_rules]]\ntarget_matchers = ['severity=\"warning\"']\n", "e.toml");
  ASSERT_FALSE(loaded.config);
  EXPECT_NE(loaded.errors[0].message.find("source_matchers"), std::string::npos);
}

// Prometheus semantics are untouched: the target goes pending -> firing
// while inhibited, stays firing underneath, and is simply uninhibited when
// the source resolves (same activeAt, no new pending phase).
TEST(InhibitStateMachine, TargetStaysFiringUnderneathAndReappears) {
  Config c = user_rules_config();
  c.alerts.builtin = false;
  RuleConfig src;
  src.alert = "EtcdUnhealthy";
  src.expr = "etcd_bad == 1";
  src.severity = "critical";
  src.annotations["summary"] = "s";
  RuleConfig tgt;
  tgt.alert = "BackupTooOld";
  tgt.expr = "backup_old == 1";
  tgt.for_ = Duration(60s);
  tgt.annotations["summary"] = "t";
  c.rules = {src, tgt};
  RuleEngine engine(c);
  Suppressor suppressor(c, nullptr);
  auto samples = [](double etcd) {
    return std::vector<Sample>{{"etcd_bad", {{"cluster", "aya"}}, etcd},
                               {"backup_old", {{"cluster", "aya"}, {"node", "alpha"}}, 1}};
  };
  auto find = [](const std::vector<Alert>& as, const std::string& name) {
    for (const auto& a : as)
      if (a.name() == name) return a;
    return Alert{};
  };
  engine.evaluate(samples(1), kT0);
  auto out = suppressor.apply(engine.alerts(), kT0);
  EXPECT_EQ(find(out, "BackupTooOld").state, AlertState::Pending);
  EXPECT_TRUE(find(out, "BackupTooOld").suppressed());
  engine.evaluate(samples(1), kT0 + 60s);
  out = suppressor.apply(engine.alerts(), kT0 + 60s);
  EXPECT_EQ(find(out, "BackupTooOld").state, AlertState::Firing);
  EXPECT_EQ(find(out, "BackupTooOld").fired_at, kT0 + 60s);
  EXPECT_TRUE(find(out, "BackupTooOld").suppressed());
  engine.evaluate(samples(0), kT0 + 120s);
  out = suppressor.apply(engine.alerts(), kT0 + 120s);
  EXPECT_EQ(find(out, "EtcdUnhealthy").state, AlertState::Inactive);
  auto t = find(out, "BackupTooOld");
  EXPECT_EQ(t.state, AlertState::Firing);
  EXPECT_EQ(t.active_at, kT0);
  EXPECT_EQ(t.fired_at, kT0 + 60s);
  EXPECT_FALSE(t.suppressed());
}

}  // namespace
}  // namespace pgw
