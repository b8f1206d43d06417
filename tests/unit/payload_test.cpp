// Receiver payload shapes: each body is parsed back and its fields checked.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "alerts/hmac.h"
#include "alerts/payload.h"

namespace pgw {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1795000000));  // 2026-11-18T...

Alert make_alert(const std::string& name, const std::string& node, const std::string& severity,
                 bool firing) {
  Alert a;
  a.labels = {{"alertname", name}, {"cluster", "aya"}, {"node", node}, {"severity", severity}};
  normalize(a.labels);
  a.annotations = {{"summary", node + " is in trouble"}, {"runbook", "see wiki"}};
  a.state = firing ? AlertState::Firing : AlertState::Inactive;
  a.active_at = kT0 - 120s;
  a.fired_at = kT0 - 60s;
  if (!firing) a.resolved_at = kT0 - 5s;
  return a;
}

Notification make_notification(std::vector<Alert> alerts) {
  Notification n;
  n.receiver = "ops";
  n.group_key = "ops:{alertname=\"PgNodeDown\", cluster=\"aya\"}";
  n.group_labels = {{"alertname", "PgNodeDown"}, {"cluster", "aya"}};
  n.alerts = std::move(alerts);
  n.external_url = "http://127.0.0.1:9847";
  n.now = kT0;
  return n;
}

ReceiverConfig receiver(const std::string& type) {
  ReceiverConfig r;
  r.name = "ops";
  r.type = type;
  r.url = "https://hooks.example/secret-token";
  r.routing_key = "R0UTINGKEY";
  return r;
}

std::string render(const std::string& type, const Notification& n) {
  const PayloadType* p = find_payload_type(type);
  EXPECT_NE(p, nullptr) << type;
  return p ? p->render(receiver(type), n) : "";
}

TEST(Payload, AllTypesAreRegistered) {
  for (const char* t : {"webhook", "alertmanager", "slack", "discord", "pagerduty"})
    EXPECT_NE(find_payload_type(t), nullptr) << t;
  EXPECT_EQ(find_payload_type("carrier-pigeon"), nullptr);
}

TEST(Payload, Rfc3339IsUtcWithMilliseconds) {
  EXPECT_EQ(rfc3339_ms(TimePoint(std::chrono::milliseconds(0))), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_ms(TimePoint(std::chrono::milliseconds(1700000000123LL))),
            "2023-11-14T22:13:20.123Z");
}

TEST(Payload, WebhookIsAlertmanagerVersion4) {
  auto n = make_notification({make_alert("PgNodeDown", "alpha", "critical", true),
                              make_alert("PgNodeDown", "beta", "critical", false)});
  json j = json::parse(render("webhook", n));
  EXPECT_EQ(j["version"], "4");
  EXPECT_EQ(j["receiver"], "ops");
  EXPECT_EQ(j["status"], "firing");
  EXPECT_EQ(j["groupKey"], n.group_key);
  EXPECT_EQ(j["externalURL"], "http://127.0.0.1:9847");
  EXPECT_EQ(j["truncatedAlerts"], 0);
  EXPECT_EQ(j["groupLabels"], (json{{"alertname", "PgNodeDown"}, {"cluster", "aya"}}));
  EXPECT_EQ(j["commonLabels"],
            (json{{"alertname", "PgNodeDown"}, {"cluster", "aya"}, {"severity", "critical"}}));
  EXPECT_EQ(j["commonAnnotations"], (json{{"runbook", "see wiki"}}));
  ASSERT_EQ(j["alerts"].size(), 2u);
  const json& firing = j["alerts"][0];
  EXPECT_EQ(firing["status"], "firing");
  EXPECT_EQ(firing["labels"]["node"], "alpha");
  EXPECT_EQ(firing["annotations"]["summary"], "alpha is in trouble");
  EXPECT_EQ(firing["startsAt"], rfc3339_ms(kT0 - 60s));
  EXPECT_EQ(firing["endsAt"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(firing["fingerprint"], n.alerts[0].fingerprint());
  EXPECT_FALSE(firing["fingerprint"].get<std::string>().empty());
  const json& resolved = j["alerts"][1];
  EXPECT_EQ(resolved["status"], "resolved");
  EXPECT_EQ(resolved["endsAt"], rfc3339_ms(kT0 - 5s));
}

TEST(Payload, WebhookAllResolvedIsResolved) {
  auto n = make_notification({make_alert("PgNodeDown", "alpha", "critical", false)});
  EXPECT_EQ(json::parse(render("webhook", n))["status"], "resolved");
}

TEST(Payload, AlertmanagerIsPostableAlertsArray) {
  auto n = make_notification({make_alert("PgNodeDown", "alpha", "critical", true),
                              make_alert("PgNodeDown", "beta", "critical", false)});
  n.resend_delay = 60s;
  json j = json::parse(render("alertmanager", n));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["labels"]["alertname"], "PgNodeDown");
  EXPECT_EQ(j[0]["annotations"]["summary"], "alpha is in trouble");
  EXPECT_EQ(j[0]["startsAt"], rfc3339_ms(kT0 - 60s));
  EXPECT_EQ(j[0]["endsAt"], rfc3339_ms(kT0 + 4min));  // 4 x resend delay, as Prometheus
  EXPECT_EQ(j[0]["generatorURL"], "http://127.0.0.1:9847");
  EXPECT_EQ(j[1]["endsAt"], rfc3339_ms(kT0 - 5s));   // resolution time
  EXPECT_FALSE(j[0].contains("status"));
}

TEST(Payload, SlackColorsByStatus) {
  json firing = json::parse(render("slack", make_notification(
      {make_alert("PgNodeDown", "alpha", "critical", true)})));
  EXPECT_EQ(firing["attachments"][0]["color"], "danger");
  EXPECT_NE(firing["text"].get<std::string>().find("[FIRING:1]"), std::string::npos);
  EXPECT_NE(firing["attachments"][0]["text"].get<std::string>().find("alpha is in trouble"),
            std::string::npos);
  json warn = json::parse(render("slack", make_notification(
      {make_alert("PgNodeDown", "alpha", "warning", true)})));
  EXPECT_EQ(warn["attachments"][0]["color"], "warning");
  json resolved = json::parse(render("slack", make_notification(
      {make_alert("PgNodeDown", "alpha", "critical", false)})));
  EXPECT_EQ(resolved["attachments"][0]["color"], "good");
  EXPECT_NE(resolved["text"].get<std::string>().find("[RESOLVED]"), std::string::npos);
}

TEST(Payload, DiscordHasContentAndEmbedWithinLimits) {
  std::vector<Alert> many;
  for (int i = 0; i < 200; ++i)
    many.push_back(make_alert("PgNodeDown", "node" + std::to_string(i) + std::string(40, 'x'),
                              "critical", true));
  json j = json::parse(render("discord", make_notification(many)));
  EXPECT_NE(j["content"].get<std::string>().find("[FIRING:200]"), std::string::npos);
  ASSERT_EQ(j["embeds"].size(), 1u);
  EXPECT_EQ(j["embeds"][0]["color"], 0xE74C3C);
  EXPECT_LE(j["embeds"][0]["description"].get<std::string>().size(), 4096u);
  EXPECT_LE(j["content"].get<std::string>().size(), 2000u);
}

TEST(Payload, PagerDutyTriggerAndResolveShareDedupKey) {
  const PayloadType* p = find_payload_type("pagerduty");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->default_url, "https://events.pagerduty.com/v2/enqueue");
  auto firing = make_notification({make_alert("PgNodeDown", "alpha", "warning", true),
                                   make_alert("PgNodeDown", "beta", "critical", true)});
  std::string stored = p->render(receiver("pagerduty"), firing);
  // The routing key is a secret: never in the stored body, only when sending.
  EXPECT_EQ(stored.find("R0UTINGKEY"), std::string::npos);
  ASSERT_NE(p->prepare_send, nullptr);
  json j = json::parse(p->prepare_send(receiver("pagerduty"), stored));
  EXPECT_EQ(j["routing_key"], "R0UTINGKEY");
  EXPECT_EQ(j["event_action"], "trigger");
  EXPECT_EQ(j["payload"]["severity"], "critical");
  EXPECT_EQ(j["payload"]["source"], "alpha");
  EXPECT_NE(j["payload"]["summary"].get<std::string>().find("PgNodeDown"), std::string::npos);
  EXPECT_EQ(j["payload"]["custom_details"]["alerts"].size(), 2u);
  EXPECT_EQ(j["dedup_key"].get<std::string>().size(), 64u);

  auto resolved = make_notification({make_alert("PgNodeDown", "alpha", "warning", false)});
  json r = json::parse(p->render(receiver("pagerduty"), resolved));
  EXPECT_EQ(r["event_action"], "resolve");
  EXPECT_EQ(r["dedup_key"], j["dedup_key"]);
}

TEST(Payload, PagerDutySeverityMapping) {
  auto sev = [](const std::string& s) {
    auto n = make_notification({make_alert("Watchdog", "alpha", s, true)});
    return json::parse(find_payload_type("pagerduty")->render(receiver("pagerduty"), n))
        ["payload"]["severity"].get<std::string>();
  };
  EXPECT_EQ(sev("critical"), "critical");
  EXPECT_EQ(sev("error"), "error");
  EXPECT_EQ(sev("warning"), "warning");
  EXPECT_EQ(sev("info"), "info");
  EXPECT_EQ(sev("none"), "info");
}

TEST(Payload, BodiesNeverContainTheUrl) {
  auto n = make_notification({make_alert("PgNodeDown", "alpha", "critical", true)});
  for (const char* t : {"webhook", "alertmanager", "slack", "discord", "pagerduty"})
    EXPECT_EQ(render(t, n).find("secret-token"), std::string::npos) << t;
}

TEST(Hmac, KnownVectorRfc4231Case2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(signature_header_value("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Payload, TruncateKeepsUtf8Whole) {
  std::string s = "ab\xC3\xA9\xC3\xA9\xC3\xA9";  // "abééé"
  std::string t = truncate_utf8(s, 6);
  EXPECT_LE(t.size(), 6u);
  EXPECT_EQ(t, "ab\xE2\x80\xA6");  // cut before a whole é plus the ellipsis
  EXPECT_EQ(truncate_utf8("short", 10), "short");
}

}  // namespace
}  // namespace pgw

namespace pgw {
namespace {

ReceiverConfig email_receiver() {
  ReceiverConfig r;
  r.name = "mail";
  r.type = "email";
  r.url = "smtp://mail.example:587";
  r.from = "pgwarden@example.com";
  r.to = {"a@example.com", "b@example.com"};
  r.username = "u";
  r.password = "SMTP-PASSWORD";
  return r;
}

TEST(EmailPayload, SubjectNamesStatusAlertAndCluster) {
  const PayloadType* p = find_payload_type("email");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(p->transport, nullptr);
  auto n = make_notification({make_alert("PgNodeDown", "alpha", "critical", true),
                              make_alert("PgNodeDown", "beta", "critical", false)});
  std::string m = p->render(email_receiver(), n);
  EXPECT_NE(m.find("Subject: [FIRING:1] PgNodeDown (cluster aya)\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("From: pgwarden <pgwarden@example.com>\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("To: a@example.com, b@example.com\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Date: "), std::string::npos);
  EXPECT_NE(m.find("[FIRING] PgNodeDown (critical)\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("[RESOLVED] PgNodeDown (critical)\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("    node = beta\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("    summary = alpha is in trouble\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Status page: http://127.0.0.1:9847/\r\n"), std::string::npos) << m;
  EXPECT_EQ(m.find("SMTP-PASSWORD"), std::string::npos) << "the outbox copy holds no secret";
  // Headers end at the first empty line; the body has only CRLF line ends.
  EXPECT_NE(m.find("\r\n\r\n"), std::string::npos);
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') {
      ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << "bare LF at " << i;
    }
  }
}

TEST(EmailPayload, LabelsCannotInjectHeaders) {
  const PayloadType* p = find_payload_type("email");
  ASSERT_NE(p, nullptr);
  Alert a = make_alert("PgNodeDown", "alpha", "critical", true);
  a.labels = {{"alertname", "X\r\nBcc: evil@example.com"}, {"cluster", "aya"}, {"severity", "critical"}};
  a.annotations["summary"] = "line one\nline two";
  std::string m = p->render(email_receiver(), make_notification({a}));
  EXPECT_EQ(m.find("\r\nBcc:"), std::string::npos) << m;
  EXPECT_NE(m.find("summary = line one line two\r\n"), std::string::npos) << m;
}

TEST(EmailPayload, NonAsciiSubjectIsEncoded) {
  const PayloadType* p = find_payload_type("email");
  ASSERT_NE(p, nullptr);
  Alert a = make_alert("PgNodeDown", "alpha", "critical", true);
  a.labels = {{"alertname", "PgNodeDown"}, {"cluster", "zürich"}, {"severity", "critical"}};
  std::string m = p->render(email_receiver(), make_notification({a}));
  EXPECT_NE(m.find("Subject: =?UTF-8?B?"), std::string::npos) << m;
}

}  // namespace
}  // namespace pgw
