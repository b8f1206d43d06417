#include "exporter/alerts_json.h"

#include "core/time_format.h"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace pgw {

nlohmann::json alerts_to_json(std::vector<Alert> alerts) {
  std::sort(alerts.begin(), alerts.end(), [](const Alert& a, const Alert& b) {
    if (a.name() != b.name()) return a.name() < b.name();
    return a.labels < b.labels;
  });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : alerts) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : a.labels) labels[k] = v;
    nlohmann::json j = {{"labels", labels},
                        {"annotations", a.annotations},
                        {"state", alert_state_name(a.state)},
                        {"activeAt", rfc3339_ms(a.active_at)},
                        {"fingerprint", a.fingerprint()},
                        // Inhibited or silenced: evaluated and shown, not notified.
                        {"suppressed", a.suppressed()},
                        {"inhibitedBy", a.inhibited_by},
                        {"silencedBy", a.silenced_by}};
    // JSON has no NaN/Inf: send them as strings, as Prometheus does.
    if (std::isfinite(a.value)) j["value"] = a.value;
    else j["value"] = std::isnan(a.value) ? "NaN" : (a.value > 0 ? "+Inf" : "-Inf");
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace pgw
