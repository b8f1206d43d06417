// The built-in alert pack (DESIGN.md "Built-in alerts"), thresholds from
// [alerts]. Every name of the contract is present, in a fixed order.
#pragma once

#include <vector>

#include "alerts/rule_definition.h"
#include "core/config.h"

namespace pgw {

std::vector<RuleDefinition> builtin_rules(const Config& config);

}  // namespace pgw
