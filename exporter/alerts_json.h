// JSON view of alerts for /alerts and `check --format json`.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alert.h"

namespace pgw {

// [{labels, annotations, state, activeAt, value}], sorted by alertname then labels.
nlohmann::json alerts_to_json(std::vector<Alert> alerts);

}  // namespace pgw
