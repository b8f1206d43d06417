// PagerDuty Events API v2. One incident per group: dedup_key is the SHA-256
// of the group key (as Alertmanager does), so "resolve" closes what
// "trigger" opened. Posted to the receiver url, or PagerDuty's public
// endpoint when url is empty. The routing key is a secret: it is added only
// when sending, never stored in the outbox.
#include <openssl/evp.h>

#include "alerts/payload.h"
#include "core/json_text.h"

namespace pgw {
namespace {

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(digits[md[i] >> 4]);
    hex.push_back(digits[md[i] & 0xf]);
  }
  return hex;
}

// PagerDuty knows critical|error|warning|info; pgwarden's "none" (Watchdog)
// and anything unknown become info.
int severity_rank(const std::string& s) {
  if (s == "critical") return 3;
  if (s == "error") return 2;
  if (s == "warning") return 1;
  return 0;
}
const char* severity_name(int rank) {
  static const char* names[] = {"info", "warning", "error", "critical"};
  return names[rank];
}

std::string render_pagerduty(const ReceiverConfig&, const Notification& n) {
  using nlohmann::json;
  bool firing = n.firing();
  json body = {
      {"routing_key", ""},
      {"event_action", firing ? "trigger" : "resolve"},
      {"dedup_key", sha256_hex(n.group_key)},
  };
  if (firing) {
    int rank = 0;
    std::string source;
    json details = json::object();
    json alerts = json::array();
    for (const auto& a : n.alerts) {
      if (alert_is_firing(a)) rank = std::max(rank, severity_rank(a.severity()));
      if (source.empty()) source = label_value(a.labels, "node");
      alerts.push_back({{"status", alert_status(a)}, {"labels", labels_json(a.labels)},
                        {"annotations", annotations_json(a)}});
    }
    if (source.empty()) source = label_value(common_labels(n.alerts), "cluster");
    if (source.empty()) source = "pgwarden";
    details["alerts"] = std::move(alerts);
    details["group_labels"] = labels_json(n.group_labels);
    body["payload"] = {
        {"summary", truncate_utf8(notification_title(n), 1024)},
        {"source", source},
        {"severity", severity_name(rank)},
        {"custom_details", std::move(details)},
    };
    body["client"] = "pgwarden";
    if (!n.external_url.empty()) body["client_url"] = n.external_url;
  }
  return json_text(body);
}

std::string add_routing_key(const ReceiverConfig& receiver, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return body;
  j["routing_key"] = receiver.routing_key;
  return json_text(j);
}

}  // namespace
}  // namespace pgw

PGW_REGISTER_PAYLOAD(pagerduty, &pgw::render_pagerduty, "https://events.pagerduty.com/v2/enqueue",
                     &pgw::add_routing_key)
