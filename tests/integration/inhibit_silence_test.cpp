// One fault, one page, and silences, against real servers: a primary +
// standby, `pgwarden serve` and `pgwarden check`, Debian's amtool, and a
// webhook sink.
#include <chrono>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/http_client.h"
#include "core/time_format.h"
#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/flag_alerts.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/transcript.h"
#include "tests/fixtures/webhook_sink.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

// Webhook notifications of one group (groupLabels.cluster == cluster), in order.
std::vector<nlohmann::json> cluster_notifications(const WebhookSink& sink, const std::string& cluster) {
  std::vector<nlohmann::json> out;
  for (const auto& r : sink.requests()) {
    auto b = nlohmann::json::parse(r.body, nullptr, false);
    if (!b.is_discarded() && b["groupLabels"].value("cluster", "") == cluster) out.push_back(b);
  }
  return out;
}

// Firing notifications that carry an alert named `name`.
int firing_with(const WebhookSink& sink, const std::string& name) {
  int n = 0;
  for (const auto& r : sink.requests()) {
    auto b = nlohmann::json::parse(r.body, nullptr, false);
    if (b.is_discarded()) continue;
    for (const auto& a : b["alerts"])
      if (a["labels"].value("alertname", "") == name && a.value("status", "") == "firing") {
        ++n;
        break;
      }
  }
  return n;
}

nlohmann::json alerts_json(const PgwardenProcess& p) {
  auto r = p.get("/alerts");
  if (r.status != 200) return nlohmann::json::array();
  return nlohmann::json::parse(r.body, nullptr, false)["alerts"];
}

std::string receiver_toml(const std::string& url, const std::string& extra) {
  return "[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\nurl = \"" + url + "\"\n" + extra + "\n";
}

class InhibitSilenceTest : public ::testing::Test {
 protected:
  InhibitSilenceTest() : dir_(make_temp_dir("pgw-inhibit")) {}
  ~InhibitSilenceTest() override { remove_tree(dir_); }
  void SetUp() override { pg_.wait_streaming(0); }

  std::string config(const std::string& extra) {
    WatchOptions o;
    o.state_dir = dir_ + "/state";
    o.extra_toml = extra;
    return watch_config(pg_, o);
  }

  CommandResult amtool(const PgwardenProcess& p, const std::string& args) {
    // stdout only: amtool warns on stderr that "pgwarden-x" is not its version.
    auto r = run_command("amtool --alertmanager.url=" + p.base_url() + " " + args);
    record_transcript("command", "amtool " + args + "\n" + r.out);
    return r;
  }

  PgCluster pg_;
  std::string dir_;
};

// Stopping the primary raises PgNodeDown, PgNoPrimary, PgStandbyNotStreaming
// and a CheckFailing per PostgreSQL check of the dead node. With the
// built-in inhibition and the default grouping (by cluster) a person gets
// exactly one page, naming the down node; the rest is visible in /alerts as
// suppressed. Starting it again gives one resolved notification.
TEST_F(InhibitSilenceTest, StoppedPrimaryIsOnePage) {
  WebhookSink sink;
  PgwardenProcess p;
  // Default rules and default grouping (group_by, group_wait); `for` and
  // group_interval shortened so the test takes two minutes, not ten. The
  // group_interval must outlast the standby's reconnection after the
  // primary returns (its PgStandbyNotStreaming fired underneath, inhibited
  // by PgNoPrimary, and is uninhibited for a few seconds after it resolves;
  // with a 5 s interval that reached the sink as a firing notification).
  p.start(config("[alerts]\nfor = \"20s\"\n\n" +
                 receiver_toml(sink.url("/hook"), "group_interval = \"30s\"\n")));
  // Healthy: nothing about the cluster was sent.
  ASSERT_TRUE(over_check_rounds(p, "alpha", 3, 60s));
  ASSERT_TRUE(cluster_notifications(sink, "e2e").empty()) << sink.requests()[0].body;

  pg_.stop_node(PgCluster::kPrimary);
  ASSERT_TRUE(poll_until([&] { return !cluster_notifications(sink, "e2e").empty(); }, 90s, 200ms))
      << p.log_text();
  // Everything that follows from the fault is firing and suppressed.
  nlohmann::json alerts;
  ASSERT_TRUE(poll_until([&] {
    alerts = alerts_json(p);
    int suppressed_checks = 0;
    for (const auto& a : alerts)
      if (a["labels"].value("alertname", "") == "CheckFailing" && a.value("state", "") == "firing" &&
          !a["inhibitedBy"].empty())
        ++suppressed_checks;
    return suppressed_checks >= 3;
  }, 30s, 500ms)) << alerts.dump(1);
  // A few more rounds: still exactly one notification.
  ASSERT_TRUE(over_check_rounds(p, "beta", 5, 60s));
  auto sent = cluster_notifications(sink, "e2e");
  ASSERT_EQ(sent.size(), 1u) << sent.back().dump(1);
  EXPECT_EQ(sent[0].value("status", ""), "firing");
  std::set<std::string> names;
  for (const auto& a : sent[0]["alerts"]) names.insert(a["labels"].value("alertname", ""));
  EXPECT_TRUE(names.count("PgNodeDown")) << sent[0].dump(1);
  EXPECT_FALSE(names.count("CheckFailing")) << sent[0].dump(1);
  EXPECT_FALSE(names.count("PgStandbyNotStreaming")) << sent[0].dump(1);
  bool names_alpha = false;
  for (const auto& a : sent[0]["alerts"])
    if (a["labels"].value("alertname", "") == "PgNodeDown")
      names_alpha = a["labels"].value("node", "") == "alpha";
  EXPECT_TRUE(names_alpha) << sent[0].dump(1);

  // /alerts: the rest is there, firing, suppressed, with inhibitedBy.
  alerts = alerts_json(p);
  std::string down_fp;
  for (const auto& a : alerts)
    if (a["labels"].value("alertname", "") == "PgNodeDown") down_fp = a.value("fingerprint", "");
  ASSERT_FALSE(down_fp.empty());
  int inhibited_by_down = 0;
  for (const auto& a : alerts) {
    const std::string name = a["labels"].value("alertname", "");
    if (name == "CheckFailing" && a["labels"].value("node", "") == "alpha") {
      EXPECT_TRUE(a.value("suppressed", false)) << a.dump();
      EXPECT_EQ(a["inhibitedBy"], nlohmann::json::array({down_fp})) << a.dump();
      ++inhibited_by_down;
    }
    if (name == "PgStandbyNotStreaming" && a.value("state", "") == "firing") {
      EXPECT_FALSE(a["inhibitedBy"].empty()) << a.dump();  // by PgNoPrimary
    }
  }
  EXPECT_GE(inhibited_by_down, 3) << alerts.dump(1);
  // Alertmanager's view: suppressed with inhibitedBy.
  auto am = nlohmann::json::parse(p.get("/api/v2/alerts").body);
  int suppressed = 0;
  for (const auto& a : am)
    if (a["status"].value("state", "") == "suppressed" && !a["status"]["inhibitedBy"].empty()) ++suppressed;
  EXPECT_GE(suppressed, 3) << am.dump(1);
  // Still counted in pgwarden_alerts.
  EXPECT_NE(p.scrape().find("pgwarden_alerts{alertname=\"CheckFailing\""), std::string::npos);

  pg_.start_node(PgCluster::kPrimary);
  ASSERT_TRUE(poll_until([&] { return cluster_notifications(sink, "e2e").size() >= 2; }, 90s, 200ms))
      << p.log_text();
  ASSERT_TRUE(over_check_rounds(p, "alpha", 5, 60s));
  sent = cluster_notifications(sink, "e2e");
  ASSERT_EQ(sent.size(), 2u) << sent.back().dump(1);
  EXPECT_EQ(sent[1].value("status", ""), "resolved") << sent[1].dump(1);
}

// amtool adds, queries and expires a silence on a running serve; while it
// is active the alert is not notified, kill -9 keeps it, after expiry the
// alert is notified.
TEST_F(InhibitSilenceTest, AmtoolSilenceOnServe) {
  WebhookSink sink;
  FlagAlerts flags(pg_, {"Maint"});
  std::string cfg = config(flags.toml() + "[alerts]\nfor = \"0s\"\n\n" +
                           receiver_toml(sink.url("/hook"),
                                         "group_wait = \"0s\"\ngroup_interval = \"1s\"\n"
                                         "match = { alertname = \"Maint\" }\n"));
  auto p = std::make_unique<PgwardenProcess>();
  p->start(cfg);

  auto add = amtool(*p, "silence add alertname=Maint --duration=2h --comment=reindex");
  ASSERT_EQ(add.exit_code, 0) << add.out;
  std::string id = add.out.substr(0, add.out.find_first_of(" \n"));
  ASSERT_EQ(id.size(), 36u) << add.out;
  auto query = amtool(*p, "silence query");
  EXPECT_EQ(query.exit_code, 0) << query.out;
  EXPECT_NE(query.out.find(id), std::string::npos) << query.out;
  EXPECT_NE(query.out.find("reindex"), std::string::npos) << query.out;

  flags.raise("Maint");
  ASSERT_TRUE(poll_until([&] {
    for (const auto& a : alerts_json(*p))
      if (a["labels"].value("alertname", "") == "Maint" && a.value("state", "") == "firing")
        return a["silencedBy"] == nlohmann::json::array({id});
    return false;
  }, 30s, 200ms));
  auto aq = amtool(*p, "alert query --silenced alertname=Maint -o json");
  EXPECT_NE(aq.out.find("suppressed"), std::string::npos) << aq.out;
  ASSERT_TRUE(over_check_rounds(*p, "alpha", 3, 60s));
  EXPECT_EQ(firing_with(sink, "Maint"), 0);

  // kill -9 and a restart keep the silence (it was written before the answer).
  p->kill9();
  p = std::make_unique<PgwardenProcess>();
  p->start(cfg);
  auto after = amtool(*p, "silence query -q");
  EXPECT_NE(after.out.find(id), std::string::npos) << after.out;
  ASSERT_TRUE(over_check_rounds(*p, "alpha", 3, 60s));
  EXPECT_EQ(firing_with(sink, "Maint"), 0);

  auto expire = amtool(*p, "silence expire " + id);
  ASSERT_EQ(expire.exit_code, 0) << expire.out;
  ASSERT_TRUE(poll_until([&] { return firing_with(sink, "Maint") == 1; }, 30s, 200ms)) << p->log_text();
  auto gone = amtool(*p, "silence query -q");
  EXPECT_EQ(gone.out.find(id), std::string::npos) << gone.out;
  flags.clear("Maint");
}

// The same through `pgwarden silence` and cron-style `check --notify`.
TEST_F(InhibitSilenceTest, SilenceCommandWithCheckNotify) {
  WebhookSink sink;
  FlagAlerts flags(pg_, {"Maint"});
  std::string cfg_path = dir_ + "/pgwarden.toml";
  write_file(cfg_path,
             config(flags.toml() + receiver_toml(sink.url("/hook"),
                                                 "group_wait = \"0s\"\ngroup_interval = \"1s\"\n"
                                                 "match = { alertname = \"Maint\" }\n")),
             true);
  std::string c = " -c " + shell_quote(cfg_path);
  auto add = run_pgwarden("silence add" + c + " alertname=Maint --duration 2h --comment reindex");
  ASSERT_EQ(add.exit_code, 0) << add.out;
  std::string id = add.out.substr(0, add.out.find('\n'));
  auto list = run_pgwarden("silence list" + c);
  EXPECT_NE(list.out.find(id), std::string::npos) << list.out;

  flags.raise("Maint");
  std::string check = "check" + c + " --state-file " + shell_quote(dir_ + "/state.json") + " --notify";
  for (int i = 0; i < 3; ++i) {
    auto r = run_pgwarden(check);
    // Silenced: not notified and not in the exit code (the cluster is healthy).
    EXPECT_EQ(r.exit_code, 0) << r.out;
  }
  EXPECT_EQ(firing_with(sink, "Maint"), 0);

  auto expire = run_pgwarden("silence expire" + c + " " + id);
  ASSERT_EQ(expire.exit_code, 0) << expire.out;
  auto r = run_pgwarden(check);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_EQ(firing_with(sink, "Maint"), 1);
  // Bad input changes nothing.
  EXPECT_EQ(run_pgwarden("silence add" + c + " 'alertname=~\"(\"' --comment x").exit_code, 2);
  EXPECT_EQ(run_pgwarden("silence expire" + c + " no-such-id").exit_code, 1);
  flags.clear("Maint");
}

HttpResponse post(const std::string& url, const std::string& body, const std::string& auth = "") {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.headers.emplace_back("Content-Type", "application/json");
  if (!auth.empty()) req.headers.emplace_back("Authorization", basic_auth_header(auth));
  return http_request(req);
}

std::string silence_body(const std::string& starts, const std::string& ends, const std::string& matchers) {
  return R"({"matchers":)" + matchers + R"(,"startsAt":")" + starts + R"(","endsAt":")" + ends +
         R"(","createdBy":"t","comment":"c"})";
}

// Beyond loopback with basic auth: a write without credentials is 401;
// malformed silences are 400 and leave the store as it was.
TEST_F(InhibitSilenceTest, WritesNeedAuthBeyondLoopbackAndBadSilencesAre400) {
  write_file(dir_ + "/auth", "ops:s3cret-pass\n", true);
  PgwardenProcess p;
  p.set_listen_host("0.0.0.0");
  p.set_basic_auth("ops:s3cret-pass");
  std::string cfg = config("");
  cfg.insert(cfg.find("\n[[clusters]]"), "basic_auth_file = " + nlohmann::json(dir_ + "/auth").dump() + "\n");
  p.start(cfg);
  auto now = std::chrono::system_clock::now();
  std::string url = p.base_url() + "/api/v2/silences";
  const std::string good_matchers = R"([{"name":"alertname","value":"X","isRegex":false}])";
  std::string good = silence_body(rfc3339_ms(now), rfc3339_ms(now + 1h), good_matchers);

  EXPECT_EQ(post(url, good).status, 401);
  auto ok = post(url, good, "ops:s3cret-pass");
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto before = p.get("/api/v2/silences").body;
  std::string store_before = read_file(dir_ + "/state/silences.json");

  for (const auto& bad : {silence_body(rfc3339_ms(now), rfc3339_ms(now + 1h), "[]"),
                          silence_body(rfc3339_ms(now + 2h), rfc3339_ms(now + 1h), good_matchers),
                          silence_body(rfc3339_ms(now), rfc3339_ms(now + 1h),
                                       R"([{"name":"alertname","value":"(","isRegex":true}])"),
                          std::string("{\"matchers\": 1")}) {
    auto r = post(url, bad, "ops:s3cret-pass");
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
    EXPECT_FALSE(r.body.empty());
  }
  EXPECT_EQ(p.get("/api/v2/silences").body, before);
  EXPECT_EQ(read_file(dir_ + "/state/silences.json"), store_before);
}

TEST_F(InhibitSilenceTest, WritesAreRefusedBeyondLoopbackWithoutAuth) {
  PgwardenProcess p;
  p.set_listen_host("0.0.0.0");
  p.start(config(""));
  auto now = std::chrono::system_clock::now();
  auto r = post(p.base_url() + "/api/v2/silences",
                silence_body(rfc3339_ms(now), rfc3339_ms(now + 1h),
                             R"([{"name":"alertname","value":"X","isRegex":false}])"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(p.get("/api/v2/silences").body, "[]\n");
}

}  // namespace
}  // namespace pgw::test
