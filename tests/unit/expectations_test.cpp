// Which expectations a node carries in a round (checks/expectations.h): the
// node's own always; the cluster's on the one primary, minus itself.
#include <gtest/gtest.h>

#include "checks/expectations.h"

namespace pgw {
namespace {

using Names = std::vector<std::string>;

ClusterConfig patroni_pair() {
  ClusterConfig c;
  c.name = "aya";
  c.expected_standbys = {"alpha", "beta"};
  c.expected_slots = {"alpha", "beta"};
  c.sync_standbys = {"alpha", "beta"};
  for (const char* name : {"alpha", "beta"}) {
    NodeConfig n;
    n.name = name;
    n.role = Role::Auto;
    c.nodes.push_back(n);
  }
  return c;
}

TEST(Expectations, TheOnePrimaryCarriesTheClusterListMinusItself) {
  ClusterConfig c = patroni_pair();
  auto alpha = expectations_for(c, c.nodes[0], /*in_recovery=*/false, {"alpha"});
  EXPECT_EQ(alpha.standbys, Names{"beta"});
  EXPECT_EQ(alpha.slots, Names{"beta"});
  // After a switchover: beta reports primary, alpha no longer does.
  auto beta = expectations_for(c, c.nodes[1], false, {"beta"});
  EXPECT_EQ(beta.standbys, Names{"alpha"});
  EXPECT_EQ(beta.slots, Names{"alpha"});
  auto old_primary = expectations_for(c, c.nodes[0], /*in_recovery=*/true, {"beta"});
  EXPECT_TRUE(old_primary.standbys.empty());
  EXPECT_TRUE(old_primary.slots.empty());
}

TEST(Expectations, NothingKnownYetCountsAsTheOnlyPrimary) {
  ClusterConfig c = patroni_pair();
  auto first = expectations_for(c, c.nodes[1], false, {});
  EXPECT_EQ(first.standbys, Names{"alpha"});
}

TEST(Expectations, TwoPrimariesOrAStandbyCarryNoClusterExpectation) {
  ClusterConfig c = patroni_pair();
  // Split brain: the other node still reported itself primary last round
  // (also the round of a switchover before the old primary is seen demoted).
  EXPECT_TRUE(expectations_for(c, c.nodes[1], false, {"alpha", "beta"}).standbys.empty());
  EXPECT_TRUE(expectations_for(c, c.nodes[1], false, {"alpha"}).slots.empty());
  EXPECT_FALSE(holds_cluster_expectations(c.nodes[1], false, {"alpha"}));
  EXPECT_TRUE(holds_cluster_expectations(c.nodes[1], false, {"beta"}));
  EXPECT_FALSE(holds_cluster_expectations(c.nodes[1], true, {}));
}

TEST(Expectations, ClientNodesNeverCarryThem) {
  ClusterConfig c = patroni_pair();
  NodeConfig air;
  air.name = "air";
  air.role = Role::Client;
  EXPECT_FALSE(holds_cluster_expectations(air, false, {}));
  EXPECT_TRUE(expectations_for(c, air, false, {}).standbys.empty());
}

TEST(Expectations, NodeLevelOnesStayWhateverTheNodeReports) {
  ClusterConfig c;
  c.name = "chain";
  NodeConfig beta;  // a cascading standby feeding gamma
  beta.name = "beta";
  beta.role = Role::Standby;
  beta.expected_standbys = {"gamma"};
  beta.expected_slots = {"gamma_slot"};
  c.nodes.push_back(beta);
  auto e = expectations_for(c, beta, /*in_recovery=*/true, {"alpha"});
  EXPECT_EQ(e.standbys, Names{"gamma"});
  EXPECT_EQ(e.slots, Names{"gamma_slot"});
}

TEST(Expectations, NodeAndClusterListsMergeWithoutDuplicates) {
  ClusterConfig c = patroni_pair();
  NodeConfig alpha;
  alpha.name = "alpha";
  alpha.role = Role::Primary;
  alpha.expected_standbys = {"beta", "backup"};
  auto e = expectations_for(c, alpha, false, {"alpha"});
  EXPECT_EQ(e.standbys, (Names{"beta", "backup"}));
  EXPECT_EQ(e.slots, Names{"beta"});
}

TEST(Expectations, SlotsNamedAsPatroniNamesTheMemberAreSkippedOnIt) {
  ClusterConfig c;
  c.name = "pg";
  c.expected_slots = {"pg_node_1", "pg_node_2"};
  NodeConfig n;
  n.name = "pg-node.1";
  n.role = Role::Auto;
  EXPECT_EQ(expectations_for(c, n, false, {}).slots, Names{"pg_node_2"});
}

TEST(Expectations, PatroniSlotName) {
  EXPECT_EQ(patroni_slot_name("alpha"), "alpha");
  EXPECT_EQ(patroni_slot_name("Node-1.example"), "node_1_example");
  EXPECT_EQ(patroni_slot_name("a b+"), "au0032bu0043");
  EXPECT_EQ(patroni_slot_name(std::string(70, 'x')).size(), 63u);
}

}  // namespace
}  // namespace pgw
