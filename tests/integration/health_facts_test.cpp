// Acceptance of issue 14's alerts on a real server of the PostgreSQL major
// this run is for (ctest runs the binary once per major: .pg14 ... .pg18,
// through PGWARDEN_PG_VERSION). One primary, one `pgwarden serve` with 1 s
// rounds and lowered thresholds, and a webhook sink; each fault is real:
//   - a subscription whose apply fails on a conflicting row -> PgSubscriptionErrors (15+)
//   - a slot losing its WAL (max_slot_wal_keep_size, WAL switched,
//     CHECKPOINT) -> PgReplicationSlotWalAtRisk, then PgReplicationSlotInvalidated
//   - an idle-in-transaction session holding a snapshot and a prepared
//     transaction left open -> PgLongTransaction, PgXminHorizonHeld
//   - archive_command failing while WAL is switched -> PgArchiveBacklog
// plus the wraparound query's series on the real server (the rule itself is
// tested on samples: tests/unit/health_rules_test.cpp).
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "checks/pg_client.h"
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

constexpr auto kReact = 30s;    // a fault is seen within a few 1 s rounds
constexpr auto kStartup = 30s;

class HealthFactsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = new PgCluster(PgClusterOptions{
        .standbys = 0,
        .settings = {"wal_level = logical", "max_prepared_transactions = 5", "max_wal_size = 64MB"}});
  }
  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
  }

  void SetUp() override {
    std::cerr << "PostgreSQL " << pg_->major() << "\n";
    WatchOptions o;
    o.state_dir = proc_.dir() + "/state";
    o.extra_toml =
        "[alerts]\nfor = \"0s\"\nlong_transaction_max_age = \"2s\"\nxmin_horizon_max_age_xids = 50\n"
        "archive_ready_files_max = 2\n"
        // The horizon and wal modules run every 30 s by default; here every round.
        "\n[checks.horizon]\ninterval = \"1s\"\n\n[checks.wal]\ninterval = \"1s\"\n"
        "\n[[receivers]]\nname = \"sink\"\ntype = \"webhook\"\nurl = \"" + sink_.url("/hook") + "\"\n"
        "group_wait = \"0s\"\ngroup_interval = \"1s\"\nrepeat_interval = \"1h\"\nsend_resolved = true\n";
    proc_.start(watch_config(*pg_, o));
  }

  void TearDown() override {
    if (!HasFailure()) return;
    std::cerr << "---- webhook alerts received ----\n";
    for (const auto& a : webhook_alerts(sink_.requests())) std::cerr << "  " << a.str() << "\n";
    std::cerr << "---- pgwarden log ----\n" << proc_.log_text() << "----\n";
  }

  std::string sql(const std::string& q) const { return pg_->psql(PgCluster::kPrimary, q); }
  std::string sql_in(const std::string& db, const std::string& q) const {
    return pg_->psql_db(PgCluster::kPrimary, db, q);
  }
  Labels alert(const std::string& name, Labels more = {}) const {
    more["alertname"] = name;
    more["cluster"] = "e2e";
    more["node"] = "alpha";
    return more;
  }
  void switch_wal() {
    sql("CREATE TABLE IF NOT EXISTS tick (x int)");
    sql("INSERT INTO tick VALUES (1)");
    sql("SELECT pg_switch_wal()");
  }
  // Assigns `n` transaction IDs, one committed transaction each.
  void burn_xids(int n) {
    sql("DO $$ BEGIN FOR i IN 1.." + std::to_string(n) + " LOOP PERFORM txid_current(); COMMIT; END LOOP; END $$");
  }

  static PgCluster* pg_;
  WebhookSink sink_;
  PgwardenProcess proc_;
};
PgCluster* HealthFactsTest::pg_ = nullptr;

// The series of every new check exist on a healthy server of this version,
// the wraparound query included.
TEST_F(HealthFactsTest, NewSeriesOnAHealthyServer) {
  EXPECT_TRUE(eventually_metrics(proc_, "WAL, checkpoint, horizon and wraparound series", kStartup,
                                 [&](const Exposition& m) {
                                   auto xid = m.value("pgwarden_pg_database_xid_age_xids", {{"datname", "postgres"}});
                                   return m.value("pgwarden_pg_wal_bytes_total", {}) > 0 &&
                                          m.value("pgwarden_pg_wal_size_bytes", {}) > 0 &&
                                          m.value("pgwarden_archiver_ready_files", {}).has_value() &&
                                          m.value("pgwarden_pg_checkpoints_total", {{"kind", "timed"}}).has_value() &&
                                          m.value("pgwarden_pg_checkpoints_total", {{"kind", "requested"}}).has_value() &&
                                          xid && *xid > 0 &&
                                          m.value("pgwarden_pg_database_mxid_age_xids", {{"datname", "postgres"}}).has_value() &&
                                          m.value("pgwarden_pg_oldest_transaction_age_seconds", {{"state", "prepared"}}) == 0.0 &&
                                          m.value("pgwarden_pg_xmin_horizon_age_xids", {{"holder", "replication"}}) == 0.0;
                                 }));
}

TEST_F(HealthFactsTest, ConflictingRowFailsSubscriptionApply) {
  sql("CREATE DATABASE pub");
  sql("CREATE DATABASE sub");
  for (const char* db : {"pub", "sub"}) sql_in(db, "CREATE TABLE t (id int PRIMARY KEY)");
  sql_in("sub", "INSERT INTO t VALUES (1)");
  sql_in("pub", "CREATE PUBLICATION p FOR TABLE t");
  // A subscription to its own cluster must not create its slot itself.
  sql_in("pub", "SELECT pg_create_logical_replication_slot('s_slot', 'pgoutput')");
  sql_in("sub", "CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 port=" + std::to_string(pg_->primary_port()) +
                    " dbname=pub user=postgres' PUBLICATION p WITH (create_slot = false, slot_name = 's_slot', "
                    "copy_data = false)");
  EXPECT_TRUE(eventually_metrics(proc_, "the subscription's apply worker runs", kStartup, [&](const Exposition& m) {
    return m.value("pgwarden_subscription_up", {{"subscription", "s"}}) == 1.0;
  }));
  size_t mark = sink_.count();
  sql_in("pub", "INSERT INTO t VALUES (1)");  // duplicate key at the subscriber
  if (pg_->major() >= 15) {
    expect_webhook_firing(sink_, alert("PgSubscriptionErrors", {{"subscription", "s"}, {"kind", "apply"}}), true, mark,
                          kReact);
    // Stop the failing apply first, then reset the counters: the alert resolves.
    mark = sink_.count();
    sql_in("sub", "ALTER SUBSCRIPTION s DISABLE");
    EXPECT_TRUE(poll_until([&] { return sql("SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL") == "0"; },
                           20s, 100ms));
    sql("SELECT pg_stat_reset_subscription_stats(NULL)");
    expect_webhook_resolved(sink_, alert("PgSubscriptionErrors", {{"subscription", "s"}, {"kind", "apply"}}), mark,
                            kReact);
  } else {
    // 14 has no pg_stat_subscription_stats: no error counters, no alert.
    auto body = proc_.get("/metrics").body;
    EXPECT_EQ(body.find("pgwarden_subscription_errors_total"), std::string::npos);
  }
  sql_in("sub", "ALTER SUBSCRIPTION s DISABLE");
  sql_in("sub", "ALTER SUBSCRIPTION s SET (slot_name = NONE)");
  sql_in("sub", "DROP SUBSCRIPTION s");
  EXPECT_TRUE(poll_until([&] { return sql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 's_slot' AND active") == "0"; },
                         20s, 100ms));
  sql("SELECT pg_drop_replication_slot('s_slot')");
}

TEST_F(HealthFactsTest, SlotLosingItsWalIsAtRiskThenInvalidated) {
  sql("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
  sql("SELECT pg_reload_conf()");
  sql("SELECT pg_create_physical_replication_slot('doomed_slot', true)");
  size_t mark = sink_.count();
  expect_webhook_firing(sink_, alert("PgReplicationSlotWalAtRisk", {{"slot", "doomed_slot"}}), true, mark, kReact);
  // Nobody consumes the slot: WAL past max_slot_wal_keep_size and a
  // checkpoint invalidate it.
  EXPECT_TRUE(poll_until(
      [&] {
        switch_wal();
        switch_wal();
        sql("CHECKPOINT");
        return sql("SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'doomed_slot'") == "lost";
      },
      60s, 200ms));
  Labels invalidated = alert("PgReplicationSlotInvalidated", {{"slot", "doomed_slot"}, {"severity", "critical"}});
  if (pg_->major() >= 17) invalidated["reason"] = "wal_removed";
  else invalidated["reason"] = "unknown";
  expect_webhook_firing(sink_, invalidated, true, mark, kReact);
  sql("SELECT pg_drop_replication_slot('doomed_slot')");
  sql("ALTER SYSTEM RESET max_slot_wal_keep_size");
  sql("SELECT pg_reload_conf()");
}

TEST_F(HealthFactsTest, IdleTransactionAndPreparedTransactionHoldTheHorizon) {
  // A client that took a snapshot and went idle in its transaction.
  PgSession idle("host=127.0.0.1 port=" + std::to_string(pg_->primary_port()) +
                     " dbname=postgres user=postgres application_name=idle_client",
                 "");
  idle.ensure_connected(Deadline::in(10s));
  idle.query("BEGIN ISOLATION LEVEL REPEATABLE READ", Deadline::in(10s));
  idle.query("SELECT count(*) FROM pg_class", Deadline::in(10s));
  sql("CREATE TABLE IF NOT EXISTS held (x int)");
  pg_->psql(PgCluster::kPrimary, "BEGIN; INSERT INTO held VALUES (1); PREPARE TRANSACTION 'left_open'");
  size_t mark = sink_.count();
  burn_xids(200);
  expect_webhook_firing(sink_, alert("PgLongTransaction", {{"state", "idle_in_transaction"}}), true, mark, kReact);
  expect_webhook_firing(sink_, alert("PgLongTransaction", {{"state", "prepared"}}), true, mark, kReact);
  expect_webhook_firing(sink_, alert("PgXminHorizonHeld", {{"holder", "backend"}}), true, mark, kReact);
  expect_webhook_firing(sink_, alert("PgXminHorizonHeld", {{"holder", "prepared"}}), true, mark, kReact);

  mark = sink_.count();
  sql("ROLLBACK PREPARED 'left_open'");
  idle.query("ROLLBACK", Deadline::in(10s));
  expect_webhook_resolved(sink_, alert("PgXminHorizonHeld", {{"holder", "prepared"}}), mark, kReact);
  expect_webhook_resolved(sink_, alert("PgLongTransaction", {{"state", "idle_in_transaction"}}), mark, kReact);
}

TEST_F(HealthFactsTest, FailingArchiveCommandBuildsABacklog) {
  pg_->make_archive_fail(true);
  size_t mark = sink_.count();
  for (int i = 0; i < 4; ++i) switch_wal();
  expect_webhook_firing(sink_, alert("PgArchiveBacklog"), true, mark, kReact);
  pg_->make_archive_fail(false);
}

}  // namespace
}  // namespace pgw::test
