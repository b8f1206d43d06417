// `pgwarden check --push URL` against Debian's real prometheus-pushgateway
// and a real primary + standby: the run's series appear on the gateway under
// job="pgwarden" and the cluster, a second run replaces the group (PUT), what
// the gateway serves passes promtool, and a gateway that is down or answers
// an error is reported on stderr without changing the exit code.
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "core/http_client.h"
#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pushgateway_server.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/transcript.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

struct CheckRun {
  int exit_code = -1;
  std::string out, err;
  std::string str() const { return "exit " + std::to_string(exit_code) + "\nstdout:\n" + out + "stderr:\n" + err; }
};

class PushgatewayTest : public ::testing::Test {
 protected:
  PushgatewayTest() : dir_(make_temp_dir("pgw-push")) {}
  ~PushgatewayTest() override { remove_tree(dir_); }

  void SetUp() override {
    pg_.wait_streaming(0);
    WatchOptions o;
    o.state_dir = dir_ + "/state";
    config_ = dir_ + "/pgwarden.toml";
    write_file(config_, watch_config(pg_, o), true);
    // Healthy before anything is asserted: the primary reports the standby's
    // replay position only after its first reply.
    CheckRun r;
    poll_until([&] { return (r = check("")).exit_code == 0; }, 30s, 200ms);
    ASSERT_EQ(r.exit_code, 0) << r.str();
  }

  CheckRun check(const std::string& extra) {
    std::string err_path = dir_ + "/stderr.txt";
    auto c = run_command(std::string(PGWARDEN_BINARY) + " check -c " + shell_quote(config_) + " " + extra +
                         " 2>" + shell_quote(err_path));
    CheckRun r{c.exit_code, c.out, ""};
    try {
      r.err = read_file(err_path);
    } catch (const std::exception&) {
    }
    // The arguments may hold a URL with credentials: only the output is recorded.
    record_transcript("command", "pgwarden check --push\n" + r.str());
    return r;
  }

  PgCluster pg_;
  std::string dir_;
  std::string config_;
};

TEST_F(PushgatewayTest, RunSamplesAppearGroupedByJobAndCluster) {
  PushgatewayServer gw;
  CheckRun r = check("--push " + shell_quote(gw.url()));
  EXPECT_EQ(r.exit_code, 0) << r.str();
  EXPECT_EQ(r.err.find("pushgateway"), std::string::npos) << r.str();

  Exposition e = parse_exposition(gw.metrics());
  LabelMatchers group = {{"job", "pgwarden"}, {"cluster", "e2e"}};
  auto with = [&](LabelMatchers extra) {
    extra.insert(group.begin(), group.end());
    return extra;
  };
  EXPECT_EQ(e.value("pgwarden_node_up", with({{"node", "alpha"}})), 1.0);
  EXPECT_EQ(e.value("pgwarden_node_up", with({{"node", "beta"}})), 1.0);
  EXPECT_EQ(e.value("pgwarden_pg_in_recovery", with({{"node", "beta"}})), 1.0);
  // Self metrics, build info and the alerts series are part of the run.
  EXPECT_TRUE(e.find("pgwarden_check_success", with({{"node", "alpha"}})));
  EXPECT_TRUE(e.find("pgwarden_build_info", group));
  EXPECT_EQ(e.value("pgwarden_alerts", with({{"alertname", "Watchdog"}, {"state", "firing"}})), 1.0);
  EXPECT_EQ(e.type["pgwarden_node_up"], "gauge");
  EXPECT_TRUE(e.find("push_time_seconds", group));
}

TEST_F(PushgatewayTest, SecondRunReplacesTheGroupOnly) {
  PushgatewayServer gw;
  ASSERT_EQ(check("--push " + shell_quote(gw.url())).exit_code, 0);
  // The gateway insists on one HELP text per metric name across groups.
  std::string help = parse_exposition(gw.metrics()).help["pgwarden_node_up"];
  ASSERT_FALSE(help.empty());
  // A series left in the group by someone else, and another group.
  auto put = [&](const std::string& path, const std::string& body) {
    HttpRequest req;
    req.method = "POST";
    req.url = gw.url() + path;
    req.body = body;
    req.timeout = Duration(5000);
    return http_request(req).status;
  };
  ASSERT_EQ(put("/metrics/job/pgwarden/cluster/e2e", "# TYPE pgwarden_leftover gauge\npgwarden_leftover 7\n"), 200);
  ASSERT_EQ(put("/metrics/job/pgwarden/cluster/other", "# HELP pgwarden_node_up " + help + "\n# TYPE pgwarden_node_up gauge\npgwarden_node_up{node=\"x\"} 0\n"), 200);
  Exposition before = parse_exposition(gw.metrics());
  ASSERT_TRUE(before.find("pgwarden_leftover", {{"cluster", "e2e"}}));
  double first_push = before.value("push_time_seconds", {{"job", "pgwarden"}, {"cluster", "e2e"}}).value_or(0);

  CheckRun r = check("--push " + shell_quote(gw.url()));
  EXPECT_EQ(r.exit_code, 0) << r.str();
  Exposition after = parse_exposition(gw.metrics());
  EXPECT_FALSE(after.find("pgwarden_leftover")) << "PUT must replace the whole group";
  EXPECT_EQ(after.value("pgwarden_node_up", {{"cluster", "e2e"}, {"node", "alpha"}}), 1.0);
  EXPECT_EQ(after.value("pgwarden_node_up", {{"cluster", "other"}, {"node", "x"}}), 0.0)
      << "another group is left alone";
  EXPECT_GE(after.value("push_time_seconds", {{"job", "pgwarden"}, {"cluster", "e2e"}}).value_or(0), first_push);
  // Exactly one series per name and labels (no duplicates from two pushes).
  EXPECT_EQ(after.find_all("pgwarden_node_up", {{"cluster", "e2e"}, {"node", "alpha"}}).size(), 1u);
}

TEST_F(PushgatewayTest, PromtoolAcceptsWhatTheGatewayServes) {
  const char* promtool = "/usr/bin/promtool";
  if (access(promtool, X_OK) != 0) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  PushgatewayServer gw;
  ASSERT_EQ(check("--push " + shell_quote(gw.url())).exit_code, 0);
  std::string body = gw.metrics();
  ASSERT_NE(body.find("pgwarden_node_up"), std::string::npos);
  std::string file = dir_ + "/gateway.prom";
  write_file(file, body);
  auto r = run_command(std::string(promtool) + " check metrics < " + shell_quote(file), true);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  // promtool lints pgwarden's own series; the gateway's go_/process_ ones are its business.
  std::string ours;
  for (size_t pos = 0; (pos = r.out.find("pgwarden_", pos)) != std::string::npos; ++pos) ours += r.out.substr(pos, 80) + "\n";
  EXPECT_EQ(ours, "") << r.out;
}

TEST_F(PushgatewayTest, GatewayDownOrFailingIsReportedButNotTheVerdict) {
  // Nothing listens on a port that was just free.
  std::string down = "http://pushuser:s3cret-push-pw@127.0.0.1:" + std::to_string(free_port());
  record_secret("s3cret-push-pw");
  CheckRun r = check("--push " + shell_quote(down));
  EXPECT_EQ(r.exit_code, 0) << r.str();
  EXPECT_NE(r.err.find("pushgateway http://127.0.0.1:"), std::string::npos) << r.str();
  EXPECT_NE(r.err.find("push failed"), std::string::npos) << r.str();
  EXPECT_EQ(r.err.find("s3cret-push-pw"), std::string::npos) << r.str();
  EXPECT_EQ(r.out.rfind("PGWARDEN OK", 0), 0u) << r.str();

  // A gateway that answers an error (an unknown path prefix: 404).
  PushgatewayServer gw;
  r = check("--push " + shell_quote(gw.url() + "/no/such/prefix"));
  EXPECT_EQ(r.exit_code, 0) << r.str();
  EXPECT_NE(r.err.find("push failed: HTTP 4"), std::string::npos) << r.str();

  // A critical verdict stays critical when the push fails.
  pg_.stop_standby(0);
  poll_until([&] { return (r = check("--push " + shell_quote(down))).exit_code == 2; }, 30s, 200ms);
  EXPECT_EQ(r.exit_code, 2) << r.str();
  EXPECT_NE(r.err.find("push failed"), std::string::npos) << r.str();
}

}  // namespace
}  // namespace pgw::test
