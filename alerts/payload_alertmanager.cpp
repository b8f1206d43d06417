// Alertmanager API v2 postable alerts (POST <url>/api/v2/alerts), sent the
// way Prometheus sends them: firing alerts carry endsAt = now + 4 x resend
// delay so Alertmanager resolves them itself if pgwarden goes away; resolved
// alerts carry their resolution time.
#include "alerts/payload.h"
#include "core/json_text.h"

namespace pgw {
namespace {

std::string render_alertmanager(const ReceiverConfig&, const Notification& n) {
  using nlohmann::json;
  json alerts = json::array();
  for (const auto& a : n.alerts) {
    TimePoint ends = alert_is_firing(a) ? n.now + 4 * n.resend_delay : a.resolved_at;
    json one = {
        {"labels", labels_json(a.labels)},
        {"annotations", annotations_json(a)},
        {"startsAt", rfc3339_ms(alert_starts_at(a))},
        {"endsAt", rfc3339_ms(ends)},
    };
    // Alertmanager validates generatorURL as a URI: leave it out when unknown.
    if (!n.external_url.empty()) one["generatorURL"] = n.external_url;
    alerts.push_back(std::move(one));
  }
  return json_text(alerts);
}

}  // namespace
}  // namespace pgw

PGW_REGISTER_PAYLOAD(alertmanager, &pgw::render_alertmanager, "", nullptr)
