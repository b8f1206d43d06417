// scripts/demo --check must start the whole demo (primary + standby + client,
// Patroni pair with etcd, sshd, embedder stub, webhook receiver), see every
// part up, print a summary and clean up, within 240 s. apt-get and the build
// are skipped: the test runs the binary CMake built.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/fixtures/demo_process.h"
#include "tests/fixtures/pgwarden_process.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

TEST(DemoTest, DemoCheckSucceedsWithin240Seconds) {
  DemoProcess demo({"--check"});
  bool finished = demo.process().wait_exit(240s);
  if (!finished) demo.process().stop();
  std::string out = demo.log();
  ASSERT_TRUE(finished) << "scripts/demo --check did not finish within 240 s:\n" << out;
  EXPECT_EQ(describe_status(demo.process().status()), "exit 0") << out;
  EXPECT_NE(out.find("demo check passed"), std::string::npos) << out;
  // The summary shows the nodes up and their roles.
  for (const char* row : {R"(alpha up +1\n)", R"(beta up +1\n)", R"(air up +1\n)", R"(alpha in recovery +0\n)",
                          R"(beta in recovery +1\n)"})
    EXPECT_TRUE(std::regex_search(out, std::regex(row))) << row << "\n" << out;
  // As root with the runtime packages installed (as scripts/test makes
  // sure), no part of the demo may be left out.
  if (::geteuid() == 0) {
    EXPECT_EQ(out.find("left out:"), std::string::npos) << out;
  }
  // The exit trap ran: servers stopped and the work directory removed.
  EXPECT_NE(out.find("demo: stopped"), std::string::npos) << out;
  std::string work = demo.work_dir();
  ASSERT_FALSE(work.empty()) << out;
  EXPECT_FALSE(std::filesystem::exists(work)) << work << " was left behind";
  std::smatch up;
  if (std::regex_search(out, up, std::regex(R"(demo is up after (\d+) s)")))
    std::cerr << "scripts/demo --check: up after " << up[1] << " s, finished after " << demo.process().seconds()
              << " s\n";
}

}  // namespace
}  // namespace pgw::test
