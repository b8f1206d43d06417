// The human status page (`/` of `pgwarden serve`) rendered by a real
// browser: Debian's headless chromium loads it from a serve process watching
// a real primary + standby, and the rendered DOM must show both nodes with
// their roles; a screenshot must come out non-trivial.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* const kChromium = "/usr/bin/chromium";

// Flags that keep chromium from touching the network or the user's profile.
std::string chromium_command(const std::string& profile_dir, const std::string& what, const std::string& url) {
  return std::string("timeout 120 ") + kChromium +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
         " --disable-background-networking --disable-component-update --disable-sync"
         " --user-data-dir=" + shell_quote(profile_dir) + " " + what + " " + shell_quote(url) +
         // Its stderr is dbus noise on a headless box: kept for failure messages only.
         " 2>" + shell_quote(profile_dir + ".stderr");
}

// The "actual role" cell of the node's row in the rendered DOM, or "".
std::string role_in_dom(const std::string& dom, const std::string& node) {
  std::smatch m;
  std::regex row("<tr[^>]*data-node=\"" + node + "\"[^>]*>(.*?)</tr>");
  if (!std::regex_search(dom, m, row)) return "";
  std::string cells = m.str(1);
  std::smatch r;
  if (!std::regex_search(cells, r, std::regex("<td[^>]*class=\"role\"[^>]*>([^<]*)</td>"))) return "";
  return r.str(1);
}

class StatusPageTest : public ::testing::Test {
 protected:
  StatusPageTest() : browser_dir_(make_temp_dir("pgw-chromium")) {}
  ~StatusPageTest() override { remove_tree(browser_dir_); }

  void SetUp() override {
    if (access(kChromium, X_OK) != 0)
      GTEST_SKIP() << kChromium << " is not installed (Debian package: chromium)";
    pg_.wait_streaming(0);
    WatchOptions o;
    o.state_dir = proc_.dir() + "/state";
    proc_.start(watch_config(pg_, o));
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << "---- pgwarden log ----\n" << proc_.log_text() << "----\n";
  }

  PgCluster pg_;
  PgwardenProcess proc_;
  std::string browser_dir_;
};

TEST_F(StatusPageTest, ChromiumShowsNodesWithRolesAndRendersAScreenshot) {
  ASSERT_TRUE(eventually_metrics(proc_, "node_up for both nodes", 30s, [](const Exposition& m) {
    return m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0 &&
           m.value("pgwarden_node_up", {{"node", "beta"}}) == 1.0 &&
           m.find("pgwarden_pg_in_recovery", {{"node", "beta"}}) != nullptr;
  }));
  std::string url = proc_.base_url() + "/";

  CommandResult dom = run_command(chromium_command(browser_dir_ + "/profile-dom", "--dump-dom", url));
  ASSERT_EQ(dom.exit_code, 0) << dom.out << read_file(browser_dir_ + "/profile-dom.stderr");
  EXPECT_NE(dom.out.find("<h1>pgwarden</h1>"), std::string::npos) << dom.out;
  EXPECT_EQ(role_in_dom(dom.out, "alpha"), "primary") << dom.out;
  EXPECT_EQ(role_in_dom(dom.out, "beta"), "standby") << dom.out;

  std::string png = browser_dir_ + "/status.png";
  CommandResult shot = run_command(chromium_command(browser_dir_ + "/profile-shot",
                                                    "--screenshot=" + shell_quote(png) + " --window-size=1200,900", url));
  std::string shot_log = read_file(browser_dir_ + "/profile-shot.stderr");
  ASSERT_EQ(shot.exit_code, 0) << shot.out << shot_log;
  ASSERT_TRUE(fs::exists(png)) << shot.out << shot_log;
  EXPECT_GT(fs::file_size(png), 5u * 1024) << "a blank page would be a few hundred bytes";
  std::string head = read_file(png).substr(0, 8);
  EXPECT_EQ(head, std::string("\x89PNG\r\n\x1a\n", 8));
}

}  // namespace
}  // namespace pgw::test
