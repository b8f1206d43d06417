// decide_failover() on fixed facts: every reason, and the adapter
// (the registered "failover_readiness" check) on fixed samples.
#include "checks/failover_readiness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "checks/check.h"

namespace pgw {
namespace {

// A healthy primary + one streaming, replaying, sync standby with an active slot.
FailoverFacts healthy() {
  FailoverFacts f;
  f.primaries = 1;
  f.primary_timeline = 1;
  f.wal_log_hints = true;
  f.data_checksums = false;
  FailoverStandbyFacts s;
  s.node = "beta";
  s.reachable = true;
  s.receiver_streaming = true;
  s.primary_row_streaming = true;
  s.replay_lag_bytes = 0;
  s.timeline = 1;
  s.slot_active = true;
  f.standbys.push_back(s);
  return f;
}

std::vector<std::string> reasons(const FailoverVerdict& v, const std::string& standby = "beta") {
  std::vector<std::string> out;
  for (const auto& b : v.blockers)
    if (b.standby == standby) out.push_back(b.reason);
  return out;
}

TEST(FailoverReadiness, HealthyIsReady) {
  auto v = decide_failover(healthy());
  EXPECT_TRUE(v.ready);
  EXPECT_EQ(v.candidates, std::vector<std::string>{"beta"});
  EXPECT_TRUE(v.blockers.empty());
  EXPECT_TRUE(v.warnings.empty());
}

struct Case {
  const char* reason;
  void (*change)(FailoverFacts&);
};

const Case kCases[] = {
    {"no_primary", [](FailoverFacts& f) { f.primaries = 0; }},
    {"multiple_primaries", [](FailoverFacts& f) { f.primaries = 2; }},
    {"not_streaming", [](FailoverFacts& f) { f.standbys[0].receiver_streaming = false; }},
    {"not_streaming", [](FailoverFacts& f) { f.standbys[0].primary_row_streaming = false; }},
    {"not_replaying", [](FailoverFacts& f) { f.standbys[0].replay_stalled = true; }},
    {"not_replaying", [](FailoverFacts& f) { f.standbys[0].has_replay_lsn = false; }},
    {"replay_paused", [](FailoverFacts& f) { f.standbys[0].replay_paused = true; }},
    {"replay_behind", [](FailoverFacts& f) { f.standbys[0].replay_lag_bytes = 17.0 * 1024 * 1024; }},
    {"sync_missing",
     [](FailoverFacts& f) {
       f.sync_configured = true;
       f.standbys[0].expected_sync = true;
     }},
    {"slot_inactive", [](FailoverFacts& f) { f.standbys[0].slot_active = false; }},
    {"slot_invalidated", [](FailoverFacts& f) { f.standbys[0].slot_invalidated = true; }},
    {"timeline_mismatch", [](FailoverFacts& f) { f.standbys[0].timeline = 2; }},
    {"patroni_not_running",
     [](FailoverFacts& f) {
       f.standbys[0].patroni = true;
       f.standbys[0].patroni_running = false;
     }},
    {"nofailover",
     [](FailoverFacts& f) {
       f.standbys[0].patroni = true;
       f.standbys[0].nofailover = true;
     }},
    {"patroni_paused", [](FailoverFacts& f) { f.patroni_paused = true; }},
    {"no_leader", [](FailoverFacts& f) { f.has_leader = false; }},
    {"etcd_unhealthy", [](FailoverFacts& f) { f.etcd_unhealthy = true; }},
};

TEST(FailoverReadiness, EveryReasonAloneBlocksTheOnlyStandby) {
  for (const auto& c : kCases) {
    FailoverFacts f = healthy();
    c.change(f);
    auto v = decide_failover(f);
    EXPECT_FALSE(v.ready) << c.reason;
    EXPECT_EQ(reasons(v), std::vector<std::string>{c.reason}) << c.reason;
    EXPECT_TRUE(v.candidates.empty()) << c.reason;
  }
}

TEST(FailoverReadiness, AnotherUnblockedStandbyKeepsTheClusterReady) {
  for (const auto& c : kCases) {
    std::string reason = c.reason;
    bool cluster_wide = reason == "no_primary" || reason == "multiple_primaries" || reason == "patroni_paused" ||
                        reason == "no_leader" || reason == "etcd_unhealthy";
    FailoverFacts f = healthy();
    f.standbys.push_back(f.standbys[0]);
    f.standbys[1].node = "gamma";
    c.change(f);  // changes beta (standbys[0]) or the whole cluster
    auto v = decide_failover(f);
    // No standby is sync in the sync_missing case: gamma is blocked as well.
    EXPECT_EQ(v.ready, !cluster_wide && reason != "sync_missing") << reason;
    if (cluster_wide) {
      EXPECT_EQ(reasons(v, "gamma"), std::vector<std::string>{reason});
    } else if (reason != "sync_missing") {
      EXPECT_EQ(v.candidates, std::vector<std::string>{"gamma"}) << reason;
    }
  }
}

TEST(FailoverReadiness, PausedReplayIsNotAlsoCalledStalled) {
  FailoverFacts f = healthy();
  f.standbys[0].replay_paused = true;
  f.standbys[0].replay_stalled = true;
  EXPECT_EQ(reasons(decide_failover(f)), std::vector<std::string>{"replay_paused"});
}

TEST(FailoverReadiness, ReplayBehindThresholdIsConfigurableAndExclusive) {
  FailoverFacts f = healthy();
  f.replay_behind_bytes = 1000;
  f.standbys[0].replay_lag_bytes = 1000;
  EXPECT_TRUE(decide_failover(f).ready);
  f.standbys[0].replay_lag_bytes = 1001;
  EXPECT_EQ(reasons(decide_failover(f)), std::vector<std::string>{"replay_behind"});
}

TEST(FailoverReadiness, SyncSetupBlocksAsyncStandbyOnlyWhenNoStandbyIsSync) {
  FailoverFacts f = healthy();
  f.sync_configured = true;
  f.standbys[0].sync = true;
  f.standbys.push_back(f.standbys[0]);
  f.standbys[1].node = "gamma";
  f.standbys[1].sync = false;  // async beside a sync beta: fine
  auto v = decide_failover(f);
  EXPECT_EQ(v.candidates, (std::vector<std::string>{"beta", "gamma"}));
  f.standbys[0].sync = false;  // nobody sync any more
  v = decide_failover(f);
  EXPECT_FALSE(v.ready);
  EXPECT_EQ(reasons(v, "gamma"), std::vector<std::string>{"sync_missing"});
}

TEST(FailoverReadiness, UnreachableStandbyFollowsThePrimarysView) {
  FailoverFacts f = healthy();
  f.standbys[0].reachable = false;
  f.standbys[0].receiver_streaming = false;
  f.standbys[0].primary_row_streaming = std::nullopt;  // no row: it is gone
  EXPECT_EQ(reasons(decide_failover(f)), std::vector<std::string>{"not_streaming"});
  f.standbys[0].primary_row_streaming = true;  // pgwarden cannot reach it, the primary can
  EXPECT_TRUE(decide_failover(f).ready);
}

TEST(FailoverReadiness, NoStandbyAtAll) {
  FailoverFacts f = healthy();
  f.standbys.clear();
  auto v = decide_failover(f);
  EXPECT_FALSE(v.ready);
  ASSERT_EQ(v.blockers.size(), 1u);
  EXPECT_EQ(v.blockers[0], (FailoverBlocker{"", "no_standby"}));
}

TEST(FailoverReadiness, RewindImpossibleIsAWarningNotABlocker) {
  FailoverFacts f = healthy();
  f.wal_log_hints = false;
  f.data_checksums = false;
  auto v = decide_failover(f);
  EXPECT_TRUE(v.ready);
  EXPECT_EQ(v.warnings, std::vector<std::string>{"rewind_impossible"});
  f.data_checksums = true;
  EXPECT_TRUE(decide_failover(f).warnings.empty());
  f.data_checksums = std::nullopt;  // unknown: no claim
  f.wal_log_hints = false;
  EXPECT_TRUE(decide_failover(f).warnings.empty());
}

// --- the adapter on fixed samples -------------------------------------------

Sample ns(const std::string& name, const std::string& node, double v, Labels extra = {}) {
  extra.emplace_back("cluster", "aya");
  extra.emplace_back("node", node);
  normalize(extra);
  return Sample{name, extra, v};
}

std::optional<double> get(std::vector<Sample>& s, const std::string& name, const Labels& want) {
  for (const auto& x : s) {
    if (x.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : want) ok = ok && label_value(x.labels, k) == v;
    if (ok) return x.value;
  }
  return std::nullopt;
}

// sync_standbys on the node (a fixed topology) or on the cluster (the
// Patroni form, role auto); the verdict must read either.
enum class SyncAt { Node, Cluster };

struct Adapter {
  Config config;
  std::unique_ptr<Check> check;
  explicit Adapter(SyncAt sync_at = SyncAt::Node) {
    ClusterConfig c;
    c.name = "aya";
    NodeConfig alpha, beta;
    alpha.name = "alpha";
    if (sync_at == SyncAt::Node) alpha.sync_standbys = {"beta"};
    else c.sync_standbys = {"alpha", "beta"};
    beta.name = "beta";
    beta.role = Role::Standby;
    c.nodes = {alpha, beta};
    config.clusters.push_back(c);
    for (auto& ch : create_checks(config))
      if (ch->name() == "failover_readiness") check = std::move(ch);
  }
  std::vector<Sample> run(const std::vector<Sample>& in, double now = 1000) {
    VectorSink sink;
    CheckContext ctx;
    ctx.cluster = &config.clusters[0];
    ctx.cluster_samples = &in;
    ctx.now = std::chrono::system_clock::time_point(std::chrono::seconds(static_cast<long long>(now)));
    check->collect(ctx, sink);
    return sink.samples();
  }
};

std::vector<Sample> healthy_samples() {
  Labels row{{"application_name", "beta"}, {"client_addr", "127.0.0.1"}};
  Labels flush = row;
  flush.emplace_back("stage", "flush");
  return {
      ns("pgwarden_pg_in_recovery", "alpha", 0),
      ns("pgwarden_pg_wal_lsn_bytes", "alpha", 5000),
      ns("pgwarden_pg_timeline_id", "alpha", 1),
      ns("pgwarden_pg_wal_log_hints", "alpha", 0),
      ns("pgwarden_pg_data_checksums", "alpha", 0),
      ns("pgwarden_replication_streaming", "alpha", 1, row),
      ns("pgwarden_replication_sync", "alpha", 1, row),
      ns("pgwarden_replication_lag_bytes", "alpha", 0, flush),
      ns("pgwarden_slot_active", "alpha", 1, {{"slot", "beta_slot"}, {"slot_type", "physical"}}),
      ns("pgwarden_slot_retained_bytes", "alpha", 0, {{"slot", "beta_slot"}}),
      ns("pgwarden_pg_in_recovery", "beta", 1),
      ns("pgwarden_pg_wal_lsn_bytes", "beta", 5000),
      ns("pgwarden_pg_timeline_id", "beta", 1),
      ns("pgwarden_standby_wal_receiver_streaming", "beta", 1),
      ns("pgwarden_standby_replay_paused", "beta", 0),
      ns("pgwarden_standby_receive_replay_lag_bytes", "beta", 0),
      ns("pgwarden_standby_received_lsn_bytes", "beta", 5000),
      ns("pgwarden_standby_replay_age_seconds", "beta", 3600),
      ns("pgwarden_standby_upstream_info", "beta", 1, {{"application_name", "beta"}, {"slot", "beta_slot"}}),
  };
}

TEST(FailoverReadinessCheck, HealthyIdlePrimaryIsReadyWithZeroRpo) {
  Adapter a;
  ASSERT_TRUE(a.check);
  auto out = a.run(healthy_samples());
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_ready", {}), 1.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_candidate", {{"standby", "beta"}}), 1.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_rpo_bytes", {{"standby", "beta"}}), 0.0);
  // An hour since the last commit on an idle primary is not an RPO.
  EXPECT_EQ(get(out, "pgwarden_cluster_rpo_seconds", {{"standby", "beta"}}), 0.0);
  EXPECT_FALSE(get(out, "pgwarden_cluster_failover_blocker", {}));
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_warning", {{"reason", "rewind_impossible"}}), 1.0);
}

TEST(FailoverReadinessCheck, CommitTimestampsGiveRpoSeconds) {
  Adapter a;
  auto in = healthy_samples();
  in.push_back(ns("pgwarden_pg_last_commit_timestamp_seconds", "alpha", 900));
  in.push_back(ns("pgwarden_standby_last_replay_timestamp_seconds", "beta", 900));
  auto out = a.run(in);
  EXPECT_EQ(get(out, "pgwarden_cluster_rpo_seconds", {{"standby", "beta"}}), 0.0);
  in.back().value = 870;
  out = a.run(in);
  EXPECT_EQ(get(out, "pgwarden_cluster_rpo_seconds", {{"standby", "beta"}}), 30.0);
}

TEST(FailoverReadinessCheck, PausedReplayKeepsRpoBytesZero) {
  Adapter a;
  auto in = healthy_samples();
  for (auto& s : in) {
    if (s.name == "pgwarden_standby_replay_paused") s.value = 1;
    if (s.name == "pgwarden_standby_receive_replay_lag_bytes") s.value = 4000;
    if (s.name == "pgwarden_pg_wal_lsn_bytes" && label_value(s.labels, "node") == "beta") s.value = 1000;
    if (s.name == "pgwarden_standby_replay_age_seconds") s.value = 720;
  }
  auto out = a.run(in);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_ready", {}), 0.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_blocker", {{"standby", "beta"}, {"reason", "replay_paused"}}), 1.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_rpo_bytes", {{"standby", "beta"}}), 0.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_rpo_seconds", {{"standby", "beta"}}), 720.0);
}

TEST(FailoverReadinessCheck, StoppedStandbyUsesItsSlotForRpoBytes) {
  Adapter a;
  a.run(healthy_samples());  // it told its slot once
  std::vector<Sample> in;
  for (const auto& s : healthy_samples())
    if (label_value(s.labels, "node") == "alpha" && s.name.rfind("pgwarden_replication_", 0) != 0) in.push_back(s);
  for (auto& s : in) {
    if (s.name == "pgwarden_slot_active") s.value = 0;
    if (s.name == "pgwarden_slot_retained_bytes") s.value = 123456;
  }
  in.push_back(ns("pgwarden_node_up", "beta", 0));
  auto out = a.run(in);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_ready", {}), 0.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_blocker", {{"standby", "beta"}, {"reason", "not_streaming"}}), 1.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_blocker", {{"standby", "beta"}, {"reason", "slot_inactive"}}), 1.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_blocker", {{"standby", "beta"}, {"reason", "sync_missing"}}), 1.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_rpo_bytes", {{"standby", "beta"}}), 123456.0);
}

TEST(FailoverReadinessCheck, ClusterLevelSyncStandbysMakeAnAsyncStandbySyncMissing) {
  for (SyncAt at : {SyncAt::Node, SyncAt::Cluster}) {
    Adapter a(at);
    auto in = healthy_samples();
    // A second standby that is sync, so beta is blocked only because it is
    // expected to be sync and is not.
    for (auto& s : in)
      if (s.name == "pgwarden_replication_sync") s.value = 0;
    in.push_back(ns("pgwarden_replication_sync", "alpha", 1,
                    {{"application_name", "gamma"}, {"client_addr", "127.0.0.2"}}));
    auto out = a.run(in);
    EXPECT_EQ(get(out, "pgwarden_cluster_failover_blocker", {{"standby", "beta"}, {"reason", "sync_missing"}}), 1.0)
        << (at == SyncAt::Node ? "node-level" : "cluster-level") << " sync_standbys";
  }
}

TEST(FailoverReadinessCheck, ReplayStandingStillWithWalWaitingIsNotReplaying) {
  Adapter a;
  auto in = healthy_samples();
  for (auto& s : in)
    if (s.name == "pgwarden_standby_receive_replay_lag_bytes") s.value = 4000;
  auto out = a.run(in, 1000);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_ready", {}), 1.0);
  out = a.run(in, 1059);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_ready", {}), 1.0);
  out = a.run(in, 1061);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_blocker", {{"standby", "beta"}, {"reason", "not_replaying"}}), 1.0);
}

TEST(FailoverReadinessCheck, EtcdAndPatroniFactsFromClusterScopeSamples) {
  Adapter a;
  auto in = healthy_samples();
  in.push_back(Sample{"pgwarden_etcd_healthy", {{"cluster", "aya"}, {"endpoint", "http://e1"}}, 0});
  in.push_back(Sample{"pgwarden_cluster_has_leader", {{"cluster", "aya"}}, 0});
  auto out = a.run(in);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_blocker", {{"standby", "beta"}, {"reason", "etcd_unhealthy"}}), 1.0);
  EXPECT_EQ(get(out, "pgwarden_cluster_failover_blocker", {{"standby", "beta"}, {"reason", "no_leader"}}), 1.0);
}

}  // namespace
}  // namespace pgw
