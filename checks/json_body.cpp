#include "checks/json_body.h"

namespace pgw {

std::optional<nlohmann::json> parse_json_object(std::string_view body, std::string& error) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    error = "response is not valid JSON";
    return std::nullopt;
  }
  if (!doc.is_object()) {
    error = "response is not a JSON object";
    return std::nullopt;
  }
  return doc;
}

}  // namespace pgw
