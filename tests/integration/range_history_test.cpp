// The rule history against real servers: a slot that retains WAL while its
// standby is stopped fires PgReplicationSlotWalLossPredicted before the slot
// is lost, and `serve` restarted mid-way restores the history; a sequence of
// cron-style `check --state-file` runs evaluates increase(...[5m]).
#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

void write_wal(const PgCluster& pg, int rows) {
  pg.psql(PgCluster::kPrimary, "CREATE TABLE IF NOT EXISTS wal_filler (x text)");
  pg.psql(PgCluster::kPrimary, "INSERT INTO wal_filler SELECT repeat('x', 900) FROM generate_series(1, " +
                                   std::to_string(rows) + ")");
}

}  // namespace

TEST(RangeHistory, SlotWalLossPredictedBeforeLossAndAcrossARestart) {
  PgCluster pg;
  pg.wait_streaming(0);
  // A slot may keep at most 256 MB; with the standby stopped every write eats into safe_wal_size.
  pg.psql(PgCluster::kPrimary, "ALTER SYSTEM SET max_slot_wal_keep_size = '256MB'");
  pg.psql(PgCluster::kPrimary, "SELECT pg_reload_conf()");
  pg.stop_standby(0);

  PgwardenProcess proc;
  WatchOptions o;
  o.state_dir = proc.dir() + "/state";
  o.extra_toml = "[alerts]\nfor = \"0s\"\n";
  std::string config = watch_config(pg, o);
  proc.start(config);
  const LabelMatchers firing = {{"alertname", "PgReplicationSlotWalLossPredicted"}, {"state", "firing"}};

  // Steady writes: a few MB per round while pgwarden watches.
  auto history = [&](const char* what) {
    auto v = parse_exposition(proc.scrape()).value(what);
    return v ? *v : 0.0;
  };
  // Several rounds' points per series, so that one round after the restart could not account for them.
  ASSERT_TRUE(poll_until([&] {
    write_wal(pg, 4000);
    double series = history("pgwarden_rule_history_series");
    return series >= 1 && history("pgwarden_rule_history_samples") >= 3 * series;
  }, 60s, 500ms)) << proc.log_text();

  // Restart mid-way: the history comes back from state_dir.
  double before = history("pgwarden_rule_history_samples");
  proc.stop();
  ASSERT_TRUE(std::filesystem::exists(o.state_dir + "/rule_history.json"));
  EXPECT_NE(read_file(o.state_dir + "/rule_history.json").find("pgwarden_slot_safe_wal_size_bytes"),
            std::string::npos);
  proc.start(config);
  // Restored before the first round runs: the first scrape already has it all.
  EXPECT_GE(history("pgwarden_rule_history_samples"), before);

  // Keep writing until the alert fires; the slot must still hold its WAL then.
  bool fired = poll_until([&] {
    write_wal(pg, 4000);
    auto e = parse_exposition(proc.scrape());
    return e.value("pgwarden_alerts", firing).has_value();
  }, 120s, 500ms);
  ASSERT_TRUE(fired) << grep_metrics(proc.scrape(), "pgwarden_slot") << proc.log_text();
  std::string status = pg.psql(PgCluster::kPrimary, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" +
                                                         pg.slot_name(0) + "'");
  EXPECT_EQ(status.find("lost"), std::string::npos) << status;
  auto safe = parse_exposition(proc.scrape()).value("pgwarden_slot_safe_wal_size_bytes", {{"slot", pg.slot_name(0)}});
  ASSERT_TRUE(safe.has_value());
  EXPECT_GT(*safe, 0);
}

TEST(RangeHistory, CronChecksEvaluateIncreaseAcrossRuns) {
  PgCluster pg;
  pg.wait_streaming(0);
  std::string dir = make_temp_dir("pgw-range-cron");
  struct Cleanup {
    std::string d;
    ~Cleanup() { remove_tree(d); }
  } cleanup{dir};
  WatchOptions o;
  o.state_dir = dir + "/state";
  o.extra_toml =
      "[alerts]\nbuiltin = false\n\n[[rules]]\nalert = \"WalMoving\"\n"
      "expr = 'increase(pgwarden_pg_wal_lsn_bytes{node=\"alpha\"}[5m]) > 0'\nseverity = \"warning\"\n";
  std::string config = dir + "/pgwarden.toml";
  write_file(config, watch_config(pg, o), true);
  std::string state = dir + "/check.state";
  auto check = [&](bool with_state) {
    return run_pgwarden("check -c " + shell_quote(config) + (with_state ? " --state-file " + shell_quote(state) : "") +
                        " --format text");
  };

  // One run has one point: increase() has nothing to say.
  auto first = check(true);
  EXPECT_EQ(first.exit_code, 0) << first.out;
  write_wal(pg, 2000);
  // The second run sees the first run's point from the state file.
  auto second = check(true);
  EXPECT_EQ(second.exit_code, 1) << second.out;
  EXPECT_NE(second.out.find("WalMoving"), std::string::npos) << second.out;
  EXPECT_NE(read_file(state + ".history").find("pgwarden_pg_wal_lsn_bytes"), std::string::npos);
  // Without the state file every run is alone: never fires.
  write_wal(pg, 2000);
  auto alone = check(false);
  EXPECT_EQ(alone.exit_code, 0) << alone.out;
}

}  // namespace pgw::test
