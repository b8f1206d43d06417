// The human status page (`/` of `pgwarden serve`) rendered by a real
// browser: Debian's headless chromium loads it from the pgwarden of
// scripts/demo (primary + standby + client, and the Patroni pair), and the
// rendered DOM must show the nodes with their roles and the standby's lag
// graphs (inline SVG drawn from the rule history, a point per round); a
// screenshot must come out non-trivial. Every SVG of the page as served
// must be well-formed XML.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "core/http_client.h"
#include "tests/fixtures/demo_process.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/xml_wellformed.h"

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

// The lag row of `standby` (its two <svg> graphs), or "".
std::string lag_row(const std::string& page, const std::string& standby) {
  std::string start = "<tr class=\"lag\" data-standby=\"" + standby + "\">";
  size_t b = page.find(start);
  if (b == std::string::npos) return "";
  b += start.size();
  return page.substr(b, page.find("</tr>", b) - b);
}

// data-points of the row's graph of `unit` ("bytes" or "seconds"), or -1.
int graph_points(const std::string& row, const std::string& unit) {
  std::smatch m;
  if (!std::regex_search(row, m, std::regex("<svg[^>]*data-unit=\"" + unit + "\"[^>]*data-points=\"([0-9]+)\"")))
    return -1;
  return std::stoi(m.str(1));
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
    // A few rounds (2 s each) give the standby's graphs two points or more.
    std::string row = lag_row(dom.out, "beta");
    return graph_points(row, "bytes") >= 2 && graph_points(row, "seconds") >= 2;
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
  // The browser took the graphs as SVG: a line of at least two points each.
  std::string row = lag_row(dom.out, "beta");
  EXPECT_GE(graph_points(row, "bytes"), 2) << dom.out;
  EXPECT_GE(graph_points(row, "seconds"), 2) << dom.out;
  std::smatch line;
  ASSERT_TRUE(std::regex_search(row, line, std::regex("<polyline[^>]* points=\"([^\"]*)\""))) << row;
  EXPECT_NE(line.str(1).find(' '), std::string::npos) << "one point only: " << line.str(1);

  // The page as served: every graph well-formed XML, no script anywhere.
  HttpRequest req;
  req.url = url;
  HttpResponse served = http_request(req);
  ASSERT_EQ(served.status, 200) << served.error;
  EXPECT_EQ(served.body.find("<script"), std::string::npos);
  size_t graphs = 0;
  for (size_t p = served.body.find("<svg"); p != std::string::npos; p = served.body.find("<svg", p + 1), ++graphs) {
    size_t e = served.body.find("</svg>", p);
    ASSERT_NE(e, std::string::npos) << served.body.substr(p);
    std::string svg = served.body.substr(p, e + 6 - p);
    EXPECT_EQ(xml_wellformed_error(svg), "") << svg;
  }
  EXPECT_GE(graphs, ha ? 4u : 2u);  // beta's two, and ha2's

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
