// Failover readiness (issue 17) on a real primary + standby watched by
// `pgwarden serve`: healthy and idle -> ready with RPO 0 B / 0 s for a
// window; replay paused + writes -> replay_paused, PgFailoverNotReady at a
// webhook sink, rpo_bytes back at 0 (the WAL is received; the replay
// backlog is cluster_lag_bytes); standby stopped + writes -> not_streaming
// and rpo_bytes growing; the sync standby dropped from
// synchronous_standby_names -> sync_missing. Each resolves when undone.
//
// PGWARDEN_FAILOVER_IDLE_SECONDS sets the healthy idle window (default 60;
// the acceptance figure is 600).
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/fixtures/alert_payload.h"
#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/webhook_sink.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kSettle = 60s;  // a few 1 s rounds, generous for a loaded machine

int idle_window_seconds() {
  const char* v = std::getenv("PGWARDEN_FAILOVER_IDLE_SECONDS");
  int s = v ? std::atoi(v) : 0;
  return s > 0 ? s : 60;
}

std::optional<double> standby_value(const Exposition& e, const std::string& name) {
  return e.value(name, {{"cluster", "e2e"}, {"standby", "beta"}});
}
bool ready(const Exposition& e) { return e.value("pgwarden_cluster_failover_ready", {{"cluster", "e2e"}}) == 1.0; }
bool blocked_by(const Exposition& e, const std::string& reason) {
  return e.value("pgwarden_cluster_failover_blocker", {{"cluster", "e2e"}, {"standby", "beta"}, {"reason", reason}}) ==
         1.0;
}
bool ready_with_zero_rpo(const Exposition& e) {
  return ready(e) && standby_value(e, "pgwarden_cluster_rpo_bytes") == 0.0 &&
         standby_value(e, "pgwarden_cluster_rpo_seconds") == 0.0 &&
         !e.find("pgwarden_cluster_failover_blocker", {{"cluster", "e2e"}});
}

class FailoverReadiness : public ::testing::Test {
 protected:
  void start(bool sync) {
    PgClusterOptions o;
    o.sync = sync;
    pg_ = std::make_unique<PgCluster>(o);
    pg_->wait_streaming(0);
    WatchOptions w;
    w.state_dir = proc_.dir() + "/state";
    w.extra_toml = webhook_alerting_toml(sink_.url("/hook"));
    config_ = watch_config(*pg_, w);
    if (sync) {
      // alpha expects beta to be its synchronous standby.
      auto at = config_.find("expected_slots = [");
      at = config_.find('\n', at);
      config_.insert(at + 1, "sync_standbys = [\"beta\"]\n");
    }
    proc_.start(config_);
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "---- failover metrics ----\n";
      try {
        std::string body = proc_.scrape();
        for (const char* p : {"pgwarden_cluster_", "pgwarden_standby_", "pgwarden_replication_", "pgwarden_slot_"})
          std::cerr << grep_metrics(body, p);
      } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
      }
    }
  }
  // `pgwarden check --format text` on the same config.
  std::string check_text() {
    write_file(proc_.dir() + "/check.toml", config_, /*private_mode=*/true);
    return run_pgwarden("check -c " + shell_quote(proc_.dir() + "/check.toml") + " --format text").out;
  }
  void write(int rows = 20000) {
    pg_->psql(PgCluster::kPrimary,
              "CREATE TABLE IF NOT EXISTS t (n int); INSERT INTO t SELECT generate_series(1, " +
                  std::to_string(rows) + ")");
  }

  std::unique_ptr<PgCluster> pg_;
  WebhookSink sink_;
  PgwardenProcess proc_;
  std::string config_;
};

TEST_F(FailoverReadiness, HealthyIdlePrimaryIsReadyWithZeroRpoForTheWindow) {
  start(/*sync=*/true);
  ASSERT_TRUE(eventually_metrics(proc_, "ready, RPO 0 B / 0 s, no blocker", kSettle, ready_with_zero_rpo));

  // The verdict holds on an idle primary: a growing "time since the last
  // commit" must not show up as RPO.
  const int window = idle_window_seconds();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(window);
  int scrapes = 0, bad = 0;
  std::string first_bad;
  while (std::chrono::steady_clock::now() < until) {
    std::string body = proc_.scrape();
    auto e = parse_exposition(body);
    ++scrapes;
    if (!ready_with_zero_rpo(e)) {
      if (!bad++) first_bad = grep_metrics(body, "pgwarden_cluster_");
    }
    std::this_thread::sleep_for(1s);  // pacing the scrapes, not synchronisation
  }
  std::cout << "idle window " << window << " s: " << scrapes << " scrapes, " << bad << " not ready/0/0\n";
  EXPECT_EQ(bad, 0) << first_bad;

  // The warning follows what the primary really has.
  bool hints = pg_->psql(PgCluster::kPrimary, "SHOW wal_log_hints") == "on";
  bool checksums = pg_->psql(PgCluster::kPrimary, "SHOW data_checksums") == "on";
  auto e = parse_exposition(proc_.scrape());
  EXPECT_EQ(e.value("pgwarden_cluster_failover_warning", {{"cluster", "e2e"}, {"reason", "rewind_impossible"}})
                .has_value(),
            !hints && !checksums);

  // The same verdict in words on the status page and from `check`.
  const std::string line = "ready: beta can take over, RPO 0 B / 0 s";
  auto page = proc_.get("/");
  EXPECT_NE(page.body.find("Failover: " + line), std::string::npos) << page.body;
  std::string text = check_text();
  EXPECT_NE(text.find("e2e failover: " + line), std::string::npos) << text;
}

TEST_F(FailoverReadiness, PausedReplayBlocksButLosesNoWal) {
  start(/*sync=*/false);
  write(10);  // a replayed commit, so the standby has a replay timestamp
  ASSERT_TRUE(poll_until(
      [&] { return pg_->psql(1, "SELECT pg_last_xact_replay_timestamp() IS NOT NULL") == "t"; }, kSettle));
  ASSERT_TRUE(eventually_metrics(proc_, "ready with RPO 0 B / 0 s", kSettle, ready_with_zero_rpo));
  size_t since = sink_.count();

  pg_->pause_replay(0);
  write();
  ASSERT_TRUE(eventually_metrics(proc_, "not ready: replay_paused, rpo_bytes 0, replay backlog > 0", kSettle,
                                 [](const Exposition& e) {
                                   return !ready(e) && blocked_by(e, "replay_paused") &&
                                          standby_value(e, "pgwarden_cluster_rpo_bytes") == 0.0 &&
                                          e.value("pgwarden_cluster_lag_bytes", {{"cluster", "e2e"}, {"standby", "beta"}})
                                                  .value_or(0) > 0 &&
                                          standby_value(e, "pgwarden_cluster_rpo_seconds").value_or(0) > 0;
                                 }));
  expect_webhook_firing(sink_, {{"alertname", "PgFailoverNotReady"}, {"standby", "beta"}, {"reason", "replay_paused"}},
                        /*with_node=*/false, since, kSettle);
  std::string text = check_text();
  EXPECT_NE(text.find("e2e failover: not ready: beta replay paused"), std::string::npos) << text;
  auto page = proc_.get("/");
  EXPECT_NE(page.body.find("Failover: not ready: beta replay paused"), std::string::npos) << page.body;

  size_t before_resume = sink_.count();
  pg_->resume_replay(0);
  EXPECT_TRUE(eventually_metrics(proc_, "ready again after resume", kSettle, ready_with_zero_rpo));
  expect_webhook_resolved(sink_, {{"alertname", "PgFailoverNotReady"}, {"reason", "replay_paused"}}, before_resume,
                          kSettle);
}

TEST_F(FailoverReadiness, StoppedStandbyIsNotStreamingAndItsRpoGrows) {
  start(/*sync=*/false);
  ASSERT_TRUE(eventually_metrics(proc_, "ready with RPO 0 B / 0 s", kSettle, ready_with_zero_rpo));

  pg_->stop_standby(0);
  write();
  double first = 0;
  ASSERT_TRUE(eventually_metrics(proc_, "not_streaming with rpo_bytes > 0", kSettle, [&](const Exposition& e) {
    first = standby_value(e, "pgwarden_cluster_rpo_bytes").value_or(0);
    return !ready(e) && blocked_by(e, "not_streaming") && first > 0;
  }));
  write();
  ASSERT_TRUE(eventually_metrics(proc_, "rpo_bytes grows with more writes", kSettle, [&](const Exposition& e) {
    return blocked_by(e, "not_streaming") && standby_value(e, "pgwarden_cluster_rpo_bytes").value_or(0) > first;
  }));

  pg_->start_standby(0);
  pg_->wait_streaming(0);
  EXPECT_TRUE(eventually_metrics(proc_, "ready with RPO 0 once it streams again", kSettle, ready_with_zero_rpo));
}

TEST_F(FailoverReadiness, SyncStandbyDroppedFromSynchronousStandbyNamesIsSyncMissing) {
  start(/*sync=*/true);
  ASSERT_TRUE(eventually_metrics(proc_, "ready with RPO 0 B / 0 s", kSettle, ready_with_zero_rpo));
  const std::string names = pg_->psql(PgCluster::kPrimary, "SHOW synchronous_standby_names");
  ASSERT_FALSE(names.empty());

  pg_->psql(PgCluster::kPrimary, "ALTER SYSTEM SET synchronous_standby_names = ''");
  pg_->psql(PgCluster::kPrimary, "SELECT pg_reload_conf()");
  ASSERT_TRUE(eventually_metrics(proc_, "not ready: sync_missing", kSettle,
                                 [](const Exposition& e) { return !ready(e) && blocked_by(e, "sync_missing"); }));

  pg_->psql(PgCluster::kPrimary, "ALTER SYSTEM SET synchronous_standby_names = '" + names + "'");
  pg_->psql(PgCluster::kPrimary, "SELECT pg_reload_conf()");
  EXPECT_TRUE(eventually_metrics(proc_, "ready again with beta synchronous", kSettle, ready_with_zero_rpo));
}

}  // namespace
}  // namespace pgw::test
