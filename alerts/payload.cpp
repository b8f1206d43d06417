#include "alerts/payload.h"

#include <ctime>
#include <map>
#include <mutex>

namespace pgw {
namespace {

std::map<std::string, PayloadType>& registry() {
  static std::map<std::string, PayloadType> r;
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

bool Notification::firing() const {
  for (const auto& a : alerts)
    if (alert_is_firing(a)) return true;
  return false;
}

void register_payload_type(const std::string& type, PayloadType payload) {
  std::lock_guard lock(registry_mutex());
  registry()[type] = payload;
}

const PayloadType* find_payload_type(const std::string& type) {
  std::lock_guard lock(registry_mutex());
  auto it = registry().find(type);
  return it == registry().end() ? nullptr : &it->second;
}

nlohmann::json labels_json(const Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j;
}

nlohmann::json annotations_json(const Alert& alert) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : alert.annotations) j[k] = v;
  return j;
}

bool alert_is_firing(const Alert& alert) { return alert.state == AlertState::Firing; }

const char* alert_status(const Alert& alert) {
  return alert_is_firing(alert) ? "firing" : "resolved";
}

TimePoint alert_starts_at(const Alert& alert) {
  return alert.fired_at != TimePoint{} ? alert.fired_at : alert.active_at;
}

Labels common_labels(const std::vector<Alert>& alerts) {
  if (alerts.empty()) return {};
  Labels common = alerts.front().labels;
  for (const auto& a : alerts) {
    Labels keep;
    for (const auto& [k, v] : common)
      if (label_value(a.labels, k) == v) keep.emplace_back(k, v);
    common = std::move(keep);
  }
  return common;
}

std::map<std::string, std::string> common_annotations(const std::vector<Alert>& alerts) {
  if (alerts.empty()) return {};
  auto common = alerts.front().annotations;
  for (const auto& a : alerts) {
    for (auto it = common.begin(); it != common.end();) {
      auto f = a.annotations.find(it->first);
      if (f == a.annotations.end() || f->second != it->second)
        it = common.erase(it);
      else
        ++it;
    }
  }
  return common;
}

std::string notification_title(const Notification& n) {
  size_t firing = 0;
  for (const auto& a : n.alerts) firing += alert_is_firing(a) ? 1 : 0;
  std::string title = firing > 0 ? "[FIRING:" + std::to_string(firing) + "]" : "[RESOLVED]";
  for (const auto& [k, v] : n.group_labels) title += " " + v;
  return title;
}

std::vector<std::string> alert_lines(const Notification& n) {
  std::vector<std::string> lines;
  for (const auto& a : n.alerts) {
    std::string line = std::string("[") + alert_status(a) + "] " + a.name();
    const auto& node = label_value(a.labels, "node");
    if (!node.empty()) line += " node=" + node;
    auto s = a.annotations.find("summary");
    if (s != a.annotations.end() && !s->second.empty()) line += ": " + s->second;
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string truncate_utf8(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  const std::string ellipsis = "\xE2\x80\xA6";  // U+2026
  size_t cut = max_bytes >= ellipsis.size() ? max_bytes - ellipsis.size() : 0;
  // Never cut inside a multi-byte sequence.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + (max_bytes >= ellipsis.size() ? ellipsis : "");
}

}  // namespace pgw
