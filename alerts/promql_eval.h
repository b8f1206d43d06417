// Evaluates a parsed expression at one instant over the latest samples,
// with Prometheus' semantics for label handling, matching and NaN/Inf.
#pragma once

#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "alerts/promql_ast.h"
#include "checks/sample.h"

namespace pgw::promql {

// One series of an instant vector; labels sorted by name, with __name__.
struct Series {
  Labels labels;
  double value = 0;
};

struct Value {
  ValueType type = ValueType::Vector;
  double scalar = 0;
  std::vector<Series> vector;
};

// Runtime errors (e.g. many-to-many matching), messages as Prometheus words them.
struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The samples of one evaluation round, sorted as Prometheus' storage returns
// them and indexed by metric name. Build once, evaluate many rules.
class SeriesSet {
 public:
  explicit SeriesSet(const std::vector<Sample>& samples);
  const std::vector<Series>& all() const { return series_; }
  // Positions in all() of the metric's series, ascending; nullptr if none.
  const std::vector<size_t>* by_name(const std::string& name) const;

  // When `samples` are the same series in the same order as the ones this
  // set was built from (the usual case from one round to the next), takes
  // their values and returns true; otherwise changes nothing, returns false.
  bool refresh(const std::vector<Sample>& samples);

 private:
  std::vector<Series> series_;
  std::unordered_map<std::string, std::vector<size_t>> by_name_;
  std::vector<size_t> position_;  // of each input sample in series_
};

Value evaluate(const Node& expr, const SeriesSet& input, double time_seconds);  // throws EvalError

// A vector result as samples (name = __name__ or ""), for callers outside.
std::vector<Sample> to_samples(const Value& v);

}  // namespace pgw::promql
