// scripts/demo --check must start a cluster, pgwarden and (when present) the
// embedder stub, see both nodes up, print a summary and clean up, within 60 s.
// apt-get and the build are skipped: the test runs the binary CMake built.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"

extern char** environ;

namespace pgw::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Finished {
  bool exited = false;
  int status = 0;
  double seconds = 0;
};

// Runs `argv` in its own process group with `env` added, output to `log`.
// After `timeout` the group gets SIGTERM (the demo's trap tears down), and
// SIGKILL 20 s later if it is still there.
Finished run_with_timeout(const std::vector<std::string>& args, const std::vector<std::string>& env,
                          const std::string& log, std::chrono::seconds timeout) {
  std::vector<std::string> envs(env);
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("posix_spawn failed: " + std::to_string(rc));

  Finished f;
  auto t0 = Clock::now();
  auto reap = [&] {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) != pid) return false;
    f.exited = true;
    f.status = status;
    return true;
  };
  bool done = poll_until(reap, timeout, 100ms);
  f.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!done) {
    ::kill(-pid, SIGTERM);
    if (!poll_until(reap, 20s, 100ms)) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    f.exited = false;  // it had to be stopped
  }
  return f;
}

TEST(DemoTest, DemoCheckSucceedsWithin60Seconds) {
  std::string dir = make_temp_dir("pgwarden-demo-test");
  std::string log = dir + "/demo.log";
  Finished f = run_with_timeout({"/bin/bash", std::string(PGWARDEN_SOURCE_DIR) + "/scripts/demo", "--check"},
                                {"PGWARDEN_DEMO_NO_BUILD=1", std::string("PGWARDEN_BINARY=") + PGWARDEN_BINARY,
                                 // any free port: the test must not depend on 9847
                                 "PGWARDEN_DEMO_PORT=" + std::to_string(free_port())},
                                log, 60s);
  std::string out = read_file(log);
  remove_tree(dir);
  ASSERT_TRUE(f.exited) << "scripts/demo --check did not finish within 60 s:\n" << out;
  EXPECT_EQ(describe_status(f.status), "exit 0") << out;
  EXPECT_NE(out.find("demo check passed"), std::string::npos) << out;
  // The summary shows both nodes up and their roles.
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(alpha up +1\n)"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(beta up +1\n)"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(beta in recovery +1\n)"))) << out;
  // The exit trap ran: servers stopped and the work directory removed.
  EXPECT_NE(out.find("demo: stopped"), std::string::npos) << out;
  std::smatch work;
  ASSERT_TRUE(std::regex_search(out, work, std::regex(R"(work directory: (\S+))"))) << out;
  EXPECT_FALSE(std::filesystem::exists(work[1].str())) << work[1].str() << " was left behind";
  std::cerr << "scripts/demo --check took " << f.seconds << " s\n";
}

}  // namespace
}  // namespace pgw::test
