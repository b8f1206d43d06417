#include "exporter/alerts_json.h"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace pgw {

std::string rfc3339(TimePoint t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

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
                        {"activeAt", rfc3339(a.active_at)}};
    // JSON has no NaN/Inf: send them as strings, as Prometheus does.
    if (std::isfinite(a.value)) j["value"] = a.value;
    else j["value"] = std::isnan(a.value) ? "NaN" : (a.value > 0 ? "+Inf" : "-Inf");
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace pgw
