// The shipped example etc/aya.toml, exported by the real binary with
// `pgwarden rules export`, is a rule file promtool accepts, and it carries
// the whole built-in pack (plus the example's own rule).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

struct TempDir {
  std::string path = make_temp_dir("pgwarden-aya-export");
  ~TempDir() { remove_tree(path); }
};

// Every alert name of alerts/builtin_rules.cpp; written out here so that a
// rule silently dropped from the export fails this test.
const std::vector<std::string> kBuiltinAlerts = {
    "PgNodeDown",        "PgNoPrimary",           "PgSplitBrain",
    "PgRoleMismatch",    "PgTimelineChanged",     "PgStandbyNotStreaming",
    "PgReplicationLagHigh", "PgSyncReplicationDegraded", "PgReplicationSlotInactive",
    "PgReplicationSlotMissing", "PgReplicationSlotRetainingWal", "PgArchiverFailing",
    "HostDiskSpaceLow",  "BackupTooOld",          "DataDirPermissions",
    "SshHostKeyUnverified", "PatroniNoLeader",    "EtcdUnhealthy",
    "SyncQueueBacklog",  "EmbedderDown",          "EmbedderDimensionMismatch",
    "CheckFailing",      "Watchdog",              "PatroniPaused",
    "PgReplicationSlotInvalidated", "PgReplicationSlotWalAtRisk", "PgLongTransaction",
    "PgXminHorizonHeld", "PgTransactionIdWraparound", "PgArchiveBacklog", "PgSubscriptionErrors",
    "PgReplicationSlotWalLossPredicted", "HostDiskFillPredicted",
};

// A copy of etc/aya.toml with dummy secret files (0600) next to it, as a
// user who copied the example would have them.
std::string prepare_aya_copy(const std::string& dir) {
  std::string config = dir + "/aya.toml";
  write_file(config, read_file(std::string(PGWARDEN_SOURCE_DIR) + "/etc/aya.toml"), true);
  auto r = run_command("mkdir -p " + shell_quote(dir + "/secrets"), true);
  if (r.exit_code != 0) throw std::runtime_error("mkdir secrets: " + r.out);
  write_file(dir + "/secrets/pgwarden_password", "dummy-password\n", true);
  write_file(dir + "/secrets/id_ed25519_monitor", "dummy key\n", true);
  write_file(dir + "/secrets/ops_webhook_url", "https://hooks.example.com/T0/B0/dummy\n", true);
  write_file(dir + "/secrets/ops_webhook_hmac", "dummy-hmac\n", true);
  write_file(dir + "/known_hosts", "", true);
  return config;
}

TEST(RulesExportAya, PromtoolAcceptsTheExportOfTheShippedExample) {
  TempDir dir;
  std::string config = prepare_aya_copy(dir.path);
  std::string rules = dir.path + "/rules.yml";

  auto exported = run_command(shell_quote(PGWARDEN_BINARY) + " rules export -c " + shell_quote(config) + " > " +
                              shell_quote(rules) + " 2> " + shell_quote(dir.path + "/export.err"));
  ASSERT_EQ(exported.exit_code, 0) << read_file(dir.path + "/export.err");
  std::string yaml = read_file(rules);
  ASSERT_FALSE(yaml.empty()) << "rules export wrote nothing";

  auto checked = run_command("/usr/bin/promtool check rules " + shell_quote(rules), true);
  EXPECT_EQ(checked.exit_code, 0) << checked.out << "\n---- export ----\n" << yaml;
  EXPECT_NE(checked.out.find("SUCCESS"), std::string::npos) << checked.out;

  // promtool read every rule of the export, not just a prefix of it.
  size_t rules_in_export = 0;
  for (size_t pos = yaml.find("- alert: "); pos != std::string::npos; pos = yaml.find("- alert: ", pos + 1))
    ++rules_in_export;
  EXPECT_NE(checked.out.find("SUCCESS: " + std::to_string(rules_in_export) + " rules found"), std::string::npos)
      << checked.out;

  auto has_alert = [&](const std::string& name) {
    return yaml.find("alert: \"" + name + "\"\n") != std::string::npos ||
           yaml.find("alert: " + name + "\n") != std::string::npos;
  };
  for (const auto& name : kBuiltinAlerts) EXPECT_TRUE(has_alert(name)) << name << " missing from the export";
  // The example's own [[rules]] entry is exported next to the built-in pack.
  EXPECT_TRUE(has_alert("ChunksWithoutEmbedding")) << yaml;
  // The dummy secrets never end up in the export.
  for (const char* secret : {"dummy-password", "dummy key", "hooks.example.com", "dummy-hmac"})
    EXPECT_EQ(yaml.find(secret), std::string::npos) << "secret in the export: " << secret;
}

}  // namespace
}  // namespace pgw::test
