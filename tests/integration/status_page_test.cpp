// The human status page (`/` of `pgwarden serve`) rendered by a real
// browser: Debian's headless chromium loads it from the pgwarden of
// scripts/demo (primary + standby + client, and the Patroni pair), and the
// rendered DOM must show the nodes with their roles; a screenshot must come
// out non-trivial.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/fixtures/demo_process.h"
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
    demo_ = std::make_unique<DemoProcess>();
    // "ready" comes after the demo saw every node up in /metrics.
    ASSERT_TRUE(demo_->wait_ready(240s)) << "scripts/demo exited or was not ready within 240 s:\n" << demo_->log();
  }

  void TearDown() override {
    if (HasFailure() && demo_) std::cerr << "---- demo log ----\n" << demo_->log() << "----\n";
    demo_.reset();
  }

  std::unique_ptr<DemoProcess> demo_;
  std::string browser_dir_;
};

TEST_F(StatusPageTest, ChromiumShowsNodesWithRolesAndRendersAScreenshot) {
  std::string url = demo_->url() + "/";

  const bool ha = demo_->log().find("left out: cluster demo-ha") == std::string::npos;
  // "ready" means every node was up once; a role needs the node's latest
  // recovery check to have succeeded, which a slow (sanitized) build may
  // take another round for. Poll the page until every role is shown.
  CommandResult dom;
  auto known = [&](const char* node) {
    std::string role = role_in_dom(dom.out, node);
    return role == "primary" || role == "standby";
  };
  auto roles_shown = [&] {
    dom = run_command(chromium_command(browser_dir_ + "/profile-dom", "--dump-dom", url));
    if (dom.exit_code != 0) return false;
    for (const char* node : {"alpha", "beta", "air"})
      if (!known(node)) return false;
    if (ha)
      for (const char* node : {"ha1", "ha2"})
        if (!known(node)) return false;
    return true;
  };
  poll_until(roles_shown, 90s, 1s);
  ASSERT_EQ(dom.exit_code, 0) << dom.out << read_file(browser_dir_ + "/profile-dom.stderr");
  EXPECT_NE(dom.out.find("<h1>pgwarden</h1>"), std::string::npos) << dom.out;
  EXPECT_EQ(role_in_dom(dom.out, "alpha"), "primary") << dom.out;
  EXPECT_EQ(role_in_dom(dom.out, "beta"), "standby") << dom.out;
  // The laptop runs its own writable copy.
  EXPECT_EQ(role_in_dom(dom.out, "air"), "primary") << dom.out;
  if (ha) {
    EXPECT_EQ(role_in_dom(dom.out, "ha1"), "primary") << dom.out;
    EXPECT_EQ(role_in_dom(dom.out, "ha2"), "standby") << dom.out;
  }

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
