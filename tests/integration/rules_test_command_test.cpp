// `pgwarden rules test` against `promtool test rules` on the same files:
// the trend rules' test file passes under both, the file with a wrong
// expectation fails under both, and the failure names the same alert.
#include <gtest/gtest.h>

#include "alerts/rules_export.h"
#include "core/config.h"
#include "tests/fixtures/test_util.h"

using namespace pgw;

namespace {

struct TempDir {
  std::string path = test::make_temp_dir("pgwarden-rules-test");
  ~TempDir() { test::remove_tree(path); }
};

struct Verdicts {
  test::CommandResult promtool, pgwarden;
};

Verdicts run_both(const std::string& dir, const std::string& file) {
  std::string cd = "cd " + test::shell_quote(dir) + " && ";
  return {test::run_command(cd + "promtool test rules " + file, true),
          test::run_command(cd + test::shell_quote(PGWARDEN_BINARY) + " rules test " + file, true)};
}

void copy_test_file(const std::string& dir, const std::string& name) {
  test::write_file(dir + "/" + name, test::read_file(std::string(PGWARDEN_SOURCE_DIR) + "/tests/promtool/" + name));
}

}  // namespace

TEST(RulesTestCommand, TrendRulesPassUnderBothTools) {
  TempDir dir;
  test::write_file(dir.path + "/rules.yml", export_rules_yaml(Config{}));
  copy_test_file(dir.path, "trend_rules_test.yml");
  Verdicts v = run_both(dir.path, "trend_rules_test.yml");
  EXPECT_EQ(v.promtool.exit_code, 0) << v.promtool.out;
  EXPECT_EQ(v.pgwarden.exit_code, 0) << v.pgwarden.out;
  EXPECT_NE(v.pgwarden.out.find("SUCCESS"), std::string::npos) << v.pgwarden.out;
}

TEST(RulesTestCommand, WrongExpectationFailsUnderBothWithTheSameSubstance) {
  TempDir dir;
  test::write_file(dir.path + "/rules.yml", export_rules_yaml(Config{}));
  copy_test_file(dir.path, "trend_rules_wrong_test.yml");
  Verdicts v = run_both(dir.path, "trend_rules_wrong_test.yml");
  EXPECT_NE(v.promtool.exit_code, 0) << v.promtool.out;
  EXPECT_EQ(v.pgwarden.exit_code, v.promtool.exit_code) << v.pgwarden.out;
  for (const std::string& needle :
       {std::string("FAILED:"), std::string("alertname: PgReplicationSlotWalLossPredicted, time: 10m"),
        std::string("expr: \"count_over_time(pgwarden_slot_safe_wal_size_bytes[5m])\", time: 10m"),
        std::string("got: {cluster=\"aya\", node=\"alpha\", slot=\"s1\", slot_type=\"physical\"} 6E+00")}) {
    EXPECT_NE(v.promtool.out.find(needle), std::string::npos) << "promtool lacks " << needle << ":\n" << v.promtool.out;
    EXPECT_NE(v.pgwarden.out.find(needle), std::string::npos) << "pgwarden lacks " << needle << ":\n" << v.pgwarden.out;
  }
}

TEST(RulesTestCommand, ExistingBuiltinPackTestPassesUnderPgwardenToo) {
  TempDir dir;
  test::write_file(dir.path + "/rules.yml", export_rules_yaml(Config{}));
  copy_test_file(dir.path, "builtin_rules_test.yml");
  Verdicts v = run_both(dir.path, "builtin_rules_test.yml");
  EXPECT_EQ(v.promtool.exit_code, 0) << v.promtool.out;
  EXPECT_EQ(v.pgwarden.exit_code, 0) << v.pgwarden.out;
}
