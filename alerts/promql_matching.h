// Intermediate values of an evaluation and the binary-operator half of the
// evaluator: vector matching (on/ignoring, group_left/right), the set
// operators and arithmetic/comparison per element pair.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "alerts/promql_ast.h"
#include "alerts/promql_keys.h"
#include "alerts/promql_series_set.h"

namespace pgw::promql {

constexpr size_t kNotInput = static_cast<size_t>(-1);
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// An element of an intermediate instant vector. Its labels belong to the
// SeriesSet, the history or the evaluator's arena, so selecting and
// filtering series copies no strings; only the final result is copied out.
struct Elem {
  const Labels* labels;
  double value;
  size_t series = kNotInput;  // position in the SeriesSet while labels are the input's
};

// An element of a range vector: the points of one series inside the range.
struct RangeElem {
  const Labels* labels;
  std::span<const Point> points;
};

struct Val {
  ValueType type = ValueType::Vector;
  double scalar = 0;
  std::vector<Elem> vec;
  std::vector<RangeElem> mat;  // ValueType::Matrix
  bool distinct = false;  // label sets known to be pairwise different
};

// Go's math.Max/Min: Inf wins over NaN, NaN wins over numbers, +0 > -0.
double go_max(double x, double y);
double go_min(double x, double y);
// One element operation; `keep` is false when a comparison filters it out.
double elem_op(BinOp op, double l, double r, bool& keep);
inline bool drops_name(BinOp op) { return !is_comparison(op) && !is_set_op(op); }

template <class... Symbols>
void append_symbols(std::string& key, Symbols... symbols) {
  for (std::uint32_t x : {symbols...}) key.append(reinterpret_cast<const char*>(&x), sizeof x);
}

// Throws EvalError when two elements have the same labels.
void check_unique(const std::vector<Elem>& v);

// What every part of the evaluator shares: the input, the arena of label
// sets made during one evaluation, and binary-operator matching.
class MatchContext {
 public:
  explicit MatchContext(const SeriesSet& in) : in_(in) {}

 protected:
  const SeriesSet& in_;
  std::deque<Labels> arena_;  // label sets made during this evaluation

  const Labels* own(Labels l) { return &arena_.emplace_back(std::move(l)); }
  const Labels* without_name(const Labels* l);
  void strip_name(Elem& e);
  static bool all_input(const std::vector<Elem>& v) {
    for (const Elem& e : v)
      if (e.series == kNotInput) return false;
    return true;
  }
  std::vector<std::uint32_t> symbols_of(const std::vector<std::string>& names) const;

  // vector <op> vector, and vector <op> scalar (either side).
  Val vector_vector(const Node& n, Val l, Val r);
  Val vector_scalar(const Node& n, Val l, Val r);

 private:
  std::pair<Keys, Keys> signatures(const std::vector<Elem>& l, const std::vector<Elem>& r, const VectorMatching& m);
  static bool one_to_one_distinct(const VectorMatching& m);
  std::vector<Elem> vector_binop(const Node& n, std::vector<Elem> lhs, std::vector<Elem> rhs);
  Labels result_labels(const Elem& lhs, const Labels& rhs, BinOp op, const VectorMatching& m,
                       const std::vector<std::uint32_t>& listed) const;
  std::vector<Elem> set_or(const std::vector<Elem>& l, const std::vector<Elem>& r, const VectorMatching& m);
  std::vector<Elem> filter_by_signature(const std::vector<Elem>& l, const std::vector<Elem>& r,
                                        const VectorMatching& m, bool present);
};

}  // namespace pgw::promql
