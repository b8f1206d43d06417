// Runtime errors of an evaluation (e.g. many-to-many matching), with the
// messages Prometheus gives.
#pragma once

#include <stdexcept>

namespace pgw::promql {

struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace pgw::promql
