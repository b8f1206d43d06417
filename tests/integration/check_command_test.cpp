// `pgwarden check` (the cron / Nagios one-shot mode) run as a real process
// against a real primary + streaming standby. Each test starts its own
// cluster and temp directory; both are removed by destructors, also when a
// test fails. Interval and per-check timeout are 1 s.
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/exposition.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/transcript.h"
#include "tests/fixtures/webhook_sink.h"

namespace pgw::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A change on a server is seen by the next `check` run; polling runs of
// about a second each, this allows for a busy 2-core machine.
constexpr auto kReact = 30s;

struct CheckRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  std::string str() const { return "exit " + std::to_string(exit_code) + "\nstdout:\n" + out + "stderr:\n" + err; }
};

class CheckCommandTest : public ::testing::Test {
 protected:
  CheckCommandTest() : dir_(make_temp_dir("pgw-check")) {}
  ~CheckCommandTest() override { remove_tree(dir_); }

  void SetUp() override { pg_.wait_streaming(0); }

  // Writes the watch config for the cluster plus `extra_toml`; returns its path.
  std::string write_config(const std::string& extra_toml = "") {
    WatchOptions o;
    o.state_dir = dir_ + "/state";
    o.extra_toml = extra_toml;
    std::string path = dir_ + "/pgwarden.toml";
    write_file(path, watch_config(pg_, o), true);
    return path;
  }

  CheckRun check(const std::string& args) {
    std::string err_path = dir_ + "/stderr.txt";
    CommandResult r = run_command(std::string(PGWARDEN_BINARY) + " check " + args + " 2>" + shell_quote(err_path));
    CheckRun c{r.exit_code, r.out, ""};
    try {
      c.err = read_file(err_path);
    } catch (const std::exception&) {
    }
    record_transcript("command", "pgwarden check " + args + "\n" + c.str());
    return c;
  }

  std::string config_arg(const std::string& path) { return "-c " + shell_quote(path); }

  // Runs `args` until the exit code is `code` or kReact passes; returns the last run.
  CheckRun check_until_exit(const std::string& args, int code) {
    CheckRun last;
    poll_until([&] {
      last = check(args);
      return last.exit_code == code;
    }, kReact, 200ms);
    return last;
  }

  PgCluster pg_;
  std::string dir_;
};

// Nagios plugin guidelines, performance data: 'label'=value[UOM];[warn];[crit];[min];[max]
// (label quoted, a quote inside doubled; warn/crit are ranges; trailing
// semicolons may be dropped). Numbers are in [-0-9.], no exponent.
const std::string kNum = R"(-?[0-9]+(?:\.[0-9]+)?)";
const std::string kRange = "@?(?:(?:" + kNum + "|~):)?(?:" + kNum + ")?";
const std::regex kPerfItem("'(?:[^'=]|'')+'=(" + kNum + ")(|s|ms|us|%|B|KB|MB|TB|c)" + "(?:;(" + kRange + ")(?:;(" +
                           kRange + ")(?:;(" + kNum + ")?(?:;(" + kNum + ")?)?)?)?)?(?= |$)");

// Splits perfdata into items (labels may contain spaces) and validates each;
// returns the items, or fails the test naming the first bad one.
std::vector<std::string> parse_perfdata(const std::string& perf) {
  std::vector<std::string> items;
  size_t pos = 0;
  while (pos < perf.size()) {
    std::smatch m;
    std::string rest = perf.substr(pos);
    bool ok = std::regex_search(rest, m, kPerfItem, std::regex_constants::match_continuous) &&
              (static_cast<size_t>(m.length(0)) == rest.size() || rest[m.length(0)] == ' ');
    if (!ok) {
      ADD_FAILURE() << "perfdata item does not follow the Nagios plugin format at: " << rest;
      return items;
    }
    items.push_back(m.str(0));
    pos += m.length(0) + 1;
  }
  return items;
}

TEST_F(CheckCommandTest, HealthyClusterIsOkWithValidPerfdata) {
  std::string cfg = write_config();
  // Until the standby's first reply the primary reports no replay LSN, so
  // the byte lag (and its perfdata item) appears a moment after streaming.
  CheckRun r;
  poll_until([&] {
    r = check(config_arg(cfg));
    return r.exit_code == 0 && r.out.find("beta replay lag'=") != std::string::npos;
  }, kReact, 200ms);
  ASSERT_EQ(r.exit_code, 0) << r.str();
  ASSERT_EQ(r.out.rfind("PGWARDEN OK - ", 0), 0u) << r.str();
  ASSERT_EQ(r.out.back(), '\n');
  std::string line = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line expected:\n" << r.out;
  size_t bar = line.find(" | ");
  ASSERT_NE(bar, std::string::npos) << "no perfdata: " << line;
  auto items = parse_perfdata(line.substr(bar + 3));
  bool replay_lag = false, cluster_lag = false;
  for (const auto& i : items) {
    if (i.find("beta replay lag'=") != std::string::npos) replay_lag = true;
    if (i.find("alpha->beta lag'=") != std::string::npos) cluster_lag = true;
  }
  EXPECT_TRUE(replay_lag) << line;
  EXPECT_TRUE(cluster_lag) << line;
  // No secret in anything the command prints.
  EXPECT_EQ(r.out.find(pg_.password()), std::string::npos);
  EXPECT_EQ(r.err.find(pg_.password()), std::string::npos);
}

TEST_F(CheckCommandTest, LagOverWarningThresholdOnlyIsWarning) {
  std::string cfg = write_config(
      "[alerts]\nlag_warning_bytes = 1e5\nlag_critical_bytes = 1e12\n"
      "lag_warning_seconds = 1e6\nlag_critical_seconds = 1e7\n");
  ASSERT_EQ(check_until_exit(config_arg(cfg), 0).exit_code, 0);

  pg_.pause_replay(0);
  pg_.psql(PgCluster::kPrimary, "CREATE TABLE lag_fill AS SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 20000) g");
  CheckRun r = check_until_exit(config_arg(cfg), 1);
  EXPECT_EQ(r.exit_code, 1) << r.str();
  EXPECT_EQ(r.out.rfind("PGWARDEN WARNING - ", 0), 0u) << r.str();
  EXPECT_NE(r.out.find("PgReplicationLagHigh"), std::string::npos) << r.str();
  EXPECT_EQ(r.out.find("CRITICAL"), std::string::npos) << r.str();

  pg_.resume_replay(0);
  CheckRun back = check_until_exit(config_arg(cfg), 0);
  EXPECT_EQ(back.exit_code, 0) << "after resuming replay:\n" << back.str();
}

TEST_F(CheckCommandTest, StoppedStandbyIsCritical) {
  std::string cfg = write_config();
  pg_.stop_standby(0);
  CheckRun r = check(config_arg(cfg));
  EXPECT_EQ(r.exit_code, 2) << r.str();
  EXPECT_EQ(r.out.rfind("PGWARDEN CRITICAL - ", 0), 0u) << r.str();
  EXPECT_NE(r.out.find("PgNodeDown(beta)"), std::string::npos) << r.str();
  EXPECT_EQ(r.out.find("PgNodeDown(alpha)"), std::string::npos) << r.str();
}

TEST_F(CheckCommandTest, UnreadableConfigIsUnknownAndWritesNothing) {
  std::string out_file = dir_ + "/out.prom";
  std::string missing = dir_ + "/no-such.toml";
  CheckRun r = check(config_arg(missing) + " --format prometheus --output " + shell_quote(out_file));
  EXPECT_EQ(r.exit_code, 3) << r.str();
  EXPECT_EQ(r.out.rfind("PGWARDEN UNKNOWN", 0), 0u) << r.str();
  EXPECT_NE(r.err.find("no-such.toml"), std::string::npos) << "the error should name the file:\n" << r.str();
  EXPECT_FALSE(fs::exists(out_file));

  std::string bad = dir_ + "/bad.toml";
  write_file(bad, "[exporter]\ninterval = \"1s\"\n[[clusters]\nname = \"x\"\n", true);
  r = check(config_arg(bad) + " --format prometheus --output " + shell_quote(out_file));
  EXPECT_EQ(r.exit_code, 3) << r.str();
  EXPECT_EQ(r.out.rfind("PGWARDEN UNKNOWN", 0), 0u) << r.str();
  EXPECT_TRUE(std::regex_search(r.err, std::regex("bad\\.toml:3:[0-9]+"))) << "file:line:col expected:\n" << r.str();
  EXPECT_FALSE(fs::exists(out_file));
}

TEST_F(CheckCommandTest, JsonFormatHasNodesSamplesAndAlerts) {
  std::string cfg = write_config();
  CheckRun r = check_until_exit(config_arg(cfg) + " --format json", 0);
  ASSERT_EQ(r.exit_code, 0) << r.str();
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out;
  EXPECT_EQ(j.value("status", ""), "OK");
  EXPECT_EQ(j.value("exit_code", -1), 0);

  ASSERT_TRUE(j["nodes"].is_array());
  std::map<std::string, std::string> roles;
  for (const auto& n : j["nodes"]) {
    roles[n.value("node", "")] = n.value("role", "");
    EXPECT_FALSE(n["checks"].empty()) << n.dump();
    for (const auto& [name, c] : n["checks"].items()) EXPECT_TRUE(c.value("success", false)) << name << ": " << c.dump();
  }
  EXPECT_EQ(roles, (std::map<std::string, std::string>{{"alpha", "primary"}, {"beta", "standby"}}));

  ASSERT_TRUE(j["samples"].is_array());
  std::map<std::string, double> up;
  for (const auto& s : j["samples"])
    if (s.value("name", "") == "pgwarden_node_up") up[s["labels"].value("node", "")] = s.value("value", -1.0);
  EXPECT_EQ(up, (std::map<std::string, double>{{"alpha", 1.0}, {"beta", 1.0}}));

  ASSERT_TRUE(j["alerts"].is_array());
  bool watchdog = false;
  for (const auto& a : j["alerts"]) {
    std::string name = a["labels"].value("alertname", "");
    if (name == "Watchdog") watchdog = a.value("state", "") == "firing";
    else ADD_FAILURE() << "unexpected alert on a healthy cluster: " << a.dump();
  }
  EXPECT_TRUE(watchdog) << j["alerts"].dump(2);
}

TEST_F(CheckCommandTest, PrometheusOutputFileIsWrittenAtomically) {
  std::string cfg = write_config();
  std::string out_dir = dir_ + "/textfile";
  fs::create_directory(out_dir);
  std::string out_file = out_dir + "/pgwarden.prom";
  write_file(out_file, "# stale content from an earlier run\n");

  CheckRun r = check_until_exit(config_arg(cfg) + " --format prometheus --output " + shell_quote(out_file), 0);
  ASSERT_EQ(r.exit_code, 0) << r.str();
  EXPECT_EQ(r.out, "") << "with --output nothing goes to stdout";

  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(out_dir)) entries.push_back(e.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{"pgwarden.prom"}) << "temp files left behind";

  std::string body = read_file(out_file);
  Exposition m;
  ASSERT_NO_THROW(m = parse_exposition(body)) << body;
  EXPECT_EQ(m.value("pgwarden_node_up", {{"node", "alpha"}}), 1.0) << body;
  EXPECT_EQ(m.value("pgwarden_node_up", {{"node", "beta"}}), 1.0) << body;
  EXPECT_EQ(m.value("pgwarden_pg_in_recovery", {{"node", "beta"}}), 1.0) << body;
  EXPECT_NE(m.find("pgwarden_alerts", {{"alertname", "Watchdog"}}), nullptr) << body;
  EXPECT_EQ(body.find("stale content"), std::string::npos);
}

TEST_F(CheckCommandTest, TextFormatIsHumanReadable) {
  std::string cfg = write_config();
  CheckRun r = check_until_exit(config_arg(cfg) + " --format text", 0);
  ASSERT_EQ(r.exit_code, 0) << r.str();
  EXPECT_EQ(r.out.rfind("pgwarden check: OK\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("e2e/alpha (primary)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("e2e/beta (standby)"), std::string::npos) << r.out;
  // Only the Watchdog (severity none) may be listed as firing.
  EXPECT_EQ(r.out.find("[warning]"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("[critical]"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("FAILED"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('{'), std::string::npos) << "not JSON:\n" << r.out;
}

// Active alerts from a --format json run, by alertname.
std::map<std::string, nlohmann::json> alerts_by_name(const CheckRun& r) {
  std::map<std::string, nlohmann::json> out;
  try {
    nlohmann::json j = nlohmann::json::parse(r.out);
    for (const auto& a : j["alerts"]) out[a["labels"].value("alertname", "")] = a;
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what() << "\n" << r.str();
  }
  return out;
}

TEST_F(CheckCommandTest, StateFileKeepsForTimersAcrossRuns) {
  std::string cfg = write_config(
      "[[rules]]\nalert = \"AlwaysTrueForAnHour\"\nexpr = 'pgwarden_node_up == 1'\nfor = \"1h\"\n"
      "severity = \"warning\"\n");
  // Without a state file `for` is ignored: the rule fires at once (this
  // proves the rule is really true).
  CheckRun fresh = check_until_exit(config_arg(cfg), 1);
  ASSERT_EQ(fresh.exit_code, 1) << fresh.str();
  EXPECT_NE(fresh.out.find("AlwaysTrueForAnHour"), std::string::npos) << fresh.str();

  std::string state = dir_ + "/check-state.json";
  std::string args = config_arg(cfg) + " --format json --state-file " + shell_quote(state);
  CheckRun first = check(args);
  EXPECT_EQ(first.exit_code, 0) << first.str();
  EXPECT_TRUE(fs::exists(state));
  auto a1 = alerts_by_name(first);
  ASSERT_EQ(a1.count("AlwaysTrueForAnHour"), 1u) << first.out;
  EXPECT_EQ(a1["AlwaysTrueForAnHour"].value("state", ""), "pending");

  CheckRun second = check(args);
  EXPECT_EQ(second.exit_code, 0) << second.str();
  auto a2 = alerts_by_name(second);
  ASSERT_EQ(a2.count("AlwaysTrueForAnHour"), 1u) << second.out;
  EXPECT_EQ(a2["AlwaysTrueForAnHour"].value("state", ""), "pending");
  // The timer continued from the first run instead of restarting.
  EXPECT_EQ(a2["AlwaysTrueForAnHour"].value("activeAt", "x"), a1["AlwaysTrueForAnHour"].value("activeAt", "y"));

  // A broken config leaves the state file as it was.
  std::string before = read_file(state);
  std::string bad = dir_ + "/bad.toml";
  write_file(bad, "[exporter\n", true);
  CheckRun broken = check(config_arg(bad) + " --state-file " + shell_quote(state));
  EXPECT_EQ(broken.exit_code, 3) << broken.str();
  EXPECT_EQ(read_file(state), before);
}

// Notifications (webhook payload version 4) for the PgNodeDown group, by status.
std::map<std::string, int> node_down_notifications(const WebhookSink& sink) {
  std::map<std::string, int> out;
  for (const auto& req : sink.requests()) {
    nlohmann::json b = nlohmann::json::parse(req.body, nullptr, false);
    if (b.is_discarded()) {
      ADD_FAILURE() << "not JSON: " << req.body;
      continue;
    }
    if (b["groupLabels"].value("alertname", "") == "PgNodeDown") ++out[b.value("status", "")];
  }
  return out;
}

TEST_F(CheckCommandTest, NotifyWithStateFileSendsOneFiringThenResolved) {
  WebhookSink sink;
  std::string cfg = write_config(
      "[alerts]\nfor = \"0s\"\n\n"
      "[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"" + sink.url("/hook") + "\"\n"
      "send_resolved = true\ngroup_wait = \"0s\"\ngroup_interval = \"1s\"\nrepeat_interval = \"4h\"\n"
      "match = { severity = \"critical\" }\ngroup_by = [\"alertname\", \"cluster\"]\n");
  std::string state = dir_ + "/check-state.json";
  std::string args = config_arg(cfg) + " --notify --state-file " + shell_quote(state);

  pg_.stop_standby(0);
  for (int i = 0; i < 3; ++i) {
    CheckRun r = check(args);
    ASSERT_EQ(r.exit_code, 2) << "run " << i << "\n" << r.str();
  }
  // Each run delivers before it exits, so the count is final here.
  auto sent = node_down_notifications(sink);
  EXPECT_EQ(sent["firing"], 1) << "one firing notification for the group, not one per run";
  EXPECT_EQ(sent["resolved"], 0);
  for (const auto& req : sink.requests()) EXPECT_EQ(req.body.find(pg_.password()), std::string::npos);

  pg_.start_standby(0);
  pg_.wait_streaming(0);
  CheckRun fixed = check_until_exit(args, 0);
  ASSERT_EQ(fixed.exit_code, 0) << fixed.str();
  sent = node_down_notifications(sink);
  EXPECT_EQ(sent["resolved"], 1) << "one resolved notification after the fault is fixed";
  EXPECT_EQ(sent["firing"], 1);
}

}  // namespace
}  // namespace pgw::test
