// `pgwarden rules test FILE...`: promtool's rule unit tests (see
// alerts/rule_unit_test.h). Exit 0 when every file passes, 1 otherwise.
#pragma once

#include <string>
#include <vector>

namespace pgw {

int run_rules_test(const std::vector<std::string>& files);

}  // namespace pgw
