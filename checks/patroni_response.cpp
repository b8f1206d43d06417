#include "checks/patroni_response.h"

#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "checks/json_body.h"

namespace pgw {
namespace {

using nlohmann::json;


std::string string_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A finite number, or a numeric string (some proxies stringify numbers).
std::optional<double> number_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  double v;
  if (it->is_number()) {
    v = it->get<double>();
  } else if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    char* end = nullptr;
    v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') return std::nullopt;  // e.g. "unknown"
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

// Timelines are small positive integers; anything else is treated as absent.
std::optional<int64_t> timeline_field(const json& obj) {
  auto v = number_field(obj, "timeline");
  if (!v || *v < 1 || *v > 4294967295.0 || std::floor(*v) != *v) return std::nullopt;
  return static_cast<int64_t>(*v);
}

bool bool_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

bool is_leader_role(std::string_view role) {
  return role == "leader" || role == "master" || role == "primary" || role == "standby_leader";
}

bool is_sync_role(std::string_view role) { return role == "sync_standby" || role == "quorum_standby"; }

std::string_view canonical_role(std::string_view role) {
  if (role == "master" || role == "leader") return "primary";
  return role;
}

bool PatroniCluster::has_leader() const {
  for (const auto& m : members)
    if (is_leader_role(m.role) && m.state != "stopped" && m.state != "crashed" &&
        m.state != "start failed")
      return true;
  return false;
}

PatroniStatus parse_patroni_status(std::string_view body) {
  PatroniStatus s;
  auto doc = parse_json_object(body, s.error);
  if (!doc) return s;
  s.state = string_field(*doc, "state");
  s.role = string_field(*doc, "role");
  if (s.state.empty() && s.role.empty()) {
    s.error = "neither \"state\" nor \"role\" is a string: not a Patroni status";
    return s;
  }
  s.timeline = timeline_field(*doc);
  s.dcs_last_seen = number_field(*doc, "dcs_last_seen");
  s.pending_restart = bool_field(*doc, "pending_restart");
  s.paused = bool_field(*doc, "pause");
  if (bool_field(*doc, "failsafe_mode_is_active")) {
    s.failsafe_active = true;
  } else if (auto p = doc->find("patroni"); p != doc->end() && p->is_object()) {
    // "3.0.2" -> 3; failsafe mode exists since Patroni 3.0.
    std::string version = string_field(*p, "version");
    if (!version.empty() && std::atoi(version.c_str()) >= 3) s.failsafe_active = false;
  }
  s.cluster_unlocked = bool_field(*doc, "cluster_unlocked");
  if (auto tags = doc->find("tags"); tags != doc->end() && tags->is_object())
    s.nofailover = bool_field(*tags, "nofailover");
  return s;
}

PatroniCluster parse_patroni_cluster(std::string_view body) {
  PatroniCluster c;
  auto doc = parse_json_object(body, c.error);
  if (!doc) return c;
  auto members = doc->find("members");
  if (members == doc->end() || !members->is_array()) {
    c.error = "\"members\" is missing or not an array";
    return c;
  }
  c.paused = bool_field(*doc, "pause");
  for (const auto& m : *members) {
    if (!m.is_object()) continue;
    PatroniMember pm;
    pm.name = string_field(m, "name");
    pm.role = string_field(m, "role");
    pm.state = string_field(m, "state");
    pm.timeline = timeline_field(m);
    pm.lag_bytes = number_field(m, "lag");
    pm.receive_lag_bytes = number_field(m, "receive_lag");
    pm.replay_lag_bytes = number_field(m, "replay_lag");
    c.members.push_back(std::move(pm));
  }
  return c;
}

}  // namespace pgw
