// pgwarden refuses a config file, or a secret file it names, that others may
// read or write: every command, with the file, its mode and the fix in the
// error, the contract's exit code for a config that cannot be loaded
// (validate/serve/rules export 2, check 3), and nothing written. The same for
// a state_dir every user may write (another user could plant its files);
// and what a crash left in state_dir mid-write is removed at start.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/transcript.h"

namespace pgw {
namespace {

namespace fs = std::filesystem;
using test::shell_quote;

class FilePermissionsTest : public ::testing::Test {
 protected:
  FilePermissionsTest() : dir_(test::make_temp_dir("pgw-perm")) {}
  ~FilePermissionsTest() override { test::remove_tree(dir_); }

  void SetUp() override {
    password_ = test::random_secret("db-pw-");
    password_file_ = dir_ + "/db-password";
    test::write_file(password_file_, password_ + "\n", true);
    config_ = dir_ + "/pgwarden.toml";
    // A node nobody listens on: `check` has something to report (PgNodeDown).
    test::write_file(config_,
                     "[exporter]\nstate_dir = \"" + dir_ + "/state\"\n\n[[clusters]]\nname = \"perm\"\n\n"
                     "[[clusters.nodes]]\nname = \"alpha\"\nrole = \"primary\"\n"
                     "conninfo = \"host=127.0.0.1 port=" + std::to_string(test::free_port()) +
                         " dbname=postgres user=pgwarden connect_timeout=2\"\n"
                         "password_file = \"" + password_file_ + "\"\n",
                     true);
  }

  // Every command on the config; expects each refused with `message`.
  void expect_every_command_refuses(const std::string& message) {
    std::string c = "-c " + shell_quote(config_);
    std::string out = dir_ + "/out.prom", state = dir_ + "/check.state";
    struct Case {
      std::string args;
      int code;
    } cases[] = {
        {"validate " + c, 2},
        {"rules export " + c, 2},
        {"check " + c + " --format prometheus --output " + shell_quote(out) + " --state-file " + shell_quote(state), 3},
        {"check " + c + " --format json", 3},
        {"serve " + c + " --listen 127.0.0.1:" + std::to_string(test::free_port()), 2},
    };
    for (const auto& k : cases) {
      SCOPED_TRACE(k.args);
      auto r = test::run_pgwarden(k.args);
      EXPECT_EQ(r.exit_code, k.code) << r.out;
      EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
      EXPECT_EQ(r.out.find(password_), std::string::npos) << r.out;
    }
    EXPECT_FALSE(fs::exists(out)) << "check wrote its output despite the refused config";
    EXPECT_FALSE(fs::exists(state)) << "check wrote a state file despite the refused config";
    EXPECT_FALSE(fs::exists(dir_ + "/state")) << "serve created its state_dir despite the refused config";
  }

  std::string dir_, config_, password_, password_file_;
};

TEST_F(FilePermissionsTest, PrivateFilesAreAccepted) {
  auto r = test::run_pgwarden("validate -c " + shell_quote(config_));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  // Same config, the node is down: check exits 2 (critical), not 3.
  r = test::run_pgwarden("check -c " + shell_quote(config_));
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

TEST_F(FilePermissionsTest, GroupReadableFilesAreAccepted) {
  ASSERT_EQ(::chmod(config_.c_str(), 0640), 0);
  ASSERT_EQ(::chmod(password_file_.c_str(), 0640), 0);
  auto r = test::run_pgwarden("validate -c " + shell_quote(config_));
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(FilePermissionsTest, ConfigReadableByOthersIsRefused) {
  ASSERT_EQ(::chmod(config_.c_str(), 0644), 0);
  expect_every_command_refuses(config_ + ": the config file \"" + config_ +
                               "\" is readable or writable by others (mode 0644); fix it with: chmod o-rwx " +
                               config_);
}

TEST_F(FilePermissionsTest, ConfigWritableByOthersIsRefused) {
  ASSERT_EQ(::chmod(config_.c_str(), 0602), 0);
  expect_every_command_refuses("(mode 0602); fix it with: chmod o-rwx " + config_);
}

TEST_F(FilePermissionsTest, SecretFileReadableByOthersIsRefused) {
  ASSERT_EQ(::chmod(password_file_.c_str(), 0604), 0);
  expect_every_command_refuses("clusters[0].nodes[0].password_file: \"" + password_file_ +
                               "\" is readable or writable by others (mode 0604); fix it with: chmod o-rwx " +
                               password_file_);
}

// A running serve keeps its config when a reload finds the file opened up.
TEST_F(FilePermissionsTest, ReloadOfAConfigOthersCanReadIsRejected) {
  test::PgwardenProcess proc;
  proc.start(test::read_file(config_));
  ASSERT_EQ(::chmod(proc.config_path().c_str(), 0644), 0);
  proc.reload();
  ASSERT_TRUE(test::poll_until([&] { return proc.log_text().find("keeping the running configuration") !=
                                            std::string::npos; },
                               std::chrono::seconds(30)))
      << proc.log_text();
  EXPECT_NE(proc.log_text().find("chmod o-rwx " + proc.config_path()), std::string::npos) << proc.log_text();
  EXPECT_EQ(proc.get("/healthz").status, 200);
}

TEST_F(FilePermissionsTest, StateDirWritableByEveryUserIsRefused) {
  const std::string state = dir_ + "/state";
  ASSERT_TRUE(fs::create_directory(state));
  ASSERT_EQ(::chmod(state.c_str(), 0777), 0);
  const std::string message = "exporter.state_dir: \"" + state + "\" is writable by every user (mode 0777)";
  auto r = test::run_pgwarden("validate -c " + shell_quote(config_));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
  r = test::run_pgwarden("serve -c " + shell_quote(config_) + " --listen 127.0.0.1:" +
                         std::to_string(test::free_port()));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_empty(state)) << "serve wrote into a state_dir it refused";
  // Not writable by others: accepted.
  ASSERT_EQ(::chmod(state.c_str(), 0750), 0);
  r = test::run_pgwarden("validate -c " + shell_quote(config_));
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

// A crash between mkstemp and rename leaves NAME.tmp.XXXXXX (or an older
// version's NAME.tmp) behind; serve removes those at start and nothing else.
TEST_F(FilePermissionsTest, CrashLeftoversInStateDirAreRemovedAtStart) {
  const std::string state = dir_ + "/state";
  ASSERT_TRUE(fs::create_directory(state));
  ASSERT_EQ(::chmod(state.c_str(), 0700), 0);
  const std::vector<std::string> leftovers = {"alerts.json.tmp.Ab12Cd", "silences.json.tmp"};
  for (const auto& f : leftovers) test::write_file(state + "/" + f, "{\"partial", true);
  test::write_file(state + "/notes.tmp.txt", "not ours\n", true);  // looks close, is not a temp name
  test::PgwardenProcess proc;
  proc.start(test::read_file(config_));
  ASSERT_TRUE(test::poll_until(
      [&] { return proc.log_text().find("removed 2 temporary file(s)") != std::string::npos; },
      std::chrono::seconds(20)))
      << proc.log_text();
  for (const auto& f : leftovers) EXPECT_FALSE(fs::exists(state + "/" + f)) << f;
  EXPECT_TRUE(fs::exists(state + "/notes.tmp.txt"));
  EXPECT_EQ(proc.get("/healthz").status, 200);
}

}  // namespace
}  // namespace pgw
