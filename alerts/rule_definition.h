// One alerting rule as configured: a built-in one (alerts/builtin_rules.h) or
// a [[rules]] table. The rule engine compiles these (alerts/rule_engine.h).
#pragma once

#include <map>
#include <string>

#include "core/config.h"
#include "core/duration.h"

namespace pgw {

struct RuleDefinition {
  std::string alert;
  std::string expr;
  Duration for_{0};
  Duration keep_firing_for{0};
  std::map<std::string, std::string> labels;       // includes severity
  std::map<std::string, std::string> annotations;  // includes summary
  bool builtin = false;
  SourcePos pos;  // of the expr ([[rules]] expr value; file "<builtin>" for the pack)
};

}  // namespace pgw
