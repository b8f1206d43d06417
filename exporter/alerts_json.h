// JSON view of alerts for /alerts and `check --format json`.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alert.h"

namespace pgw {

// RFC 3339 UTC with milliseconds ("2026-11-23T17:21:58.000Z").
std::string rfc3339(TimePoint t);

// [{labels, annotations, state, activeAt, value}], sorted by alertname then labels.
nlohmann::json alerts_to_json(std::vector<Alert> alerts);

}  // namespace pgw
