// Fuzzes the PromQL parser, then evaluates what parses over a small fixed
// set of samples shaped like pgwarden's own metrics.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alerts/promql_eval.h"
#include "alerts/promql_parser.h"

namespace {

const pgw::promql::SeriesSet& samples() {
  static const pgw::promql::SeriesSet set(std::vector<pgw::Sample>{
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "aya-1"}, {"role", "primary"}}, 1},
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "aya-2"}, {"role", "standby"}}, 0},
      {"pgwarden_replication_lag_bytes", {{"cluster", "aya"}, {"node", "aya-2"}}, 12e6},
      {"pgwarden_replication_lag_seconds", {{"cluster", "aya"}, {"node", "aya-2"}}, NAN},
      {"pgwarden_disk_free_ratio", {{"cluster", "aya"}, {"node", "aya-1"}, {"path", "/"}}, 0.04},
      {"pgwarden_timeline", {{"cluster", "aya"}, {"node", "aya-1"}}, 2},
      {"pgwarden_timeline", {{"cluster", "aya"}, {"node", "aya-2"}}, 1},
      {"pgwarden_check_duration_seconds", {{"check", "replication"}, {"node", "aya-1"}}, INFINITY},
  });
  return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pgw::promql::NodePtr expr;
  try {
    expr = pgw::promql::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const pgw::promql::ParseError&) {
    return 0;
  }
  try {
    auto v = pgw::promql::evaluate(*expr, samples(), 1.7e9);
    pgw::promql::to_samples(v);
  } catch (const pgw::promql::EvalError&) {
  }
  return 0;
}
