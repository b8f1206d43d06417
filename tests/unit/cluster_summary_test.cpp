#include "checks/cluster_summary.h"

#include <gtest/gtest.h>

#include <optional>

namespace pgw {
namespace {

Sample node_sample(const std::string& name, const std::string& node, double v) {
  return Sample{name, {{"cluster", "aya"}, {"node", node}}, v};
}

std::optional<double> find(std::vector<Sample>& s, const std::string& name, const Labels& want) {
  for (const auto& x : s) {
    if (x.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : want) ok = ok && label_value(x.labels, k) == v;
    if (ok) return x.value;
  }
  return std::nullopt;
}

TEST(ClusterSummary, OnePrimaryTwoStandbys) {
  std::vector<Sample> in{
      node_sample("pgwarden_pg_in_recovery", "alpha", 0), node_sample("pgwarden_pg_wal_lsn_bytes", "alpha", 1000),
      node_sample("pgwarden_pg_in_recovery", "beta", 1),  node_sample("pgwarden_pg_wal_lsn_bytes", "beta", 400),
      node_sample("pgwarden_pg_in_recovery", "gamma", 1), node_sample("pgwarden_pg_wal_lsn_bytes", "gamma", 1000),
      node_sample("pgwarden_node_up", "alpha", 1)};
  VectorSink out;
  summarize_cluster(in, out);
  EXPECT_EQ(find(out.samples(), "pgwarden_cluster_primaries", {}), 1.0);
  EXPECT_EQ(find(out.samples(), "pgwarden_cluster_lag_bytes", {{"primary", "alpha"}, {"standby", "beta"}}), 600.0);
  EXPECT_EQ(find(out.samples(), "pgwarden_cluster_lag_bytes", {{"primary", "alpha"}, {"standby", "gamma"}}), 0.0);
  EXPECT_EQ(out.samples().size(), 3u);
  // The sink adds cluster; the check sets only primary/standby.
  for (const auto& s : out.samples()) EXPECT_EQ(label_value(s.labels, "node"), "");
}

TEST(ClusterSummary, StandbyAheadIsClampedAndSplitBrainPairsEveryPrimary) {
  std::vector<Sample> in{
      node_sample("pgwarden_pg_in_recovery", "alpha", 0), node_sample("pgwarden_pg_wal_lsn_bytes", "alpha", 100),
      node_sample("pgwarden_pg_in_recovery", "beta", 0),  node_sample("pgwarden_pg_wal_lsn_bytes", "beta", 300),
      node_sample("pgwarden_pg_in_recovery", "gamma", 1), node_sample("pgwarden_pg_wal_lsn_bytes", "gamma", 200)};
  VectorSink out;
  summarize_cluster(in, out);
  EXPECT_EQ(find(out.samples(), "pgwarden_cluster_primaries", {}), 2.0);
  EXPECT_EQ(find(out.samples(), "pgwarden_cluster_lag_bytes", {{"primary", "alpha"}, {"standby", "gamma"}}), 0.0);
  EXPECT_EQ(find(out.samples(), "pgwarden_cluster_lag_bytes", {{"primary", "beta"}, {"standby", "gamma"}}), 100.0);
  EXPECT_FALSE(find(out.samples(), "pgwarden_cluster_lag_bytes", {{"primary", "alpha"}, {"standby", "beta"}}));
}

TEST(ClusterSummary, ClientNodeIsNeitherPrimaryNorStandby) {
  std::vector<Sample> in{
      node_sample("pgwarden_pg_in_recovery", "alpha", 0), node_sample("pgwarden_pg_wal_lsn_bytes", "alpha", 1000),
      node_sample("pgwarden_pg_in_recovery", "beta", 1),  node_sample("pgwarden_pg_wal_lsn_bytes", "beta", 400),
      // the laptop's own server is out of recovery, with an unrelated LSN
      node_sample("pgwarden_pg_in_recovery", "air", 0),   node_sample("pgwarden_pg_wal_lsn_bytes", "air", 9000),
      Sample{"pgwarden_node_expected_role", {{"cluster", "aya"}, {"node", "air"}, {"role", "client"}}, 1},
      Sample{"pgwarden_node_expected_role", {{"cluster", "aya"}, {"node", "alpha"}, {"role", "primary"}}, 1}};
  VectorSink out;
  summarize_cluster(in, out);
  EXPECT_EQ(find(out.samples(), "pgwarden_cluster_primaries", {}), 1.0);
  EXPECT_EQ(find(out.samples(), "pgwarden_cluster_lag_bytes", {{"primary", "alpha"}, {"standby", "beta"}}), 600.0);
  EXPECT_EQ(out.samples().size(), 2u) << "no pair names air";
}

TEST(ClusterSummary, DownNodesAreIgnoredAndNoPrimaryIsZero) {
  std::vector<Sample> in{
      node_sample("pgwarden_node_up", "alpha", 0),
      node_sample("pgwarden_pg_in_recovery", "beta", 1), node_sample("pgwarden_pg_wal_lsn_bytes", "beta", 5)};
  VectorSink out;
  summarize_cluster(in, out);
  ASSERT_EQ(out.samples().size(), 1u);
  EXPECT_EQ(out.samples()[0].name, "pgwarden_cluster_primaries");
  EXPECT_EQ(out.samples()[0].value, 0.0);
}

TEST(ClusterSummary, EmptyInput) {
  VectorSink out;
  summarize_cluster({}, out);
  EXPECT_EQ(find(out.samples(), "pgwarden_cluster_primaries", {}), 0.0);
}

}  // namespace
}  // namespace pgw
