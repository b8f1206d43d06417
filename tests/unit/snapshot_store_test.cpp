// SnapshotStore::cluster_node_samples reads one cluster's key range.
#include <gtest/gtest.h>

#include "exporter/snapshot_store.h"

namespace pgw {
namespace {

CheckResult result(std::string cluster, std::string node, std::string check, bool ok, double value) {
  CheckResult r;
  r.cluster = std::move(cluster);
  r.node = std::move(node);
  r.check = std::move(check);
  r.success = ok;
  r.samples.push_back({"m", {{"cluster", r.cluster}, {"node", r.node}}, value});
  return r;
}

TEST(SnapshotStore, ClusterNodeSamplesAreThatClustersSuccessfulNodeResultsOnly) {
  SnapshotStore store;
  store.put(result("a", "n1", "recovery", true, 1));
  store.put(result("a", "n2", "recovery", true, 2));
  store.put(result("a", "n2", "slots", false, 3));     // failed: no samples
  store.put(result("a", "", "cluster", true, 4));      // cluster scope: not a node's
  store.put(result("ab", "n1", "recovery", true, 5));  // a cluster whose name extends "a"
  store.put(result("", "", "round", true, 6));         // process-wide entry
  store.put(result("0", "n1", "recovery", true, 7));   // sorts before "a"

  std::vector<double> values;
  for (const Sample& s : store.cluster_node_samples("a")) values.push_back(s.value);
  EXPECT_EQ(values, (std::vector<double>{1, 2}));
  EXPECT_EQ(store.cluster_node_samples("ab").size(), 1u);
  EXPECT_TRUE(store.cluster_node_samples("b").empty());
}

}  // namespace
}  // namespace pgw
