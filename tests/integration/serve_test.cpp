// End-to-end acceptance of `pgwarden serve` (issue "Exporter core") against a
// real primary + streaming standby on a physical slot. Every assertion polls
// /metrics with a deadline; the check interval and per-check timeout are 1 s.
//
// Deadlines: a change on a server is seen by the next round that starts
// after it (<= 1 interval), that round's checks finish within their timeout
// (1 s), and the snapshot is visible to the next scrape at once. That is
// 2-3 s in theory; we allow kReact = 8 s so that a 2-core machine busy with
// other builds and tests does not produce false failures, while a pgwarden
// that never reacts (or needs a restart) still fails clearly.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kReact = 8s;      // see the header comment
constexpr auto kStartup = 20s;   // first rounds after start: connections, slot, streaming

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_.wait_streaming(0);
    pg_.psql(PgCluster::kPrimary, "CREATE TABLE e2e_tick (x int)");
    WatchOptions o;
    o.state_dir = proc_.dir() + "/state";
    proc_.start(watch_config(pg_, o));
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << "---- pgwarden log ----\n" << proc_.log_text() << "----\n";
  }

  // Some WAL traffic, so pg_stat_replication's *_lag times are measured
  // (they turn NULL on a caught-up, idle standby).
  void tick() { pg_.psql(PgCluster::kPrimary, "INSERT INTO e2e_tick VALUES (1)"); }

  // Waits until both nodes are up with their roles (the baseline of every test).
  void expect_healthy_baseline() {
    ASSERT_TRUE(eventually_metrics(proc_, "both nodes up with their roles", kStartup,
                                   [&](const Exposition& m) {
                                     return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 &&
                                            m.value("pgwarden_node_up", {{"node", "beta"}}) == 1.0 &&
                                            m.value("pgwarden_pg_in_recovery", {{"node", "alpha"}}) == 0.0 &&
                                            m.value("pgwarden_pg_in_recovery", {{"node", "beta"}}) == 1.0;
                                   }));
  }

  PgCluster pg_;
  PgwardenProcess proc_;
};

// Every check_success series of `node` has `value` (and there is at least one).
bool all_checks(const Exposition& m, const std::string& node, double value) {
  auto series = m.find_all("pgwarden_check_success", {{"node", node}});
  if (series.empty()) return false;
  for (const auto* s : series)
    if (s->value != value) return false;
  return true;
}

TEST_F(ServeTest, ExportsRolesReplicationSlotsAndSelfMetrics) {
  expect_healthy_baseline();

  EXPECT_TRUE(eventually_metrics(proc_, "full replication picture of a healthy cluster", kStartup,
                                 [&](const Exposition& m) {
    tick();
    const LabelMatchers beta = {{"node", "alpha"}, {"application_name", "beta"}};
    for (const char* stage : {"sent", "write", "flush", "replay"}) {
      LabelMatchers l = beta;
      l["stage"] = stage;
      if (!m.find("pgwarden_replication_lag_bytes", l)) return false;
    }
    for (const char* stage : {"write", "flush", "replay"}) {
      LabelMatchers l = beta;
      l["stage"] = stage;
      if (!m.find("pgwarden_replication_lag_seconds", l)) return false;
    }
    return m.value("pgwarden_slot_active", {{"node", "alpha"}, {"slot", "beta_slot"}}) == 1.0 &&
           m.value("pgwarden_replication_expected_standby_connected", beta) == 1.0 &&
           m.value("pgwarden_cluster_primaries", {{"cluster", "e2e"}}) == 1.0 &&
           m.find("pgwarden_cluster_lag_bytes",
                  {{"cluster", "e2e"}, {"primary", "alpha"}, {"standby", "beta"}}) != nullptr &&
           all_checks(m, "alpha", 1) && all_checks(m, "beta", 1);
  }));

  // Labels every node series must carry, and the build info.
  Exposition m = parse_exposition(proc_.scrape());
  for (const auto* s : m.find_all("pgwarden_node_up"))
    EXPECT_EQ(s->labels.at("cluster"), "e2e") << s->str();
  const ExpoSample* build = m.find("pgwarden_build_info");
  ASSERT_NE(build, nullptr);
  EXPECT_FALSE(build->labels.count("version") == 0 || build->labels.at("version").empty());
  EXPECT_EQ(build->value, 1.0);
  EXPECT_EQ(m.type.count("pgwarden_node_up") ? m.type.at("pgwarden_node_up") : "", "gauge");

  HttpResult health = proc_.get("/healthz");
  EXPECT_EQ(health.status, 200) << health.error;
  HttpResult missing = proc_.get("/no-such-page");
  EXPECT_EQ(missing.status, 404);
}

TEST_F(ServeTest, StoppedStandbyIsReportedAndItsSeriesDisappear) {
  expect_healthy_baseline();
  ASSERT_TRUE(eventually_metrics(proc_, "beta connected", kStartup, [](const Exposition& m) {
    return m.value("pgwarden_replication_expected_standby_connected",
                   {{"node", "alpha"}, {"application_name", "beta"}}) == 1.0 &&
           m.count_prefix("pgwarden_standby_", {{"node", "beta"}}) > 0;
  }));

  pg_.stop_standby(0);

  EXPECT_TRUE(eventually_metrics(proc_, "standby gone: not connected, slot inactive", kReact,
                                 [](const Exposition& m) {
    return m.value("pgwarden_replication_expected_standby_connected",
                   {{"node", "alpha"}, {"application_name", "beta"}}) == 0.0 &&
           m.value("pgwarden_slot_active", {{"node", "alpha"}, {"slot", "beta_slot"}}) == 0.0;
  }));
  // A failed check exports no stale samples: nothing standby-side for beta,
  // no lag for a standby that is not connected, and beta is not up.
  EXPECT_TRUE(eventually_metrics(proc_, "no stale series of the stopped standby", kReact,
                                 [](const Exposition& m) {
    return m.count_prefix("pgwarden_standby_", {{"node", "beta"}}) == 0 &&
           m.find("pgwarden_pg_in_recovery", {{"node", "beta"}}) == nullptr &&
           m.find("pgwarden_pg_wal_lsn_bytes", {{"node", "beta"}}) == nullptr &&
           m.find("pgwarden_replication_lag_bytes", {{"application_name", "beta"}}) == nullptr &&
           m.value("pgwarden_node_up", {{"node", "beta"}}).value_or(0) == 0.0 &&
           all_checks(m, "beta", 0);
  }));
  // The primary itself stays healthy.
  Exposition m = parse_exposition(proc_.scrape());
  EXPECT_EQ(m.value("pgwarden_node_up", {{"node", "alpha"}}), 1.0);
  EXPECT_EQ(m.value("pgwarden_cluster_primaries", {{"cluster", "e2e"}}), 1.0);
}

TEST_F(ServeTest, PausedReplayShowsGrowingLagThatReturnsToZero) {
  expect_healthy_baseline();
  const LabelMatchers replay = {{"node", "alpha"}, {"application_name", "beta"}, {"stage", "replay"}};
  const LabelMatchers cluster_lag = {{"cluster", "e2e"}, {"primary", "alpha"}, {"standby", "beta"}};

  // "Back to 0" relies on the standby reporting its replay position in its
  // status messages; scripts/pgcluster sets wal_receiver_status_interval=1s.
  pg_.pause_replay(0);
  // About 8 MB of WAL while replay is paused.
  pg_.psql(PgCluster::kPrimary,
           "CREATE TABLE e2e_bulk AS SELECT g, repeat('x', 1000) AS pad "
           "FROM generate_series(1, 8000) g");
  constexpr double kGrown = 1e6;
  EXPECT_TRUE(eventually_metrics(proc_, "lag > 1 MB while replay is paused", kReact,
                                 [&](const Exposition& m) {
    return m.value("pgwarden_cluster_lag_bytes", cluster_lag).value_or(0) > kGrown &&
           m.value("pgwarden_replication_lag_bytes", replay).value_or(0) > kGrown &&
           m.value("pgwarden_standby_replay_paused", {{"node", "beta"}}) == 1.0;
  }));

  pg_.resume_replay(0);
  EXPECT_TRUE(eventually_metrics(proc_, "lag back to 0 after resume", 3 * kReact,
                                 [&](const Exposition& m) {
    return m.value("pgwarden_cluster_lag_bytes", cluster_lag) == 0.0 &&
           m.value("pgwarden_replication_lag_bytes", replay) == 0.0 &&
           m.value("pgwarden_standby_replay_paused", {{"node", "beta"}}) == 0.0;
  }));
}

TEST_F(ServeTest, FrozenPrimaryNeverBlocksScrapesAndRecoversAfterSigcont) {
  expect_healthy_baseline();
  ASSERT_TRUE(eventually_metrics(proc_, "all alpha checks succeed", kStartup,
                                 [](const Exposition& m) { return all_checks(m, "alpha", 1); }));
  const pid_t pgwarden_pid = proc_.pid();

  pg_.signal_node(PgCluster::kPrimary, SIGSTOP);
  // The fixture's destructor also resumes it; this is the normal path.
  struct Resume {
    PgCluster& pg;
    bool done = false;
    void operator()() {
      if (!done) pg.signal_node(PgCluster::kPrimary, SIGCONT);
      done = true;
    }
    ~Resume() {
      try {
        (*this)();
      } catch (...) {
      }
    }
  } resume{pg_};

  // Scrapes while checks hang on the frozen server: each must answer well
  // within a second. Spread over several check intervals.
  auto frozen_until = std::chrono::steady_clock::now() + 4s;
  int scrapes = 0;
  double slowest = 0;
  while (std::chrono::steady_clock::now() < frozen_until) {
    HttpResult r = proc_.get("/metrics", 3s);
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_LT(r.seconds, 1.0) << "scrape #" << scrapes << " while the primary is stopped";
    slowest = std::max(slowest, r.seconds);
    ++scrapes;
    std::this_thread::sleep_for(250ms);  // spacing between measurements, not synchronisation
  }
  EXPECT_GE(scrapes, 8);
  std::cerr << "scrapes while primary stopped: " << scrapes << ", slowest " << slowest * 1000
            << " ms\n";

  EXPECT_TRUE(eventually_metrics(proc_, "alpha's checks fail after their deadline", kReact,
                                 [](const Exposition& m) {
    return all_checks(m, "alpha", 0) &&
           m.value("pgwarden_node_up", {{"node", "alpha"}}).value_or(0) == 0.0 &&
           m.find("pgwarden_pg_in_recovery", {{"node", "alpha"}}) == nullptr;
  }));

  resume();
  EXPECT_TRUE(eventually_metrics(proc_, "alpha recovers after SIGCONT", 2 * kReact,
                                 [](const Exposition& m) {
    return all_checks(m, "alpha", 1) &&
           m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 &&
           m.value("pgwarden_pg_in_recovery", {{"node", "alpha"}}) == 0.0;
  }));
  EXPECT_TRUE(proc_.running());
  EXPECT_EQ(proc_.pid(), pgwarden_pid) << "pgwarden was restarted";
}

TEST_F(ServeTest, SighupRejectsABadConfigAndAppliesAGoodOne) {
  expect_healthy_baseline();
  const pid_t pgwarden_pid = proc_.pid();

  // A bad config is rejected with a clear error; the running one stays.
  proc_.write_config("[exporter]\ninterval = \"soon\"\n");
  proc_.reload();
  EXPECT_TRUE(poll_until([&] { return proc_.log_text().find("reload rejected") != std::string::npos; },
                         kReact))
      << proc_.log_text();
  EXPECT_TRUE(eventually_metrics(proc_, "old config still measured", kReact, [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"cluster", "e2e"}, {"node", "alpha"}}) == 1.0;
  }));

  // A good one replaces it, and series of the old cluster name disappear.
  WatchOptions o;
  o.cluster = "renamed";
  o.state_dir = proc_.dir() + "/state";
  proc_.write_config(watch_config(pg_, o));
  proc_.reload();
  EXPECT_TRUE(eventually_metrics(proc_, "new cluster name only", kReact, [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"cluster", "renamed"}, {"node", "alpha"}}) == 1.0 &&
           m.value("pgwarden_node_up", {{"cluster", "renamed"}, {"node", "beta"}}) == 1.0 &&
           m.find_all("pgwarden_node_up", {{"cluster", "e2e"}}).empty() &&
           m.find_all("pgwarden_check_success", {{"cluster", "e2e"}}).empty();
  }));
  EXPECT_TRUE(proc_.running());
  EXPECT_EQ(proc_.pid(), pgwarden_pid);
}

TEST_F(ServeTest, SigtermStopsPromptlyWithExitZero) {
  expect_healthy_baseline();
  auto t0 = std::chrono::steady_clock::now();
  std::optional<int> status = proc_.stop(10s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(describe_status(*status), "exit 0");
  EXPECT_LT(took, 5.0);
}

}  // namespace
}  // namespace pgw::test
