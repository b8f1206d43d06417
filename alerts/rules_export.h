// `pgwarden rules export`: the rules of a config as a Prometheus rules file.
#pragma once

#include <string>

#include "core/config.h"

namespace pgw {

// Prometheus rules-file YAML (groups: [{name, rules: [...]}]) for promtool
// and for running the same alerts in Prometheus itself.
std::string export_rules_yaml(const Config& config);

}  // namespace pgw
