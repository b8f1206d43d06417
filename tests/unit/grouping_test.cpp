// Grouping timelines with an injected clock: group_wait, group_interval,
// repeat_interval, send_resolved, match, and the alertmanager resend rule.
#include <gtest/gtest.h>

#include "alerts/grouping.h"
#include "alerts/alertmanager_resend.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1795000000));

Alert firing(const std::string& name, const std::string& node, const std::string& cluster = "aya",
             const std::string& severity = "critical") {
  Alert a;
  a.labels = {{"alertname", name}, {"cluster", cluster}, {"node", node}, {"severity", severity}};
  normalize(a.labels);
  a.annotations = {{"summary", "x"}};
  a.state = AlertState::Firing;
  a.active_at = kT0 - 60s;
  a.fired_at = kT0;
  return a;
}

Alert resolved(Alert a, TimePoint at) {
  a.state = AlertState::Inactive;
  a.resolved_at = at;
  return a;
}

ReceiverConfig receiver(bool send_resolved = true) {
  ReceiverConfig r;
  r.name = "ops";
  r.type = "webhook";
  r.send_resolved = send_resolved;
  r.group_by = {"alertname", "cluster"};  // these timelines predate the [cluster] default
  r.group_wait = 10s;
  r.group_interval = 60s;
  r.repeat_interval = 600s;
  return r;
}

std::vector<std::string> nodes_of(const DueNotification& d) {
  std::vector<std::string> out;
  for (const auto& a : d.notification.alerts)
    out.push_back(label_value(a.labels, "node") + ":" + alert_status(a));
  return out;
}

TEST(Grouping, NewGroupWaitsGroupWaitThenSends) {
  Grouper g(receiver(), "");
  std::vector<Alert> alerts = {firing("PgNodeDown", "alpha")};
  EXPECT_TRUE(g.update(alerts, kT0).empty());
  EXPECT_TRUE(g.update(alerts, kT0 + 9s).empty());
  auto due = g.update(alerts, kT0 + 10s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].notification.group_key, "ops:{alertname=\"PgNodeDown\", cluster=\"aya\"}");
  EXPECT_EQ(nodes_of(due[0]), std::vector<std::string>{"alpha:firing"});
  // Unchanged: nothing until repeat_interval.
  EXPECT_TRUE(g.update(alerts, kT0 + 70s).empty());
  EXPECT_TRUE(g.update(alerts, kT0 + 550s).empty());
}

TEST(Grouping, AlertsArrivingDuringGroupWaitShareOneNotification) {
  Grouper g(receiver(), "");
  g.update({firing("PgNodeDown", "alpha")}, kT0);
  auto due = g.update({firing("PgNodeDown", "alpha"), firing("PgNodeDown", "beta")}, kT0 + 10s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(nodes_of(due[0]), (std::vector<std::string>{"alpha:firing", "beta:firing"}));
}

TEST(Grouping, GroupsByAlertnameAndClusterByDefault) {
  Grouper g(receiver(), "");
  std::vector<Alert> alerts = {firing("PgNodeDown", "alpha"), firing("PgNodeDown", "x", "other"),
                               firing("EmbedderDown", "alpha")};
  g.update(alerts, kT0);
  EXPECT_EQ(g.update(alerts, kT0 + 10s).size(), 3u);
}

TEST(Grouping, ChangesWaitForGroupInterval) {
  Grouper g(receiver(), "");
  g.update({firing("PgNodeDown", "alpha")}, kT0);
  ASSERT_EQ(g.update({firing("PgNodeDown", "alpha")}, kT0 + 10s).size(), 1u);
  std::vector<Alert> two = {firing("PgNodeDown", "alpha"), firing("PgNodeDown", "beta")};
  EXPECT_TRUE(g.update(two, kT0 + 20s).empty());   // changed, but interval not over
  EXPECT_TRUE(g.update(two, kT0 + 69s).empty());
  auto due = g.update(two, kT0 + 70s);             // first flush + group_interval
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(nodes_of(due[0]), (std::vector<std::string>{"alpha:firing", "beta:firing"}));
}

TEST(Grouping, UnchangedFiringGroupRepeatsAfterRepeatInterval) {
  Grouper g(receiver(), "");
  std::vector<Alert> alerts = {firing("PgNodeDown", "alpha")};
  g.update(alerts, kT0);
  ASSERT_EQ(g.update(alerts, kT0 + 10s).size(), 1u);
  // Flush ticks every 60 s after +10 s; the first tick >= +610 s is +610 s.
  EXPECT_TRUE(g.update(alerts, kT0 + 550s).empty());
  auto due = g.update(alerts, kT0 + 610s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(g.update(alerts, kT0 + 670s).empty());
}

TEST(Grouping, ResolvedGroupIsSentOnceThenForgotten) {
  Grouper g(receiver(true), "");
  Alert a = firing("PgNodeDown", "alpha");
  g.update({a}, kT0);
  ASSERT_EQ(g.update({a}, kT0 + 10s).size(), 1u);
  std::vector<Alert> gone = {resolved(a, kT0 + 30s)};
  EXPECT_TRUE(g.update(gone, kT0 + 30s).empty());
  auto due = g.update(gone, kT0 + 70s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_FALSE(due[0].notification.firing());
  EXPECT_EQ(nodes_of(due[0]), std::vector<std::string>{"alpha:resolved"});
  EXPECT_EQ(g.group_count(), 0u);
  // The engine keeps reporting the resolved alert for a while: no repeats.
  for (int i = 2; i < 20; ++i) EXPECT_TRUE(g.update(gone, kT0 + i * 60s).empty());
  EXPECT_EQ(g.save().size(), 0u);
}

TEST(Grouping, WithoutSendResolvedNothingIsSentOnResolution) {
  Grouper g(receiver(false), "");
  Alert a = firing("PgNodeDown", "alpha");
  Alert b = firing("PgNodeDown", "beta");
  g.update({a, b}, kT0);
  ASSERT_EQ(g.update({a, b}, kT0 + 10s).size(), 1u);
  // beta resolves: not news without send_resolved.
  EXPECT_TRUE(g.update({a, resolved(b, kT0 + 20s)}, kT0 + 70s).empty());
  // beta fires again: news.
  auto due = g.update({a, b}, kT0 + 130s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(nodes_of(due[0]), (std::vector<std::string>{"alpha:firing", "beta:firing"}));
  // Everything resolves: nothing sent, group forgotten.
  EXPECT_TRUE(g.update({resolved(a, kT0 + 140s), resolved(b, kT0 + 140s)}, kT0 + 190s).empty());
  EXPECT_EQ(g.group_count(), 0u);
}

TEST(Grouping, PartialResolutionIsSentWithSendResolved) {
  Grouper g(receiver(true), "");
  Alert a = firing("PgNodeDown", "alpha");
  Alert b = firing("PgNodeDown", "beta");
  g.update({a, b}, kT0);
  ASSERT_EQ(g.update({a, b}, kT0 + 10s).size(), 1u);
  auto due = g.update({a, resolved(b, kT0 + 20s)}, kT0 + 70s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(due[0].notification.firing());
  EXPECT_EQ(nodes_of(due[0]), (std::vector<std::string>{"alpha:firing", "beta:resolved"}));
  // The same state again is not news.
  EXPECT_TRUE(g.update({a, resolved(b, kT0 + 20s)}, kT0 + 130s).empty());
}

TEST(Grouping, PendingAndNeverFiredAlertsAreIgnored) {
  Grouper g(receiver(), "");
  Alert p = firing("PgNodeDown", "alpha");
  p.state = AlertState::Pending;
  p.fired_at = {};
  g.update({p}, kT0);
  EXPECT_TRUE(g.update({p}, kT0 + 20s).empty());
  EXPECT_EQ(g.group_count(), 0u);
}

TEST(Grouping, AlertThatVanishesCountsAsResolved) {
  Grouper g(receiver(true), "");
  g.update({firing("PgNodeDown", "alpha")}, kT0);
  ASSERT_EQ(g.update({firing("PgNodeDown", "alpha")}, kT0 + 10s).size(), 1u);
  auto due = g.update({}, kT0 + 70s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(nodes_of(due[0]), std::vector<std::string>{"alpha:resolved"});
}

TEST(Grouping, MatchFiltersByLabelEquality) {
  ReceiverConfig r = receiver();
  r.match = {{"severity", "critical"}};
  Grouper g(r, "");
  std::vector<Alert> alerts = {firing("PgNodeDown", "alpha", "aya", "critical"),
                               firing("PgReplicationLagHigh", "beta", "aya", "warning")};
  g.update(alerts, kT0);
  auto due = g.update(alerts, kT0 + 10s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].notification.alerts[0].name(), "PgNodeDown");
}

TEST(Grouping, SavedStatePreventsResendAfterRestart) {
  std::vector<Alert> alerts = {firing("PgNodeDown", "alpha")};
  nlohmann::json state;
  {
    Grouper g(receiver(), "");
    g.update(alerts, kT0);
    ASSERT_EQ(g.update(alerts, kT0 + 10s).size(), 1u);
    state = g.save();
  }
  Grouper restarted(receiver(), "");
  restarted.restore(state);
  restarted.update(alerts, kT0 + 100s);
  EXPECT_TRUE(restarted.update(alerts, kT0 + 110s).empty());  // already delivered
  // But news still goes out: a new alert in the same group.
  std::vector<Alert> two = {firing("PgNodeDown", "alpha"), firing("PgNodeDown", "beta")};
  auto due = restarted.update(two, kT0 + 170s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].notification.alerts.size(), 2u);
}

TEST(Grouping, RestoredStateStillAnnouncesResolution) {
  Alert a = firing("PgNodeDown", "alpha");
  nlohmann::json state;
  {
    Grouper g(receiver(true), "");
    g.update({a}, kT0);
    ASSERT_EQ(g.update({a}, kT0 + 10s).size(), 1u);
    state = g.save();
  }
  Grouper restarted(receiver(true), "");
  restarted.restore(state);
  std::vector<Alert> gone = {resolved(a, kT0 + 50s)};
  restarted.update(gone, kT0 + 60s);
  auto due = restarted.update(gone, kT0 + 70s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_FALSE(due[0].notification.firing());
}

TEST(Grouping, GroupWaitSurvivesARunOnceProcess) {
  // `pgwarden check --notify` from cron: a new Grouper every run.
  std::vector<Alert> alerts = {firing("PgNodeDown", "alpha")};
  nlohmann::json state;
  {
    Grouper g(receiver(), "");
    EXPECT_TRUE(g.update(alerts, kT0).empty());  // group_wait not over
    state = g.save();
  }
  Grouper next_run(receiver(), "");
  next_run.restore(state);
  auto due = next_run.update(alerts, kT0 + 60s);  // the next cron run
  ASSERT_EQ(due.size(), 1u);
  state = next_run.save();
  Grouper third_run(receiver(), "");
  third_run.restore(state);
  EXPECT_TRUE(third_run.update(alerts, kT0 + 120s).empty());  // dedup across runs too
}

TEST(Grouping, RestoreIgnoresOtherReceiversAndGarbage) {
  Grouper g(receiver(), "");
  g.restore(nlohmann::json{{"other:{}", {{"firing", {"x"}}, {"at_ms", 1}}},
                           {"ops:{a=\"b\"}", "garbage"}});
  EXPECT_EQ(g.save().size(), 0u);
  g.restore(nlohmann::json("not an object"));
  EXPECT_EQ(g.save().size(), 0u);
}

TEST(Resend, FiringAlertsAreResentEveryResendDelay) {
  ReceiverConfig r = receiver();
  r.type = "alertmanager";
  ResendTracker t(r, "", 60s);
  std::vector<Alert> alerts = {firing("PgNodeDown", "alpha")};
  auto first = t.update(alerts, kT0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->alerts.size(), 1u);
  EXPECT_FALSE(t.update(alerts, kT0 + 30s).has_value());
  EXPECT_TRUE(t.update(alerts, kT0 + 60s).has_value());
  // Resolution is news at once.
  auto gone = t.update({resolved(alerts[0], kT0 + 70s)}, kT0 + 75s);
  ASSERT_TRUE(gone.has_value());
  EXPECT_FALSE(gone->firing());
  EXPECT_FALSE(t.update({resolved(alerts[0], kT0 + 70s)}, kT0 + 80s).has_value());
}

TEST(Resend, PendingAlertsAreNotSent) {
  ReceiverConfig r = receiver();
  r.type = "alertmanager";
  ResendTracker t(r, "", 60s);
  Alert p = firing("PgNodeDown", "alpha");
  p.state = AlertState::Pending;
  p.fired_at = {};
  EXPECT_FALSE(t.update({p}, kT0).has_value());
}

// Inhibited or silenced: not announced, and an announced alert that becomes
// suppressed is not resolved falsely; its real end is still announced.
TEST(GroupingSuppressed, SuppressedAlertIsNotAnnouncedNorFalselyResolved) {
  Grouper g(receiver(), "");
  Alert lag = firing("PgReplicationLagHigh", "beta");
  EXPECT_TRUE(g.update({lag}, kT0).empty());
  ASSERT_EQ(g.update({lag}, kT0 + 10s).size(), 1u);  // announced
  Alert muted = lag;
  muted.inhibited_by = {"abc"};
  // Suppressed while still firing: nothing at the next ticks (no "resolved").
  EXPECT_TRUE(g.update({muted}, kT0 + 70s).empty());
  EXPECT_TRUE(g.update({muted}, kT0 + 130s).empty());
  // Back from suppression, still the same firing alert: not news.
  EXPECT_TRUE(g.update({lag}, kT0 + 190s).empty());
  // Suppressed again and then really resolved: the end is announced.
  EXPECT_TRUE(g.update({muted}, kT0 + 250s).empty());
  auto due = g.update({resolved(lag, kT0 + 300s)}, kT0 + 310s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(nodes_of(due[0]), std::vector<std::string>{"beta:resolved"});
}

TEST(GroupingSuppressed, AlertSuppressedFromTheStartIsNeverSentUntilUnsuppressed) {
  Grouper g(receiver(), "");
  Alert check = firing("CheckFailing", "alpha", "aya", "warning");
  check.inhibited_by = {"down"};
  EXPECT_TRUE(g.update({check}, kT0).empty());
  EXPECT_TRUE(g.update({check}, kT0 + 60s).empty());
  EXPECT_EQ(g.group_count(), 0u);
  // It ends while suppressed: nothing to say either.
  EXPECT_TRUE(g.update({resolved(check, kT0 + 90s)}, kT0 + 100s).empty());
  // The source resolves and the alert still fires: now it is news.
  Alert open = firing("CheckFailing", "alpha", "aya", "warning");
  EXPECT_TRUE(g.update({open}, kT0 + 200s).empty());
  auto due = g.update({open}, kT0 + 210s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(nodes_of(due[0]), std::vector<std::string>{"alpha:firing"});
}

// The node comes back: PgNodeDown resolves while the CheckFailing it
// inhibited still fires for a round. One notification (the resolution), not
// a page for a check that ends a moment later.
// One group per cluster; PgNodeDown paged at kT0 + 10s, the CheckFailing
// it inhibits not. Returns the notifications due when the node is back at
// kT0 + 70s (the group's next tick) with the check still failing.
std::vector<DueNotification> node_back_with_check_failing(Grouper& g) {
  Alert down = firing("PgNodeDown", "alpha");
  Alert check = firing("CheckFailing", "alpha", "aya", "warning");
  check.inhibited_by = {down.fingerprint()};
  EXPECT_TRUE(g.update({down, check}, kT0).empty());
  EXPECT_EQ(g.update({down, check}, kT0 + 10s).size(), 1u);
  return g.update({resolved(down, kT0 + 65s), firing("CheckFailing", "alpha", "aya", "warning")}, kT0 + 70s);
}

ReceiverConfig by_cluster() {
  ReceiverConfig r = receiver();
  r.group_by = {"cluster"};
  return r;
}

TEST(GroupingSuppressed, AlertLeavingSuppressionIsHeldOneGroupWait) {
  Grouper g(by_cluster(), "");
  auto due = node_back_with_check_failing(g);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(nodes_of(due[0]), std::vector<std::string>{"alpha:resolved"});
  EXPECT_EQ(label_value(due[0].notification.alerts[0].labels, "alertname"), "PgNodeDown");
  // It ends a round later: nothing more to say.
  Alert check = firing("CheckFailing", "alpha", "aya", "warning");
  EXPECT_TRUE(g.update({resolved(check, kT0 + 72s)}, kT0 + 130s).empty());
}

TEST(GroupingSuppressed, AlertStillFiringAfterTheHoldIsAnnounced) {
  Grouper g(by_cluster(), "");
  ASSERT_EQ(node_back_with_check_failing(g).size(), 1u);
  // A real, lasting failure of the check: announced at the next tick.
  auto due = g.update({firing("CheckFailing", "alpha", "aya", "warning")}, kT0 + 130s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(nodes_of(due[0]), std::vector<std::string>{"alpha:firing"});
  EXPECT_EQ(label_value(due[0].notification.alerts[0].labels, "alertname"), "CheckFailing");
}

TEST(GroupingDefault, OneClusterIsOneGroup) {
  ReceiverConfig r = receiver();
  r.group_by = ReceiverConfig{}.group_by;
  Grouper g(r, "");
  Alert down = firing("PgNodeDown", "alpha");
  Alert no_primary = firing("PgNoPrimary", "");
  Alert check = firing("CheckFailing", "alpha", "aya", "warning");
  check.inhibited_by = {down.fingerprint()};
  EXPECT_TRUE(g.update({down, no_primary, check}, kT0).empty());
  auto due = g.update({down, no_primary, check}, kT0 + 10s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].notification.group_key, "ops:{cluster=\"aya\"}");
  EXPECT_EQ(due[0].notification.alerts.size(), 2u);
}

}  // namespace
}  // namespace pgw
