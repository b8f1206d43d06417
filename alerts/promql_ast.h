// Syntax tree of the PromQL subset the rule engine understands (DESIGN.md
// "Rule expressions"): instant selectors, literals, unary/binary operators
// with vector matching, aggregations and a few functions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alerts/label_regex.h"

namespace pgw::promql {

enum class ValueType { Scalar, Vector };

struct Matcher {
  enum class Op { Eq, Ne, Re, Nre };
  std::string name;
  Op op = Op::Eq;
  std::string value;
  std::shared_ptr<const LabelRegex> re;  // anchored; set for Re/Nre
  bool matches(const std::string& v) const;
};

enum class BinOp {
  Add, Sub, Mul, Div, Mod, Pow,
  Eq, Ne, Gt, Lt, Ge, Le,
  And, Or, Unless,
};
bool is_comparison(BinOp op);
bool is_set_op(BinOp op);
const char* binop_name(BinOp op);

enum class AggOp { Sum, Min, Max, Avg, Count, Group };
const char* aggop_name(AggOp op);

// How two vectors' elements are paired (Prometheus VectorMatching).
struct VectorMatching {
  enum class Card { OneToOne, ManyToOne, OneToMany, ManyToMany };
  Card card = Card::OneToOne;
  bool on = false;                   // on(...) rather than ignoring(...)
  std::vector<std::string> labels;   // the on/ignoring list
  std::vector<std::string> include;  // group_left/group_right extra labels
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
  enum class Kind { Number, Selector, Unary, Binary, Aggregate, Call, Paren };
  Kind kind;
  int column = 1;  // 1-based start of the node in the expression

  double number = 0;                     // Number
  std::string metric;                    // Selector: name ("" when only matchers)
  std::vector<Matcher> matchers;         // Selector: includes __name__ for a name
  bool negate = false;                   // Unary: true for '-'
  BinOp op = BinOp::Add;                 // Binary
  bool return_bool = false;              // Binary: comparison with `bool`
  VectorMatching matching;               // Binary (both sides vectors)
  AggOp agg = AggOp::Sum;                // Aggregate
  bool without = false;                  // Aggregate
  std::vector<std::string> grouping;     // Aggregate
  std::string func;                      // Call
  std::vector<NodePtr> args;             // Unary/Paren: [0]; Binary: [lhs, rhs]; Aggregate: [expr]; Call

  explicit Node(Kind k) : kind(k) {}
  ValueType type() const;
};

}  // namespace pgw::promql
