// promtool accepts pgwarden's rules export, and promtool's own unit test
// of the built-in pack (tests/promtool/builtin_rules_test.yml) passes.
#include <gtest/gtest.h>

#include "alerts/rule_engine.h"
#include "alerts/rules_export.h"
#include "tests/fixtures/test_util.h"

using namespace pgw;

namespace {

struct TempDir {
  std::string path = test::make_temp_dir("pgwarden-promtool");
  ~TempDir() { test::remove_tree(path); }
};

Config config_with_custom_rules() {
  Config c;
  RuleConfig r;
  r.alert = "BetaReplayLagHigh";
  r.expr = R"(pgwarden_replication_lag_bytes{application_name="beta", stage="replay"} > 10e6)";
  r.for_ = Duration(60000);
  r.keep_firing_for = Duration(300000);
  r.severity = "warning";
  r.labels["team"] = "db: core";
  r.annotations["summary"] = "{{ $labels.node }} lag {{ $value | humanize1024 }}B";
  r.annotations["description"] = "quotes \" and 'single', a # hash, a: colon\nand a second line";
  c.rules.push_back(r);
  RuleConfig s;
  s.alert = "AnyDown";
  s.expr = "sum by (cluster) (pgwarden_node_up == bool 0) > 0";
  c.rules.push_back(s);
  return c;
}

}  // namespace

TEST(PromtoolRules, CheckRulesAcceptsExportWithCustomRules) {
  TempDir dir;
  std::string file = dir.path + "/rules.yml";
  test::write_file(file, export_rules_yaml(config_with_custom_rules()));
  auto r = test::run_command("promtool check rules " + test::shell_quote(file), true);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("SUCCESS: 39 rules found"), std::string::npos) << r.out;  // 37 built-in + 2
}

TEST(PromtoolRules, CheckRulesRejectsABrokenFileSoTheCheckMeansSomething) {
  TempDir dir;
  std::string file = dir.path + "/rules.yml";
  test::write_file(file, "groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: \"up{\"\n");
  auto r = test::run_command("promtool check rules " + test::shell_quote(file), true);
  EXPECT_NE(r.exit_code, 0) << r.out;
}

TEST(PromtoolRules, BuiltinRulesPassPromtoolUnitTest) {
  TempDir dir;
  test::write_file(dir.path + "/rules.yml", export_rules_yaml(Config{}));
  test::write_file(dir.path + "/builtin_rules_test.yml",
                   test::read_file(std::string(PGWARDEN_SOURCE_DIR) + "/tests/promtool/builtin_rules_test.yml"));
  auto r = test::run_command("cd " + test::shell_quote(dir.path) + " && promtool test rules builtin_rules_test.yml", true);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("SUCCESS"), std::string::npos) << r.out;
}
