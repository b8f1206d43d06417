#include "exporter/cmd_rules_test.h"

#include <iostream>

#include "alerts/rule_unit_test.h"

namespace pgw {

int run_rules_test(const std::vector<std::string>& files) {
  bool failed = false;
  for (const auto& f : files) {
    RuleTestOutcome r = run_rule_test_file(f);
    (r.passed ? std::cout : std::cerr) << r.report << "\n";
    failed = failed || !r.passed;
  }
  return failed ? 1 : 0;
}

}  // namespace pgw
