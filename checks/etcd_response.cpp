#include "checks/etcd_response.h"

#include <nlohmann/json.hpp>

namespace pgw {

EtcdHealth parse_etcd_health(std::string_view body) {
  EtcdHealth h;
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    h.error = "response is not a JSON object";
    return h;
  }
  auto health = doc.find("health");
  if (health == doc.end()) {
    h.error = "\"health\" is missing";
    return h;
  }
  // etcd sends the string "true"; accept a JSON boolean too (some proxies).
  if (health->is_string())
    h.healthy = health->get<std::string>() == "true";
  else if (health->is_boolean())
    h.healthy = health->get<bool>();
  else
    h.error = "\"health\" is neither a string nor a boolean";
  if (auto r = doc.find("reason"); r != doc.end() && r->is_string()) h.reason = r->get<std::string>();
  return h;
}

std::string endpoint_label(std::string_view url) {
  std::string_view scheme;
  if (auto p = url.find("://"); p != std::string_view::npos) {
    scheme = url.substr(0, p + 3);
    url.remove_prefix(p + 3);
  }
  url = url.substr(0, url.find_first_of("/?#"));
  if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  return std::string(scheme) + std::string(url);
}

}  // namespace pgw
