// Alertmanager's webhook payload, version "4", so existing webhook consumers
// of Alertmanager work unchanged.
#include "alerts/payload.h"
#include "core/json_text.h"

namespace pgw {
namespace {

std::string render_webhook(const ReceiverConfig& receiver, const Notification& n) {
  using nlohmann::json;
  json alerts = json::array();
  for (const auto& a : n.alerts) {
    bool firing = alert_is_firing(a);
    alerts.push_back({
        {"status", alert_status(a)},
        {"labels", labels_json(a.labels)},
        {"annotations", annotations_json(a)},
        {"startsAt", rfc3339_ms(alert_starts_at(a))},
        // Alertmanager's zero time while firing.
        {"endsAt", firing ? std::string("0001-01-01T00:00:00Z") : rfc3339_ms(a.resolved_at)},
        {"generatorURL", n.external_url},
        {"fingerprint", a.fingerprint()},
    });
  }
  json common_ann = json::object();
  for (const auto& [k, v] : common_annotations(n.alerts)) common_ann[k] = v;
  json body = {
      {"receiver", receiver.name},
      {"status", n.firing() ? "firing" : "resolved"},
      {"alerts", std::move(alerts)},
      {"groupLabels", labels_json(n.group_labels)},
      {"commonLabels", labels_json(common_labels(n.alerts))},
      {"commonAnnotations", std::move(common_ann)},
      {"externalURL", n.external_url},
      {"version", "4"},
      {"groupKey", n.group_key},
      {"truncatedAlerts", 0},
  };
  return json_text(body);
}

}  // namespace
}  // namespace pgw

PGW_REGISTER_PAYLOAD(webhook, &pgw::render_webhook, "", nullptr)
