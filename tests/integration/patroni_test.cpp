// The "patroni", "patroni_cluster" and "etcd" checks against a real etcd 3.4
// and two real Patroni 3.x nodes (Debian packages patroni, etcd-server) on
// loopback, run as the `postgres` user: roles, leader, and a failover after
// the leader's Patroni gets SIGTERM — with the "recovery" module watching the
// timeline move on the promoted node.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "checks/check.h"
#include "core/http_client.h"
#include "checks/patroni_response.h"
#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/patroni_lab.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;

using test::PatroniLab;

Config lab_config(const PatroniLab& lab) {
  Config config;
  ClusterConfig cluster;
  cluster.name = "hc";
  for (int i = 0; i < 2; ++i) {
    NodeConfig node;
    node.name = "n" + std::to_string(i);
    node.role = i == 0 ? Role::Primary : Role::Standby;
    node.conninfo = "host=127.0.0.1 port=" + std::to_string(lab.pg_port(i)) + " dbname=postgres user=postgres";
    node.patroni = PatroniConfig{lab.rest_url(i), Duration(2000)};
    cluster.nodes.push_back(node);
  }
  cluster.etcd.push_back(EtcdConfig{lab.etcd_url(), Duration(2000), {}});
  config.clusters.push_back(cluster);
  return config;
}

// Runs the registered checks of `module` on one node (node >= 0) or on the
// cluster (node < 0) and returns their samples; `threw` tells a check failure.
struct ModuleRun {
  std::vector<Sample> samples;
  bool threw = false;
  std::string error;
  std::optional<double> get(const std::string& name, const Labels& labels = {}) const {
    for (const auto& s : samples) {
      if (s.name != "pgwarden_" + name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) match = match && label_value(s.labels, k) == v;
      if (match) return s.value;
    }
    return std::nullopt;
  }
};

ModuleRun run_module(const Config& config, const std::string& module, int node,
               std::map<std::string, double>* memory = nullptr, PgSession* pg = nullptr) {
  ModuleRun run;
  const ClusterConfig& cluster = config.clusters.at(0);
  bool found = false;
  for (auto& check : create_checks(config)) {
    if (check->name() != module) continue;
    found = true;
    NodeFacts facts;
    CheckContext ctx;
    ctx.cluster = &cluster;
    ctx.facts = &facts;
    ctx.memory = memory;
    ctx.pg = pg;
    ctx.deadline = Deadline::in(5s);
    if (node >= 0) {
      ctx.node = &cluster.nodes.at(node);
      EXPECT_EQ(check->scope(), Scope::Node) << module;
      if (!check->applies_to(*ctx.node)) continue;
    } else {
      EXPECT_EQ(check->scope(), Scope::Cluster) << module;
    }
    VectorSink sink;
    try {
      check->collect(ctx, sink);
    } catch (const std::exception& e) {
      run.threw = true;
      run.error = e.what();
    }
    for (auto& s : sink.samples()) run.samples.push_back(s);
  }
  if (!found) ADD_FAILURE() << "module " << module << " is not registered";
  return run;
}

TEST(PatroniChecks, RolesLeaderAndFailoverWithTimelineChange) {
  if (!test::have_patroni_tools()) GTEST_SKIP() << "needs Debian packages patroni, etcd-server and postgresql-15";
  PatroniLab lab;
  lab.start_patroni(0);
  ASSERT_TRUE(test::poll_until(
      [&] {
        auto s = lab.status(0);
        return s.state == "running" && is_leader_role(s.role);
      },
      90s))
      << "n0 did not become leader; see " << lab.dir() << "/patroni0.log";
  lab.start_patroni(1);
  ASSERT_TRUE(test::poll_until(
      [&] {
        auto s = lab.status(1);
        return s.state == "running" && s.role == "replica";
      },
      90s))
      << "n1 did not become a running replica";
  Config config = lab_config(lab);

  // Roles as Patroni 3.x reports them: the leader is "master".
  ModuleRun n0 = run_module(config, "patroni", 0);
  ASSERT_FALSE(n0.threw) << n0.error;
  EXPECT_EQ(n0.get("patroni_up"), 1);
  EXPECT_EQ(n0.get("patroni_role", {{"role", "master"}}), 1);
  EXPECT_EQ(n0.get("patroni_timeline"), 1);
  EXPECT_EQ(n0.get("patroni_pending_restart"), 0);
  EXPECT_EQ(n0.get("patroni_paused"), 0);
  EXPECT_EQ(n0.get("patroni_failsafe_active"), 0);  // 3.0.2: known, not active
  ASSERT_TRUE(n0.get("patroni_dcs_last_seen_age_seconds"));
  EXPECT_GE(*n0.get("patroni_dcs_last_seen_age_seconds"), 0);
  EXPECT_LT(*n0.get("patroni_dcs_last_seen_age_seconds"), 30);
  ModuleRun n1 = run_module(config, "patroni", 1);
  EXPECT_EQ(n1.get("patroni_up"), 1);
  EXPECT_EQ(n1.get("patroni_role", {{"role", "replica"}}), 1);
  EXPECT_FALSE(n1.get("patroni_role", {{"role", "master"}}));
  EXPECT_EQ(n1.get("patroni_timeline"), 1);

  ModuleRun leader = run_module(config, "patroni_cluster", -1);
  ASSERT_FALSE(leader.threw) << leader.error;
  EXPECT_EQ(leader.get("cluster_has_leader"), 1);
  ModuleRun etcd = run_module(config, "etcd", -1);
  ASSERT_FALSE(etcd.threw) << etcd.error;
  EXPECT_EQ(etcd.get("etcd_healthy", {{"endpoint", lab.etcd_url()}}), 1);

  // The recovery module watches n1's timeline across the failover.
  PgSession pg1(config.clusters[0].nodes[1].conninfo, "");
  std::map<std::string, double> memory1;
  ModuleRun before = run_module(config, "recovery", 1, &memory1, &pg1);
  ASSERT_FALSE(before.threw) << before.error;
  EXPECT_EQ(before.get("pg_in_recovery"), 1);
  EXPECT_EQ(before.get("pg_timeline_id"), 1);
  EXPECT_EQ(before.get("pg_timeline_changed_timestamp_seconds"), 0);

  // Failover: SIGTERM to the leader's Patroni releases the leader lock.
  lab.stop_patroni(0);
  ModuleRun promoted;
  ASSERT_TRUE(test::poll_until(
      [&] {
        promoted = run_module(config, "patroni", 1);
        return promoted.get("patroni_role", {{"role", "master"}}) == 1.0 &&
               promoted.get("patroni_timeline") == 2.0;
      },
      60s))
      << "n1 was not promoted to timeline 2; see " << lab.dir() << "/patroni1.log";
  EXPECT_EQ(promoted.get("patroni_up"), 1);
  EXPECT_EQ(run_module(config, "patroni", 0).get("patroni_up"), 0);  // its API is gone
  ModuleRun still_leader = run_module(config, "patroni_cluster", -1);       // n0 refused, n1 answers
  ASSERT_FALSE(still_leader.threw) << still_leader.error;
  EXPECT_EQ(still_leader.get("cluster_has_leader"), 1);

  ModuleRun after;
  ASSERT_TRUE(test::poll_until(
      [&] {
        after = run_module(config, "recovery", 1, &memory1, &pg1);
        return after.get("pg_in_recovery") == 0.0 && after.get("pg_timeline_id") == 2.0;
      },
      30s))
      << "recovery never saw n1 as a primary on timeline 2: " << after.error;
  ASSERT_TRUE(after.get("pg_timeline_changed_timestamp_seconds"));
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(*after.get("pg_timeline_changed_timestamp_seconds"), now - 120);
  EXPECT_LE(*after.get("pg_timeline_changed_timestamp_seconds"), now + 1);

  // No Patroni answers: the leader is unknown, so the cluster check fails
  // rather than claim "no leader"; node checks say patroni_up 0.
  lab.stop_patroni(1);
  ModuleRun none = run_module(config, "patroni_cluster", -1);
  EXPECT_TRUE(none.threw);
  EXPECT_FALSE(none.get("cluster_has_leader"));
  ModuleRun n1_down = run_module(config, "patroni", 1);
  EXPECT_FALSE(n1_down.threw);
  EXPECT_EQ(n1_down.get("patroni_up"), 0);

  // etcd stopped: unhealthy is a measurement, not a check failure.
  lab.stop_etcd();
  ModuleRun etcd_down = run_module(config, "etcd", -1);
  EXPECT_FALSE(etcd_down.threw) << etcd_down.error;
  EXPECT_EQ(etcd_down.get("etcd_healthy", {{"endpoint", lab.etcd_url()}}), 0);
}

TEST(PatroniChecks, NotAppliedWithoutPatroniAndSilentWithoutEtcd) {
  Config config;
  ClusterConfig cluster;
  cluster.name = "plain";
  NodeConfig node;
  node.name = "a";
  cluster.nodes.push_back(node);
  config.clusters.push_back(cluster);
  for (auto& c : create_checks(config)) {
    if (c->name() == "patroni") {
      EXPECT_FALSE(c->applies_to(config.clusters[0].nodes[0]));
    }
  }
  ModuleRun leader = run_module(config, "patroni_cluster", -1);
  EXPECT_FALSE(leader.threw);
  EXPECT_TRUE(leader.samples.empty());
  ModuleRun etcd = run_module(config, "etcd", -1);
  EXPECT_FALSE(etcd.threw);
  EXPECT_TRUE(etcd.samples.empty());
}

TEST(PatroniChecks, EndpointLabelHidesCredentials) {
  Config config;
  ClusterConfig cluster;
  cluster.name = "c";
  int port = test::free_port();  // nothing listens: unhealthy
  cluster.etcd.push_back(
      EtcdConfig{"http://root:s3cret@127.0.0.1:" + std::to_string(port) + "/", Duration(1000), {}});
  config.clusters.push_back(cluster);
  ModuleRun etcd = run_module(config, "etcd", -1);
  EXPECT_FALSE(etcd.threw);
  ASSERT_EQ(etcd.samples.size(), 1u);
  EXPECT_EQ(label_value(etcd.samples[0].labels, "endpoint"), "http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(etcd.samples[0].value, 0);
}

}  // namespace
}  // namespace pgw

namespace pgw {
namespace {

// Failover readiness (issue 17) on the Patroni pair: the replica tagged
// nofailover is blocked (reason nofailover, not ready), and clearing the
// tag (Patroni reload) makes the cluster ready again.
TEST(PatroniChecks, NofailoverTagBlocksFailoverUntilCleared) {
  if (!test::have_patroni_tools()) GTEST_SKIP() << "needs Debian packages patroni, etcd-server and postgresql-15";
  PatroniLab lab;
  lab.set_nofailover(1, true);
  lab.start_patroni(0);
  ASSERT_TRUE(test::poll_until([&] { return lab.status(0).state == "running" && is_leader_role(lab.status(0).role); },
                               90s))
      << "n0 did not become leader; see " << lab.dir() << "/patroni0.log";
  lab.start_patroni(1);
  ASSERT_TRUE(test::poll_until([&] { return lab.status(1).state == "running" && lab.status(1).role == "replica"; },
                               90s))
      << "n1 did not become a running replica";

  test::PgwardenProcess proc;
  std::string toml = "[exporter]\ninterval = \"1s\"\ntimeout = \"2s\"\nstate_dir = \"" + proc.dir() +
                     "/state\"\n\n[[clusters]]\nname = \"hc\"\n\n";
  for (int i = 0; i < 2; ++i)
    toml += "[[clusters.nodes]]\nname = \"n" + std::to_string(i) + "\"\nrole = \"auto\"\nconninfo = \"host=127.0.0.1 port=" +
            std::to_string(lab.pg_port(i)) + " dbname=postgres user=postgres\"\npatroni = { url = \"" + lab.rest_url(i) +
            "\" }\n\n";
  toml += "[[clusters.etcd]]\nurl = \"" + lab.etcd_url() + "\"\n";
  proc.start(toml);

  auto blocker = [](const test::Exposition& e, const std::string& reason) {
    return e.value("pgwarden_cluster_failover_blocker", {{"cluster", "hc"}, {"standby", "n1"}, {"reason", reason}});
  };
  EXPECT_TRUE(test::eventually_metrics(proc, "n1 blocked by nofailover", 60s, [&](const test::Exposition& e) {
    return e.value("pgwarden_cluster_failover_ready", {{"cluster", "hc"}}) == 0.0 && blocker(e, "nofailover") == 1.0 &&
           e.value("pgwarden_patroni_nofailover", {{"cluster", "hc"}, {"node", "n1"}}) == 1.0;
  })) << test::grep_metrics(proc.scrape(), "pgwarden_cluster_");

  lab.set_nofailover(1, false);
  ASSERT_TRUE(lab.reload(1));
  EXPECT_TRUE(test::eventually_metrics(proc, "ready once the tag is gone", 60s, [&](const test::Exposition& e) {
    return e.value("pgwarden_cluster_failover_ready", {{"cluster", "hc"}}) == 1.0 && !blocker(e, "nofailover") &&
           e.value("pgwarden_cluster_failover_candidate", {{"cluster", "hc"}, {"standby", "n1"}}) == 1.0;
  })) << test::grep_metrics(proc.scrape(), "pgwarden_cluster_");
}

}  // namespace
}  // namespace pgw
