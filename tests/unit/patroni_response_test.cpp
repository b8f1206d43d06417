// Parsers of Patroni's /patroni and /cluster bodies, on responses captured
// from a real Patroni 3.0.2 + etcd 3.4 cluster (tests/fixtures/captured/)
// plus hand-written variants of other versions and garbage.
#include "checks/patroni_response.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace pgw {
namespace {

std::string captured(const std::string& name) {
  std::ifstream in(std::string(PGWARDEN_SOURCE_DIR) + "/tests/fixtures/captured/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PatroniStatus, Captured302Leader) {
  auto s = parse_patroni_status(captured("patroni_3.0.2_patroni_leader.json"));
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.state, "running");
  EXPECT_EQ(s.role, "master");
  EXPECT_EQ(s.timeline, 1);
  ASSERT_TRUE(s.dcs_last_seen.has_value());
  EXPECT_GT(*s.dcs_last_seen, 1.7e9);
  EXPECT_FALSE(s.pending_restart);
  EXPECT_FALSE(s.paused);
}

TEST(PatroniStatus, Captured302Replica) {
  auto s = parse_patroni_status(captured("patroni_3.0.2_patroni_replica.json"));
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.role, "replica");
  EXPECT_EQ(s.timeline, 1);
}

TEST(PatroniStatus, Captured302PromotedMovesTimeline) {
  auto s = parse_patroni_status(captured("patroni_3.0.2_patroni_promoted.json"));
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.role, "master");
  EXPECT_EQ(s.timeline, 2);
}

TEST(PatroniStatus, Captured302PendingRestartAndPause) {
  auto s = parse_patroni_status(captured("patroni_3.0.2_patroni_pending_restart.json"));
  ASSERT_EQ(s.error, "");
  EXPECT_TRUE(s.pending_restart);
  auto p = parse_patroni_status(captured("patroni_3.0.2_patroni_paused.json"));
  ASSERT_EQ(p.error, "");
  EXPECT_TRUE(p.paused);
  EXPECT_FALSE(p.pending_restart);
  // Patroni 3.0 sends failsafe_mode_is_active only while it is active.
  EXPECT_EQ(p.failsafe_active, false);
  EXPECT_FALSE(s.paused);
}

TEST(PatroniStatus, FailsafeActiveOnlyWhenKnown) {
  auto on = parse_patroni_status(
      R"({"state":"running","role":"master","failsafe_mode_is_active":true,"patroni":{"version":"3.0.2","scope":"x"}})");
  EXPECT_EQ(on.failsafe_active, true);
  // Before 3.0 (no failsafe mode) or without a version: unknown.
  auto old = parse_patroni_status(R"({"state":"running","role":"master","patroni":{"version":"2.1.4"}})");
  EXPECT_FALSE(old.failsafe_active.has_value());
  EXPECT_FALSE(parse_patroni_status(R"({"state":"running","role":"master"})").failsafe_active.has_value());
  EXPECT_EQ(parse_patroni_status(R"({"state":"running","role":"primary","patroni":{"version":"4.0.4"}})")
                .failsafe_active,
            false);
}

TEST(PatroniStatus, Patroni4PrimaryRoleKeptRaw) {
  auto s = parse_patroni_status(
      R"({"state":"running","role":"primary","timeline":7,"dcs_last_seen":1700000000})");
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.role, "primary");
  EXPECT_EQ(s.timeline, 7);
}

TEST(PatroniStatus, StoppedPostgresWithoutTimeline) {
  // What /patroni sends (with HTTP 503) when Patroni runs but PostgreSQL not.
  auto s = parse_patroni_status(R"({"state":"stopped","role":"replica","dcs_last_seen":1700000000})");
  ASSERT_EQ(s.error, "");
  EXPECT_EQ(s.state, "stopped");
  EXPECT_FALSE(s.timeline.has_value());
}

TEST(PatroniStatus, WrongTypesAreDroppedNotFatal) {
  auto s = parse_patroni_status(
      R"({"state":"running","role":"replica","timeline":"x","dcs_last_seen":[1],"pending_restart":"yes"})");
  ASSERT_EQ(s.error, "");
  EXPECT_FALSE(s.timeline.has_value());
  EXPECT_FALSE(s.dcs_last_seen.has_value());
  EXPECT_FALSE(s.pending_restart);
}

TEST(PatroniStatus, HugeAndNonIntegerTimelinesAreAbsent) {
  EXPECT_FALSE(parse_patroni_status(R"({"role":"replica","timeline":1e300})").timeline);
  EXPECT_FALSE(parse_patroni_status(R"({"role":"replica","timeline":99999999999999999999})").timeline);
  EXPECT_FALSE(parse_patroni_status(R"({"role":"replica","timeline":1.5})").timeline);
  EXPECT_FALSE(parse_patroni_status(R"({"role":"replica","timeline":-3})").timeline);
  EXPECT_FALSE(parse_patroni_status(R"({"role":"replica","dcs_last_seen":1e999})").dcs_last_seen);
}

TEST(PatroniStatus, GarbageGivesAnError) {
  for (const char* body : {"", "{", "null", "[]", "42", "\"master\"", "<html>502 Bad Gateway</html>",
                           R"({"state":1,"role":null})", R"({"foo":"bar"})"}) {
    auto s = parse_patroni_status(body);
    EXPECT_NE(s.error, "") << body;
  }
}

TEST(PatroniStatus, TruncatedCapturedBodyGivesAnError) {
  std::string full = captured("patroni_3.0.2_patroni_leader.json");
  for (size_t n = 0; n + 1 < full.size(); n += 7) EXPECT_NE(parse_patroni_status(full.substr(0, n)).error, "") << n;
}

TEST(PatroniCluster, Captured302Running) {
  auto c = parse_patroni_cluster(captured("patroni_3.0.2_cluster_running.json"));
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[0].name, "n1");
  EXPECT_EQ(c.members[0].role, "leader");
  EXPECT_FALSE(c.members[0].lag_bytes.has_value());
  EXPECT_EQ(c.members[1].role, "replica");
  EXPECT_EQ(c.members[1].lag_bytes, 0);
  EXPECT_EQ(c.members[1].timeline, 1);
  EXPECT_TRUE(c.has_leader());
}

TEST(PatroniCluster, Captured302AfterFailover) {
  auto c = parse_patroni_cluster(captured("patroni_3.0.2_cluster_after_failover.json"));
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[1].name, "n2");
  EXPECT_EQ(c.members[1].role, "leader");
  EXPECT_EQ(c.members[1].timeline, 2);
  EXPECT_EQ(c.members[0].lag_bytes, 400);
  EXPECT_TRUE(c.has_leader());
  EXPECT_EQ(parse_patroni_cluster(captured("patroni_3.0.2_cluster_member_stopped.json")).error, "");
}

TEST(PatroniCluster, UnknownLagIsAbsent) {
  auto c = parse_patroni_cluster(
      R"({"members":[{"name":"a","role":"leader","state":"running","timeline":2},)"
      R"({"name":"b","role":"replica","state":"stopped","lag":"unknown"}]})");
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_FALSE(c.members[1].lag_bytes.has_value());
  EXPECT_EQ(c.members[1].state, "stopped");
}

TEST(PatroniCluster, LeaderRoles) {
  auto leader_with = [](const std::string& role, const std::string& state) {
    return parse_patroni_cluster(R"({"members":[{"name":"a","role":")" + role + R"(","state":")" + state +
                                 R"("},{"name":"b","role":"replica","state":"running"}]})")
        .has_leader();
  };
  EXPECT_TRUE(leader_with("leader", "running"));
  EXPECT_TRUE(leader_with("master", "running"));
  EXPECT_TRUE(leader_with("primary", "running"));
  EXPECT_TRUE(leader_with("standby_leader", "streaming"));
  EXPECT_FALSE(leader_with("leader", "stopped"));
  EXPECT_FALSE(leader_with("leader", "crashed"));
  EXPECT_FALSE(leader_with("replica", "running"));
  EXPECT_FALSE(leader_with("sync_standby", "streaming"));
  EXPECT_FALSE(parse_patroni_cluster(R"({"members":[]})").has_leader());
}

TEST(PatroniCluster, GarbageGivesAnErrorAndNoLeader) {
  for (const char* body : {"", "{\"members\":[", "[]", R"({"members":{}})", R"({"members":"leader"})",
                           R"({"scope":"x"})"}) {
    auto c = parse_patroni_cluster(body);
    EXPECT_NE(c.error, "") << body;
    EXPECT_FALSE(c.has_leader()) << body;
  }
}

TEST(PatroniCluster, NonObjectMembersAreSkipped) {
  auto c = parse_patroni_cluster(R"({"members":[1,"x",null,{"name":"a","role":"leader","state":"running"}]})");
  ASSERT_EQ(c.error, "");
  ASSERT_EQ(c.members.size(), 1u);
  EXPECT_TRUE(c.has_leader());
}

}  // namespace
}  // namespace pgw
