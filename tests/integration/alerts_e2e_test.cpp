// End-to-end acceptance of the built-in PostgreSQL alert pack: a real
// primary + streaming standby, `pgwarden serve` watching it with `for = 0s`
// and a webhook receiver pointed at a real HTTP sink. Each test injects
// faults, waits (polling, with a deadline) for the firing Alertmanager-v4
// notification, undoes the faults and waits for the resolved one.
//
// Deadlines: a fault is seen by the next round (1 s interval, 1 s check
// timeout), evaluated right after it, and sent with group_wait 0s /
// group_interval 1s: 3-4 s in theory. kReact = 20 s leaves room for a busy
// 2-core machine while a rule that never fires still fails clearly.
#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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
using Labels = std::map<std::string, std::string>;

constexpr auto kReact = 20s;     // see the header comment
constexpr auto kStartup = 30s;   // first rounds after start: connections, slot, streaming

// Replaces the one occurrence of `from` in `text`; fails loudly otherwise so a
// changed watch_config() cannot silently turn a test into a no-op.
std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  if (pos == std::string::npos || text.find(from, pos + 1) != std::string::npos)
    throw std::runtime_error("config does not contain exactly one \"" + from + "\":\n" + text);
  return text.replace(pos, from.size(), to);
}

class AlertsE2ETest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) return;
    std::cerr << "---- webhook alerts received ----\n";
    for (const auto& a : webhook_alerts(sink_.requests())) std::cerr << "  " << a.str() << "\n";
    std::cerr << "---- /alerts ----\n" << proc_.get("/alerts").body;
    std::cerr << "---- pgwarden log ----\n" << proc_.log_text() << "----\n";
  }

  void start_cluster(PgClusterOptions options = {}) {
    pg_ = std::make_unique<PgCluster>(options);
    pg_->wait_streaming(0);
  }

  // [alerts] with every built-in rule firing at once, `alerts_extra` lines
  // added, and one webhook receiver sending to the sink.
  std::string alerting_toml(const std::string& alerts_extra = "") const {
    return "[alerts]\nfor = \"0s\"\n" + alerts_extra +
           "\n[[receivers]]\nname = \"sink\"\ntype = \"webhook\"\n"
           "url = \"" + sink_.url("/hook") + "\"\n"
           "group_wait = \"0s\"\ngroup_interval = \"1s\"\nrepeat_interval = \"1h\"\n"
           "send_resolved = true\n";
  }

  std::string base_config(const std::string& extra_toml) const {
    WatchOptions o;
    o.state_dir = proc_.dir() + "/state";
    o.extra_toml = extra_toml;
    return watch_config(*pg_, o);
  }

  void start_pgwarden(const std::string& config) { proc_.start(config); }

  void expect_healthy_baseline() {
    ASSERT_TRUE(eventually_metrics(proc_, "both nodes up with their roles and the slot active", kStartup,
                                   [&](const Exposition& m) {
                                     return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 &&
                                            m.value("pgwarden_node_up", {{"node", "beta"}}) == 1.0 &&
                                            m.value("pgwarden_pg_in_recovery", {{"node", "beta"}}) == 1.0 &&
                                            m.value("pgwarden_slot_active",
                                                    {{"node", "alpha"}, {"slot", "beta_slot"}}) == 1.0;
                                   }));
  }

  void expect_firing(const Labels& labels, bool with_node, size_t since) {
    expect_webhook_firing(sink_, labels, with_node, since, kReact);
  }
  void expect_resolved(const Labels& labels, size_t since) {
    expect_webhook_resolved(sink_, labels, since, kReact);
  }

  // Polls until `rounds` further check rounds of `node` have completed,
  // calling `each` on every poll; returns false on timeout.
  bool over_rounds(const std::string& node, int rounds, const std::function<void()>& each) {
    return over_check_rounds(proc_, node, rounds, kReact + std::chrono::seconds(rounds), each);
  }

  int active_alerts(const std::string& name, const Labels& labels) const {
    return active_alert_count(proc_, name, labels);
  }

  // Runs SQL on the primary and writes a WAL segment switch after it, so the
  // archiver has a new segment to (try to) archive.
  void write_and_switch_wal() {
    pg_->psql(PgCluster::kPrimary, "CREATE TABLE IF NOT EXISTS e2e_tick (x int)");
    pg_->psql(PgCluster::kPrimary, "INSERT INTO e2e_tick VALUES (1)");
    pg_->psql(PgCluster::kPrimary, "SELECT pg_switch_wal()");
  }

  std::unique_ptr<PgCluster> pg_;  // destroyed last: pgwarden and the sink go first
  WebhookSink sink_;
  PgwardenProcess proc_;
};

// Stopping the standby: the primary misses its expected standby and the
// slot loses its consumer, and pgwarden cannot reach the standby node. A
// client node that is offline all along never raises PgNodeDown.
TEST_F(AlertsE2ETest, StoppedStandbyFiresNotStreamingSlotInactiveNodeDownAndResolves) {
  start_cluster();
  std::string client =
      "[[clusters.nodes]]\nname = \"laptop\"\nrole = \"client\"\n"
      "conninfo = \"host=127.0.0.1 port=" + std::to_string(free_port()) +
      " dbname=postgres user=pgwarden\"\n\n";
  start_pgwarden(base_config(client + alerting_toml()));
  expect_healthy_baseline();
  ASSERT_TRUE(eventually_metrics(proc_, "the offline client node is reported down", kStartup,
                                 [&](const Exposition& m) {
                                   return m.value("pgwarden_node_up", {{"node", "laptop"}}) == 0.0;
                                 }));

  const Labels not_streaming = {{"alertname", "PgStandbyNotStreaming"}, {"cluster", "e2e"},
                                {"node", "alpha"}, {"application_name", "beta"}};
  const Labels slot_inactive = {{"alertname", "PgReplicationSlotInactive"}, {"cluster", "e2e"},
                                {"node", "alpha"}, {"slot", "beta_slot"}, {"severity", "warning"}};
  const Labels beta_down = {{"alertname", "PgNodeDown"}, {"cluster", "e2e"}, {"node", "beta"},
                            {"severity", "critical"}};

  size_t mark = sink_.count();
  pg_->stop_standby(0);
  expect_firing(not_streaming, true, mark);
  expect_firing(slot_inactive, true, mark);
  expect_firing(beta_down, true, mark);

  // Over three more rounds, with beta's PgNodeDown active, the offline client
  // is never alerted on.
  int beta_active = 0, laptop_active = 0;
  EXPECT_TRUE(over_rounds("alpha", 3, [&] {
    beta_active = std::max(beta_active, active_alerts("PgNodeDown", {{"node", "beta"}}));
    laptop_active = std::max(laptop_active, active_alerts("PgNodeDown", {{"node", "laptop"}}));
  })) << "pgwarden did not complete three more rounds";
  EXPECT_EQ(beta_active, 1);
  EXPECT_EQ(laptop_active, 0) << "a client node raised PgNodeDown";
  EXPECT_FALSE(find_webhook_alert(sink_, {{"alertname", "PgNodeDown"}, {"node", "laptop"}}, "firing"))
      << "a client node's PgNodeDown was sent";

  mark = sink_.count();
  pg_->start_standby(0);
  pg_->wait_streaming(0);
  expect_resolved(not_streaming, mark);
  expect_resolved(slot_inactive, mark);
  expect_resolved(beta_down, mark);
}

// Faults of the primary alone: an expected slot that does not exist and an
// archive_command that fails. Creating the slot and repairing archiving
// resolve both.
TEST_F(AlertsE2ETest, MissingSlotAndFailingArchiverFireAndResolve) {
  start_cluster();
  std::string config = replace_once(base_config(alerting_toml()), "expected_slots = [\"beta_slot\"]",
                                    "expected_slots = [\"beta_slot\", \"ghost_slot\"]");
  size_t mark = sink_.count();
  start_pgwarden(config);
  expect_healthy_baseline();

  const Labels missing = {{"alertname", "PgReplicationSlotMissing"}, {"cluster", "e2e"},
                          {"node", "alpha"}, {"slot", "ghost_slot"}, {"severity", "critical"}};
  const Labels archiver = {{"alertname", "PgArchiverFailing"}, {"cluster", "e2e"}, {"node", "alpha"},
                           {"severity", "warning"}};
  expect_firing(missing, true, mark);
  // The configured slot that does exist is not reported missing.
  EXPECT_FALSE(find_webhook_alert(sink_, {{"alertname", "PgReplicationSlotMissing"}, {"slot", "beta_slot"}},
                                  "firing"));

  // Archiving works before the fault: no alert for it yet.
  EXPECT_EQ(active_alerts("PgArchiverFailing", {}), 0);
  pg_->make_archive_fail(true);
  write_and_switch_wal();
  expect_firing(archiver, true, mark);

  mark = sink_.count();
  pg_->psql(PgCluster::kPrimary, "SELECT pg_create_physical_replication_slot('ghost_slot')");
  pg_->make_archive_fail(false);
  write_and_switch_wal();
  expect_resolved(missing, mark);
  expect_resolved(archiver, mark);
  // The slot is dropped with the cluster; dropping it here would only fire
  // PgReplicationSlotMissing again while pgwarden shuts down.
}

// Paused replay plus a few MB of WAL: replay lag in bytes passes the lowered
// warning threshold; resuming replay lets the standby catch up.
TEST_F(AlertsE2ETest, ReplayLagAboveWarningThresholdFiresAndResolves) {
  start_cluster();
  // Only the byte threshold is lowered; the time threshold is out of reach so
  // that resolution does not wait for pg_stat_replication's lag times.
  start_pgwarden(base_config(alerting_toml("lag_warning_bytes = 1e6\nlag_warning_seconds = 3600\n"
                                           "lag_critical_seconds = 7200\n")));
  expect_healthy_baseline();
  EXPECT_EQ(active_alerts("PgReplicationLagHigh", {}), 0) << "lag alert on an idle cluster";

  const Labels lag = {{"alertname", "PgReplicationLagHigh"}, {"severity", "warning"}, {"cluster", "e2e"},
                      {"node", "alpha"}, {"application_name", "beta"}};
  size_t mark = sink_.count();
  pg_->pause_replay(0);
  pg_->psql(PgCluster::kPrimary,
            "CREATE TABLE e2e_bulk AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 30000) g");
  expect_firing(lag, true, mark);
  // The default critical threshold (100 MB) is far away.
  EXPECT_FALSE(find_webhook_alert(sink_, {{"alertname", "PgReplicationLagHigh"}, {"severity", "critical"}},
                                  "firing"));

  mark = sink_.count();
  pg_->resume_replay(0);
  expect_resolved(lag, mark);
}

// A configured sync standby: no alert while it is synchronous; turning the
// primary asynchronous fires PgSyncReplicationDegraded, restoring resolves.
TEST_F(AlertsE2ETest, SyncStandbyTurnedAsyncFiresAndResolves) {
  start_cluster();
  auto set_sync_names = [&](const std::string& names) {
    pg_->psql(PgCluster::kPrimary, "ALTER SYSTEM SET synchronous_standby_names = '" + names + "'");
    pg_->psql(PgCluster::kPrimary, "SELECT pg_reload_conf()");
    const std::string want = names.empty() ? "async" : "sync";
    ASSERT_TRUE(poll_until(
        [&] {
          return pg_->psql(PgCluster::kPrimary,
                           "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'beta'") ==
                 want;
        },
        kReact))
        << "beta did not become " << want;
  };
  set_sync_names("beta");
  std::string config = replace_once(base_config(alerting_toml()), "expected_slots = [\"beta_slot\"]\n",
                                    "expected_slots = [\"beta_slot\"]\nsync_standbys = [\"beta\"]\n");
  start_pgwarden(config);
  expect_healthy_baseline();

  const LabelMatchers sync_series = {{"node", "alpha"}, {"application_name", "beta"}};
  ASSERT_TRUE(eventually_metrics(proc_, "beta reported synchronous", kStartup, [&](const Exposition& m) {
    return m.value("pgwarden_replication_sync", sync_series) == 1.0;
  }));
  int active = 0;
  EXPECT_TRUE(over_rounds("alpha", 3, [&] {
    active = std::max(active, active_alerts("PgSyncReplicationDegraded", {}));
  })) << "pgwarden did not complete three more rounds";
  EXPECT_EQ(active, 0) << "PgSyncReplicationDegraded while beta is synchronous";
  EXPECT_FALSE(find_webhook_alert(sink_, {{"alertname", "PgSyncReplicationDegraded"}}, "firing"));

  const Labels degraded = {{"alertname", "PgSyncReplicationDegraded"}, {"severity", "critical"},
                           {"cluster", "e2e"}, {"node", "alpha"}, {"application_name", "beta"}};
  size_t mark = sink_.count();
  set_sync_names("");
  expect_firing(degraded, true, mark);

  mark = sink_.count();
  set_sync_names("beta");
  expect_resolved(degraded, mark);
}

// Promoting the standby without demoting the primary: two primaries, a node
// out of its configured role, a new timeline. Undoing a split brain needs a
// rebuild, so only firing is asserted; the cluster is removed with the test.
TEST_F(AlertsE2ETest, PromotedStandbyFiresSplitBrainRoleMismatchTimelineChanged) {
  start_cluster();
  start_pgwarden(base_config(alerting_toml()));
  expect_healthy_baseline();
  // pgwarden must know beta's first timeline to notice the change.
  ASSERT_TRUE(eventually_metrics(proc_, "beta's timeline is known", kStartup, [&](const Exposition& m) {
    return m.value("pgwarden_pg_timeline_id", {{"node", "beta"}}) == 1.0;
  }));
  EXPECT_EQ(active_alerts("PgSplitBrain", {}) + active_alerts("PgRoleMismatch", {}) +
                active_alerts("PgTimelineChanged", {}),
            0)
      << "promotion alerts on a healthy cluster";

  size_t mark = sink_.count();
  pg_->promote_standby(0);
  expect_firing({{"alertname", "PgSplitBrain"}, {"cluster", "e2e"}, {"severity", "critical"}}, false, mark);
  expect_firing({{"alertname", "PgRoleMismatch"}, {"cluster", "e2e"}, {"node", "beta"}, {"severity", "warning"}},
                true, mark);
  expect_firing(
      {{"alertname", "PgTimelineChanged"}, {"cluster", "e2e"}, {"node", "beta"}, {"severity", "warning"}}, true,
      mark);
  // The primary still has its configured role.
  EXPECT_FALSE(find_webhook_alert(sink_, {{"alertname", "PgRoleMismatch"}, {"node", "alpha"}}, "firing"));
}

}  // namespace
}  // namespace pgw::test
