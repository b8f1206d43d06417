// Evaluates a parsed expression at one instant over the latest samples,
// with Prometheus' semantics for label handling, matching and NaN/Inf.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alerts/promql_ast.h"
#include "alerts/promql_error.h"
#include "alerts/promql_history.h"
#include "alerts/promql_series_set.h"
#include "core/sample.h"

namespace pgw::promql {

struct Value {
  ValueType type = ValueType::Vector;
  double scalar = 0;
  std::vector<Series> vector;
};

Value evaluate(const Node& expr, const SeriesSet& input, double time_seconds);  // throws EvalError

// Where range selectors and offsets read, and whether instant selectors
// without offset also do (a test or a query against stored samples) rather
// than taking the round's samples in `input`.
struct EvalOptions {
  const History* history = nullptr;
  bool instants_from_history = false;
};
Value evaluate(const Node& expr, const SeriesSet& input, const EvalOptions& options, double time_seconds);

// A vector result as samples (name = __name__ or ""), for callers outside.
std::vector<Sample> to_samples(const Value& v);

}  // namespace pgw::promql
