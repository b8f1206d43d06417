// `pgwarden rules test`: promtool's rule unit-test format (rule_files,
// evaluation_interval, tests with input_series in the expanding notation,
// alert_rule_test, promql_expr_test), evaluated with pgwarden's engine and
// reported with promtool's verdicts and messages.
#pragma once

#include <string>
#include <vector>

#include "alerts/promql_series_set.h"

namespace pgw {

struct RuleTestOutcome {
  bool passed = false;
  std::string report;  // promtool's "Unit Testing:  FILE\n  SUCCESS" or "  FAILED:\n..."
};

RuleTestOutcome run_rule_test_file(const std::string& path);

// One input_series `values` string in the expanding notation ("1+2x3 _ stale
// 5x2 -1-1x2 _x3 NaN"), at interval steps from 0; a NaN point with
// `stale` set is a staleness marker. Throws std::invalid_argument.
struct SeriesValue {
  bool present = false;
  bool stale = false;
  double value = 0;
};
std::vector<SeriesValue> expand_series_values(const std::string& text);

}  // namespace pgw
