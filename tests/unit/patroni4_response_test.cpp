// Patroni 4.x bodies (tests/fixtures/captured/patroni_4.0.0_*, taken from
// Patroni 4.0.0's REST API documentation; see SOURCES.md there) through the
// same parsers as the captured 3.0.2 ones: role names, pause, DCS failsafe,
// synchronous and quorum members, and member lag.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "checks/patroni_response.h"

namespace pgw {
namespace {

std::string captured(const std::string& name) {
  std::ifstream in(std::string(PGWARDEN_SOURCE_DIR) + "/tests/fixtures/captured/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Patroni4Status, PrimaryRoleIsTheLeaderRole) {
  auto s = parse_patroni_status(captured("patroni_4.0.0_patroni_primary.json"));
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.state, "running");
  EXPECT_EQ(s.role, "primary");
  EXPECT_TRUE(is_leader_role(s.role));
  EXPECT_EQ(canonical_role(s.role), "primary");
  EXPECT_EQ(s.timeline, 1);
  EXPECT_EQ(s.dcs_last_seen, 1692356718.0);
  EXPECT_FALSE(s.paused);
  EXPECT_EQ(s.failsafe_active, false);
  EXPECT_FALSE(s.cluster_unlocked);
}

TEST(Patroni4Status, FailsafeModeOfAnUnlockedCluster) {
  auto s = parse_patroni_status(captured("patroni_4.0.0_patroni_failsafe.json"));
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.role, "replica");
  EXPECT_EQ(s.failsafe_active, true);
  EXPECT_TRUE(s.cluster_unlocked);
  EXPECT_FALSE(s.paused);
}

TEST(Patroni4Status, Paused) {
  auto s = parse_patroni_status(captured("patroni_4.0.0_patroni_paused.json"));
  ASSERT_EQ(s.error, "");
  EXPECT_TRUE(s.paused);
  EXPECT_EQ(s.failsafe_active, false);
}

TEST(Patroni4Status, The302BodiesStillParseTheSame) {
  auto s = parse_patroni_status(captured("patroni_3.0.2_patroni_leader.json"));
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.role, "master");
  EXPECT_EQ(canonical_role(s.role), "primary");
  EXPECT_EQ(s.failsafe_active, false);
  auto c = parse_patroni_cluster(captured("patroni_3.0.2_cluster_running.json"));
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[1].lag_bytes, 0.0);
  EXPECT_FALSE(c.members[1].replay_lag_bytes.has_value());  // 3.0.2 has only "lag"
  EXPECT_FALSE(c.paused);
}

TEST(Patroni4Cluster, StreamingReplicaWithReceiveAndReplayLag) {
  auto c = parse_patroni_cluster(captured("patroni_4.0.0_cluster_streaming.json"));
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_TRUE(c.has_leader());
  EXPECT_EQ(c.members[0].role, "leader");
  EXPECT_EQ(canonical_role(c.members[0].role), "primary");
  EXPECT_FALSE(c.members[0].lag_bytes.has_value());
  const auto& r = c.members[1];
  EXPECT_EQ(r.name, "patroni2");
  EXPECT_EQ(r.role, "replica");
  EXPECT_EQ(r.state, "streaming");
  EXPECT_EQ(r.timeline, 5);
  EXPECT_EQ(r.lag_bytes, 0.0);
  EXPECT_EQ(r.receive_lag_bytes, 0.0);
  EXPECT_EQ(r.replay_lag_bytes, 0.0);
  EXPECT_FALSE(is_sync_role(r.role));
}

// Hand-written from the role names Patroni 4 documents (its /metrics has
// patroni_sync_standby and patroni_quorum_standby): a paused cluster with a
// synchronous and a quorum standby, one lagging, one stopped ("unknown").
TEST(Patroni4Cluster, SyncAndQuorumMembersPauseAndLag) {
  auto c = parse_patroni_cluster(R"({"members": [
      {"name": "a", "role": "leader", "state": "running", "timeline": 3},
      {"name": "b", "role": "sync_standby", "state": "streaming", "timeline": 3,
       "receive_lag": 0, "replay_lag": 4096, "lag": 4096},
      {"name": "c", "role": "quorum_standby", "state": "streaming", "timeline": 3, "lag": 0},
      {"name": "d", "role": "replica", "state": "stopped", "lag": "unknown"}],
      "pause": true, "scope": "demo"})");
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.members.size(), 4u);
  EXPECT_TRUE(c.paused);
  EXPECT_TRUE(c.has_leader());
  EXPECT_TRUE(is_sync_role(c.members[1].role));
  EXPECT_TRUE(is_sync_role(c.members[2].role));
  EXPECT_FALSE(is_sync_role(c.members[3].role));
  EXPECT_EQ(c.members[1].replay_lag_bytes, 4096.0);
  EXPECT_EQ(c.members[1].lag_bytes, 4096.0);
  EXPECT_FALSE(c.members[3].lag_bytes.has_value());
  EXPECT_EQ(canonical_role("standby_leader"), "standby_leader");
}

}  // namespace
}  // namespace pgw
