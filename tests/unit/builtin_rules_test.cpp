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
      "BackupTooOld", "DataDirPermissions", "SshHostKeyUnverified", "SyncQueueBacklog", "CheckFailing", "Watchdog"};
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
