// Evaluates the series of tests/promtool/builtin_rules_test.yml with
// pgwarden's RuleEngine and expects the alerts that promtool expects there
// (tests/integration/promtool_rules_test.cpp runs promtool on that file).
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "alerts/builtin_rules.h"
#include "alerts/rule_engine.h"
#include "alerts/promql_parser.h"

using namespace pgw;
using namespace std::chrono_literals;

namespace {

const TimePoint t0 = TimePoint(std::chrono::seconds(1'700'000'000));

// Values at minutes 0..3, as in the promtool file.
std::vector<Sample> series_at(int minute) {
  auto v = [&](std::initializer_list<double> values) { return *(values.begin() + minute); };
  return {
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "alpha"}}, v({1, 0, 0, 0})},
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "air"}}, 0},
      {"pgwarden_node_expected_role", {{"cluster", "aya"}, {"node", "alpha"}, {"role", "primary"}}, 1},
      {"pgwarden_node_expected_role", {{"cluster", "aya"}, {"node", "air"}, {"role", "client"}}, 1},
      {"pgwarden_cluster_primaries", {{"cluster", "aya"}}, v({1, 2, 2, 2})},
      {"pgwarden_replication_lag_bytes",
       {{"cluster", "aya"}, {"node", "alpha"}, {"application_name", "beta"}, {"client_addr", "10.0.0.2"}, {"stage", "replay"}},
       v({0, 20e6, 20e6, 20e6})},
      {"pgwarden_host_filesystem_free_bytes", {{"cluster", "aya"}, {"node", "alpha"}, {"path", "/data"}}, 8},
      {"pgwarden_host_filesystem_size_bytes", {{"cluster", "aya"}, {"node", "alpha"}, {"path", "/data"}}, 100},
      {"pgwarden_host_path_mode", {{"cluster", "aya"}, {"node", "alpha"}, {"path", "/data"}}, v({448, 511, 511, 511})},
  };
}

// Firing alerts of one name after evaluating minutes 0..minute.
std::vector<Alert> firing(const std::string& name, int minute) {
  RuleEngine e{Config{}};
  for (int m = 0; m <= minute; ++m) e.evaluate(series_at(m), t0 + std::chrono::minutes(m));
  std::vector<Alert> out;
  for (auto& a : e.active_alerts())
    if (a.name() == name && a.state == AlertState::Firing) out.push_back(a);
  return out;
}

void expect_one(const std::string& name, int minute, Labels labels, std::string summary, std::string description) {
  SCOPED_TRACE(name);
  auto a = firing(name, minute);
  ASSERT_EQ(a.size(), 1u);
  labels.emplace_back("alertname", name);
  normalize(labels);
  EXPECT_EQ(a[0].labels, labels);
  EXPECT_EQ(a[0].annotations.at("summary"), summary);
  EXPECT_EQ(a[0].annotations.at("description"), description);
}

}  // namespace

TEST(BuiltinRules, SameAlertsAsPromtoolTest) {
  EXPECT_TRUE(firing("PgNodeDown", 1).empty());
  expect_one("PgNodeDown", 3, {{"severity", "critical"}, {"cluster", "aya"}, {"node", "alpha"}},
             "PostgreSQL on alpha (aya) is unreachable",
             "pgwarden could not connect to PostgreSQL on node alpha of cluster aya.");
  expect_one("PgSplitBrain", 1, {{"severity", "critical"}, {"cluster", "aya"}},
             "Cluster aya has 2 primaries (split brain)",
             "More than one node of cluster aya is out of recovery and accepts writes.");
  expect_one("PgReplicationLagHigh", 3,
             {{"severity", "warning"}, {"cluster", "aya"}, {"node", "alpha"}, {"application_name", "beta"},
              {"client_addr", "10.0.0.2"}, {"stage", "replay"}},
             "Replication lag of beta (aya) is high",
             "Replay lag is 20M (bytes, or seconds for the time-based measure); thresholds 10000000 bytes / 5 s.");
  expect_one("HostDiskSpaceLow", 3, {{"severity", "warning"}, {"cluster", "aya"}, {"node", "alpha"}, {"path", "/data"}},
             "Filesystem of /data on alpha (aya) has 8% free", "Free space is below 10% of the filesystem.");
  expect_one("DataDirPermissions", 3,
             {{"severity", "warning"}, {"cluster", "aya"}, {"node", "alpha"}, {"path", "/data"}},
             "Data directory /data on alpha (aya) has unsafe permissions",
             "Mode is 511 (decimal); PostgreSQL requires 0700 (448) or 0750 (488).");
  expect_one("Watchdog", 0, {{"severity", "none"}}, "pgwarden alerting pipeline is alive",
             "This alert always fires. Route it to a dead man's switch that pages when it stops arriving.");
}

TEST(BuiltinRules, EveryContractNameIsPresentParsesAndHasSummary) {
  const std::set<std::string> names = {
      "PgNodeDown", "PgNoPrimary", "PgSplitBrain", "PgRoleMismatch", "PgStandbyNotStreaming",
      "PgReplicationLagHigh", "PgSyncReplicationDegraded", "PgReplicationSlotInactive",
      "PgReplicationSlotMissing", "PgReplicationSlotRetainingWal", "PgArchiverFailing", "PgTimelineChanged",
      "EmbedderDown", "EmbedderDimensionMismatch", "PatroniNoLeader", "EtcdUnhealthy", "HostDiskSpaceLow",
      "BackupTooOld", "DataDirPermissions", "SshHostKeyUnverified", "SyncQueueBacklog", "CheckFailing", "Watchdog",
      "PatroniPaused",
      "PgReplicationSlotInvalidated", "PgReplicationSlotWalAtRisk", "PgLongTransaction", "PgXminHorizonHeld",
      "PgTransactionIdWraparound", "PgArchiveBacklog", "PgSubscriptionErrors",
      "PgReplicationSlotWalLossPredicted", "HostDiskFillPredicted", "PgFailoverNotReady"};
  Config c;
  ClusterConfig cl;
  cl.name = "aya";
  NodeConfig n;
  n.name = "alpha";
  n.sync_standbys = {"beta", "we.ird\"name"};
  cl.nodes.push_back(n);
  c.clusters.push_back(cl);
  std::set<std::string> seen;
  for (const auto& r : builtin_rules(c)) {
    seen.insert(r.alert);
    EXPECT_NO_THROW(promql::parse(r.expr)) << r.alert << ": " << r.expr;
    EXPECT_TRUE(r.labels.count("severity")) << r.alert;
    EXPECT_TRUE(r.annotations.count("summary")) << r.alert;
  }
  EXPECT_EQ(seen, names);
  EXPECT_TRUE(validate_rules(c).empty());
}

TEST(BuiltinRules, ClientNodesNeverRaiseNodeDownAndDisabledRulesAreOff) {
  EXPECT_TRUE(firing("PgNodeDown", 3).size() == 1);  // alpha only, never air (client)
  Config c;
  c.alerts.disabled = {"Watchdog"};
  for (const auto& d : rule_definitions(c)) EXPECT_NE(d.alert, "Watchdog");
  c.alerts.builtin = false;
  EXPECT_TRUE(rule_definitions(c).empty());
}

TEST(BuiltinRules, SyncDegradedOnlyForConfiguredSyncStandbys) {
  Config c;
  ClusterConfig cl;
  cl.name = "aya";
  NodeConfig n;
  n.name = "alpha";
  n.sync_standbys = {"beta"};
  cl.nodes.push_back(n);
  c.clusters.push_back(cl);
  c.alerts.for_ = Duration(0);
  RuleEngine e(c);
  e.evaluate({{"pgwarden_replication_sync", {{"cluster", "aya"}, {"node", "alpha"}, {"application_name", "beta"}}, 0},
              {"pgwarden_replication_sync", {{"cluster", "aya"}, {"node", "alpha"}, {"application_name", "gamma"}}, 0}},
             t0);
  int n_sync = 0;
  for (const auto& a : e.active_alerts())
    if (a.name() == "PgSyncReplicationDegraded") {
      ++n_sync;
      EXPECT_EQ(label_value(a.labels, "application_name"), "beta");
    }
  EXPECT_EQ(n_sync, 1);
}

namespace {

// Active alerts named `name` after one evaluation of `samples` with `for` 0.
std::vector<Alert> active_now(const Config& c, const std::string& name, const std::vector<Sample>& samples) {
  RuleEngine e(c);
  e.evaluate(samples, t0);
  std::vector<Alert> out;
  for (auto& a : e.active_alerts())
    if (a.name() == name) out.push_back(a);
  return out;
}

Config auto_pair_config() {
  Config c;
  c.alerts.for_ = Duration(0);
  ClusterConfig cl;
  cl.name = "hc";
  cl.sync_standbys = {"n0", "n1"};
  for (const char* name : {"n0", "n1"}) {
    NodeConfig n;
    n.name = name;
    n.role = Role::Auto;
    cl.nodes.push_back(n);
  }
  c.clusters.push_back(cl);
  return c;
}

Sample s(const std::string& name, Labels labels, double v) { return {name, std::move(labels), v}; }

}  // namespace

// Role auto: no PgRoleMismatch whatever PostgreSQL reports, but a node that
// is down is down (PgNodeDown ignores only clients).
TEST(BuiltinRules, AutoRoleNeverMismatchesButIsDownWhenDown) {
  Config c = auto_pair_config();
  std::vector<Sample> samples = {
      s("pgwarden_pg_in_recovery", {{"cluster", "hc"}, {"node", "n0"}}, 0),
      s("pgwarden_pg_expected_primary", {{"cluster", "hc"}, {"node", "n0"}}, 0),
      s("pgwarden_node_expected_role", {{"cluster", "hc"}, {"node", "n0"}, {"role", "auto"}}, 1),
      s("pgwarden_pg_in_recovery", {{"cluster", "hc"}, {"node", "fixed"}}, 0),
      s("pgwarden_pg_expected_primary", {{"cluster", "hc"}, {"node", "fixed"}}, 0),
      s("pgwarden_node_expected_role", {{"cluster", "hc"}, {"node", "fixed"}, {"role", "standby"}}, 1),
      s("pgwarden_node_up", {{"cluster", "hc"}, {"node", "n1"}}, 0),
      s("pgwarden_node_expected_role", {{"cluster", "hc"}, {"node", "n1"}, {"role", "auto"}}, 1),
  };
  auto mismatch = active_now(c, "PgRoleMismatch", samples);
  ASSERT_EQ(mismatch.size(), 1u);  // the fixed standby that is a primary, not n0
  EXPECT_EQ(label_value(mismatch[0].labels, "node"), "fixed");
  auto down = active_now(c, "PgNodeDown", samples);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(label_value(down[0].labels, "node"), "n1");
}

// Cluster-level sync_standbys are judged on the one primary of the cluster,
// whichever it is, and not while the cluster has two primaries.
TEST(BuiltinRules, ClusterSyncStandbysFollowTheOnePrimary) {
  Config c = auto_pair_config();
  auto round = [](const char* primary, const char* standby, double primaries) {
    return std::vector<Sample>{
        s("pgwarden_cluster_primaries", {{"cluster", "hc"}}, primaries),
        s("pgwarden_pg_in_recovery", {{"cluster", "hc"}, {"node", primary}}, 0),
        s("pgwarden_pg_in_recovery", {{"cluster", "hc"}, {"node", standby}}, primaries > 1 ? 0 : 1),
        s("pgwarden_replication_sync",
          {{"cluster", "hc"}, {"node", primary}, {"application_name", standby}, {"client_addr", "127.0.0.1"}}, 0),
    };
  };
  for (auto [primary, standby] : {std::pair{"n0", "n1"}, std::pair{"n1", "n0"}}) {
    SCOPED_TRACE(primary);
    auto a = active_now(c, "PgSyncReplicationDegraded", round(primary, standby, 1));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(label_value(a[0].labels, "node"), primary);
    EXPECT_EQ(label_value(a[0].labels, "application_name"), standby);
    EXPECT_TRUE(active_now(c, "PgSyncReplicationDegraded", round(primary, standby, 2)).empty());
  }
  // A WAL sender of a standby (cascading) is not the primary's business.
  auto cascade = round("n0", "n1", 1);
  cascade.push_back(s("pgwarden_replication_sync",
                      {{"cluster", "hc"}, {"node", "n1"}, {"application_name", "n0"}, {"client_addr", "x"}}, 0));
  EXPECT_EQ(active_now(c, "PgSyncReplicationDegraded", cascade).size(), 1u);
}

TEST(BuiltinRules, PatroniPausedIsInfoWhileItLasts) {
  Config c = auto_pair_config();
  auto a = active_now(c, "PatroniPaused", {s("pgwarden_patroni_paused", {{"cluster", "hc"}, {"node", "n0"}}, 1),
                                           s("pgwarden_patroni_paused", {{"cluster", "hc"}, {"node", "n1"}}, 0)});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].state, AlertState::Firing);
  EXPECT_EQ(label_value(a[0].labels, "severity"), "info");
  EXPECT_EQ(label_value(a[0].labels, "node"), "n0");
  EXPECT_EQ(a[0].annotations.at("summary"), "Patroni on n0 (hc) is paused (maintenance mode)");
}
