// The `alertmanager` receiver against Debian's real Alertmanager: posted
// alerts are visible in its API, its own webhook reaches our sink, and a
// resolution posted by pgwarden resolves the alert there.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "alerts/notifier.h"
#include "core/http_client.h"
#include "tests/fixtures/alertmanager_server.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/webhook_sink.h"

namespace pgw {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

Alert firing(const std::string& name) {
  Alert a;
  a.labels = {{"alertname", name}, {"cluster", "aya"}, {"node", "alpha"}, {"severity", "critical"}};
  normalize(a.labels);
  a.annotations = {{"summary", name + " summary"}};
  a.state = AlertState::Firing;
  a.active_at = std::chrono::system_clock::now() - 2min;
  a.fired_at = std::chrono::system_clock::now() - 1min;
  return a;
}

// Alertmanager's active alerts, by alertname.
std::map<std::string, json> am_alerts(const test::AlertmanagerServer& am) {
  std::map<std::string, json> out;
  auto resp = http_get(am.url() + "/api/v2/alerts", 5000ms);
  if (resp.status != 200) return out;
  for (const auto& a : json::parse(resp.body)) out[a["labels"]["alertname"]] = a;
  return out;
}

// Alertnames and statuses Alertmanager's webhook delivered to the sink.
std::set<std::string> webhook_events(const test::WebhookSink& sink) {
  std::set<std::string> out;
  for (const auto& req : sink.requests()) {
    auto body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) continue;
    for (const auto& a : body["alerts"])
      out.insert(a["labels"]["alertname"].get<std::string>() + ":" + a["status"].get<std::string>());
  }
  return out;
}

TEST(Alertmanager, PostedAlertsAreVisibleAndRoutedToItsWebhook) {
  test::WebhookSink sink;
  test::AlertmanagerServer am(sink.url("/am"));

  Config config;
  ReceiverConfig r;
  r.name = "am";
  r.type = "alertmanager";
  r.url = am.url();
  config.receivers = {r};
  struct TempDir {
    std::string path = test::make_temp_dir("pgw-am-state");
    ~TempDir() { test::remove_tree(path); }
  } state;
  const std::string& state_dir = state.path;
  NotifierOptions options;
  options.initial_backoff = 100ms;
  options.max_backoff = 500ms;
  options.external_url = "http://127.0.0.1:9847";
  {
    Notifier n(config, state_dir, options);
    Alert a = firing("PgwTestA"), b = firing("PgwTestB");
    n.update({a, b}, std::chrono::system_clock::now());
    ASSERT_TRUE(test::poll_until([&] {
      n.deliver(Deadline::in(2s));
      return n.pending() == 0;
    }, 20s)) << am.log_text();
    std::vector<Sample> samples;
    n.append_samples(samples);
    for (const auto& s : samples) {
      if (s.name == "pgwarden_notifications_total" && label_value(s.labels, "outcome") == "success") {
        EXPECT_EQ(s.value, 1);
      }
    }

    // Visible through Alertmanager's API, with our labels and annotations.
    std::map<std::string, json> seen;
    ASSERT_TRUE(test::poll_until([&] {
      seen = am_alerts(am);
      return seen.count("PgwTestA") && seen.count("PgwTestB");
    }, 20s)) << am.log_text();
    EXPECT_EQ(seen["PgwTestA"]["labels"]["node"], "alpha");
    EXPECT_EQ(seen["PgwTestA"]["annotations"]["summary"], "PgwTestA summary");
    EXPECT_EQ(seen["PgwTestA"]["status"]["state"], "active");
    EXPECT_EQ(seen["PgwTestA"]["generatorURL"], "http://127.0.0.1:9847");

    // Alertmanager grouped and routed them to its own webhook (our sink).
    ASSERT_TRUE(test::poll_until([&] {
      auto ev = webhook_events(sink);
      return ev.count("PgwTestA:firing") && ev.count("PgwTestB:firing");
    }, 30s)) << am.log_text();
    EXPECT_EQ(sink.requests().front().path, "/am");

    // pgwarden posts the resolution; Alertmanager resolves and says so.
    Alert resolved = a;
    resolved.state = AlertState::Inactive;
    resolved.resolved_at = std::chrono::system_clock::now();
    n.update({resolved, b}, std::chrono::system_clock::now());
    ASSERT_EQ(n.pending(), 1u);
    ASSERT_TRUE(test::poll_until([&] {
      n.deliver(Deadline::in(2s));
      return n.pending() == 0;
    }, 20s));
    ASSERT_TRUE(test::poll_until([&] {
      auto now = am_alerts(am);
      return !now.count("PgwTestA") && now.count("PgwTestB");
    }, 20s)) << am.log_text();
    ASSERT_TRUE(test::poll_until([&] { return webhook_events(sink).count("PgwTestA:resolved") > 0; },
                                 30s)) << am.log_text();
  }
}

}  // namespace
}  // namespace pgw
