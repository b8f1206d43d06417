#include "alerts/promql_ast.h"

namespace pgw::promql {

bool Matcher::matches(const std::string& v) const {
  switch (op) {
    case Op::Eq: return v == value;
    case Op::Ne: return v != value;
    case Op::Re: return re->matches(v);
    case Op::Nre: return !re->matches(v);
  }
  return false;
}

bool is_comparison(BinOp op) {
  return op == BinOp::Eq || op == BinOp::Ne || op == BinOp::Gt || op == BinOp::Lt || op == BinOp::Ge ||
         op == BinOp::Le;
}

bool is_set_op(BinOp op) { return op == BinOp::And || op == BinOp::Or || op == BinOp::Unless; }

const char* binop_name(BinOp op) {
  switch (op) {
    case BinOp::Add: return "+";
    case BinOp::Sub: return "-";
    case BinOp::Mul: return "*";
    case BinOp::Div: return "/";
    case BinOp::Mod: return "%";
    case BinOp::Pow: return "^";
    case BinOp::Eq: return "==";
    case BinOp::Ne: return "!=";
    case BinOp::Gt: return ">";
    case BinOp::Lt: return "<";
    case BinOp::Ge: return ">=";
    case BinOp::Le: return "<=";
    case BinOp::And: return "and";
    case BinOp::Or: return "or";
    case BinOp::Unless: return "unless";
  }
  return "?";
}

const char* aggop_name(AggOp op) {
  switch (op) {
    case AggOp::Sum: return "sum";
    case AggOp::Min: return "min";
    case AggOp::Max: return "max";
    case AggOp::Avg: return "avg";
    case AggOp::Count: return "count";
    case AggOp::Group: return "group";
  }
  return "?";
}

ValueType Node::type() const {
  switch (kind) {
    case Kind::Number: return ValueType::Scalar;
    case Kind::Selector: case Kind::Aggregate: return ValueType::Vector;
    case Kind::Unary: case Kind::Paren: return args[0]->type();
    case Kind::Binary:
      return args[0]->type() == ValueType::Scalar && args[1]->type() == ValueType::Scalar ? ValueType::Scalar
                                                                                          : ValueType::Vector;
    case Kind::Call: return func == "time" || func == "scalar" ? ValueType::Scalar : ValueType::Vector;
  }
  return ValueType::Vector;
}

}  // namespace pgw::promql
