#include "alerts/promql_parser.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace pgw::promql {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Binding strength of binary operators, as in Prometheus' grammar.
int precedence(BinOp op) {
  switch (op) {
    case BinOp::Or: return 1;
    case BinOp::And: case BinOp::Unless: return 2;
    case BinOp::Eq: case BinOp::Ne: case BinOp::Gt: case BinOp::Lt: case BinOp::Ge: case BinOp::Le: return 3;
    case BinOp::Add: case BinOp::Sub: return 4;
    case BinOp::Mul: case BinOp::Div: case BinOp::Mod: return 5;
    case BinOp::Pow: return 6;
  }
  return 0;
}
constexpr int kPowPrecedence = 6;
// Bounds the depth of the syntax tree (and so the recursion of the parser,
// the evaluator and the tree's destructor): each nested expression and each
// binary operator of a chain counts one level. Real rules use a few dozen.
constexpr int kMaxDepth = 256;

struct FuncSig {
  std::vector<ValueType> args;
  int optional = 0;  // trailing args that may be omitted
};

const std::map<std::string, FuncSig>& functions() {
  using V = ValueType;
  static const std::map<std::string, FuncSig> f = {
      {"time", {{}}},
      {"vector", {{V::Scalar}}},
      {"scalar", {{V::Vector}}},
      {"absent", {{V::Vector}}},
      {"abs", {{V::Vector}}},
      {"ceil", {{V::Vector}}},
      {"floor", {{V::Vector}}},
      {"sqrt", {{V::Vector}}},
      {"exp", {{V::Vector}}},
      {"ln", {{V::Vector}}},
      {"log2", {{V::Vector}}},
      {"log10", {{V::Vector}}},
      {"sgn", {{V::Vector}}},
      {"round", {{V::Vector, V::Scalar}, 1}},
      {"clamp", {{V::Vector, V::Scalar, V::Scalar}}},
      {"clamp_min", {{V::Vector, V::Scalar}}},
      {"clamp_max", {{V::Vector, V::Scalar}}},
  };
  return f;
}

const char* type_name(ValueType t) { return t == ValueType::Scalar ? "scalar" : "instant vector"; }

class Parser {
 public:
  explicit Parser(std::string_view in) : toks_(lex(in)) {}

  NodePtr parse_all() {
    NodePtr n = expr(0);
    if (peek().type != Tok::End) fail(peek(), "binary operator or end of input");
    return n;
  }

 private:
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;  // levels of the tree above the node being parsed

  // Counts the levels one expr() call adds; gives them back when it returns.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser& p) : p_(p) {}
    ~DepthGuard() { p_.depth_ -= added_; }
    void deeper(int column) {
      ++added_;
      if (++p_.depth_ > kMaxDepth)
        p_.error_at(column, "expression nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
    }

   private:
    Parser& p_;
    int added_ = 0;
  };

  const Token& peek(size_t ahead = 0) const { return toks_[std::min(pos_ + ahead, toks_.size() - 1)]; }
  const Token& next() { const Token& t = toks_[pos_]; if (pos_ + 1 < toks_.size()) ++pos_; return t; }
  bool peek_keyword(const char* kw, size_t ahead = 0) const {
    return peek(ahead).type == Tok::Ident && lower(peek(ahead).text) == kw;
  }

  [[noreturn]] void fail(const Token& t, const std::string& expected) {
    throw ParseError(t.column, "unexpected " + describe(t) + " at column " + std::to_string(t.column) +
                                   ", expected " + expected);
  }
  [[noreturn]] void error_at(int column, const std::string& msg) {
    throw ParseError(column, msg + " at column " + std::to_string(column));
  }
  const Token& expect(Tok type, const std::string& what) {
    if (peek().type != type) fail(peek(), what);
    return next();
  }

  static bool binop_of(const Token& t, BinOp& op) {
    switch (t.type) {
      case Tok::Add: op = BinOp::Add; return true;
      case Tok::Sub: op = BinOp::Sub; return true;
      case Tok::Mul: op = BinOp::Mul; return true;
      case Tok::Div: op = BinOp::Div; return true;
      case Tok::Mod: op = BinOp::Mod; return true;
      case Tok::Pow: op = BinOp::Pow; return true;
      case Tok::EqlC: op = BinOp::Eq; return true;
      case Tok::Neq: op = BinOp::Ne; return true;
      case Tok::Gtr: op = BinOp::Gt; return true;
      case Tok::Lss: op = BinOp::Lt; return true;
      case Tok::Gte: op = BinOp::Ge; return true;
      case Tok::Lte: op = BinOp::Le; return true;
      case Tok::Ident: {
        std::string l = lower(t.text);
        if (l == "and") { op = BinOp::And; return true; }
        if (l == "or") { op = BinOp::Or; return true; }
        if (l == "unless") { op = BinOp::Unless; return true; }
        return false;
      }
      default: return false;
    }
  }

  NodePtr expr(int min_prec) {
    DepthGuard depth(*this);
    depth.deeper(peek().column);
    NodePtr lhs = unary();
    for (;;) {
      BinOp op = BinOp::Add;
      const Token& t = peek();
      if (!binop_of(t, op) || precedence(op) < min_prec) return lhs;
      int column = t.column;
      next();
      depth.deeper(column);
      auto bin = std::make_unique<Node>(Node::Kind::Binary);
      bin->column = lhs->column;
      bin->op = op;
      bool has_matching = modifiers(*bin);
      int next_min = op == BinOp::Pow ? precedence(op) : precedence(op) + 1;  // ^ is right-associative
      NodePtr rhs = expr(next_min);
      bin->args.push_back(std::move(lhs));
      bin->args.push_back(std::move(rhs));
      check_binary(*bin, has_matching, column);
      lhs = std::move(bin);
    }
  }

  // bool, on/ignoring(...), group_left/group_right(...). Returns whether
  // a matching clause was given.
  bool modifiers(Node& bin) {
    if (peek_keyword("bool")) {
      if (!is_comparison(bin.op)) error_at(peek().column, "bool modifier can only be used on comparison operators");
      next();
      bin.return_bool = true;
    }
    bool has_matching = false;
    if (peek_keyword("on") || peek_keyword("ignoring")) {
      bin.matching.on = lower(next().text) == "on";
      bin.matching.labels = label_list();
      has_matching = true;
      if (peek_keyword("group_left") || peek_keyword("group_right")) {
        const Token& g = next();
        if (is_set_op(bin.op)) error_at(g.column, std::string("no grouping allowed for \"") + binop_name(bin.op) + "\" operation");
        bin.matching.card = lower(g.text) == "group_left" ? VectorMatching::Card::ManyToOne : VectorMatching::Card::OneToMany;
        if (peek().type == Tok::LParen) bin.matching.include = label_list();
        for (const auto& l : bin.matching.include)
          if (bin.matching.on && std::count(bin.matching.labels.begin(), bin.matching.labels.end(), l))
            error_at(g.column, "label \"" + l + "\" must not occur in ON and GROUP clause at once");
      }
    }
    if (is_set_op(bin.op)) bin.matching.card = VectorMatching::Card::ManyToMany;
    return has_matching;
  }

  void check_binary(Node& bin, bool has_matching, int op_column) {
    ValueType lt = bin.args[0]->type(), rt = bin.args[1]->type();
    bool both_scalar = lt == ValueType::Scalar && rt == ValueType::Scalar;
    if (is_comparison(bin.op) && both_scalar && !bin.return_bool)
      error_at(op_column, "comparisons between scalars must use BOOL modifier");
    if (is_set_op(bin.op) && (lt == ValueType::Scalar || rt == ValueType::Scalar))
      error_at(op_column, std::string("set operator \"") + binop_name(bin.op) + "\" not allowed in binary scalar expression");
    if ((lt == ValueType::Scalar || rt == ValueType::Scalar) && has_matching &&
        (!bin.matching.labels.empty() || !bin.matching.include.empty()))
      error_at(op_column, "vector matching only allowed between instant vectors");
  }

  NodePtr unary() {
    const Token& t = peek();
    if (t.type == Tok::Sub || t.type == Tok::Add) {
      bool neg = t.type == Tok::Sub;
      int column = t.column;
      next();
      // Unary operators bind like multiplication: -a^b is -(a^b).
      NodePtr operand = expr(kPowPrecedence);
      if (operand->kind == Node::Kind::Number) {
        if (neg) operand->number = -operand->number;
        operand->column = column;
        return operand;
      }
      auto u = std::make_unique<Node>(Node::Kind::Unary);
      u->column = column;
      u->negate = neg;
      u->args.push_back(std::move(operand));
      return u;
    }
    return primary();
  }

  NodePtr primary() {
    const Token& t = peek();
    switch (t.type) {
      case Tok::Number: {
        auto n = std::make_unique<Node>(Node::Kind::Number);
        n->column = t.column;
        n->number = t.number;
        next();
        return n;
      }
      case Tok::String: error_at(t.column, "string literals are not supported as values");
      case Tok::LParen: {
        int column = next().column;
        auto p = std::make_unique<Node>(Node::Kind::Paren);
        p->column = column;
        p->args.push_back(expr(0));
        expect(Tok::RParen, "\")\"");
        return p;
      }
      case Tok::LBrace: return selector("", t.column);
      case Tok::Ident: return identifier();
      default: fail(t, "expression");
    }
  }

  NodePtr identifier() {
    const Token& t = peek();
    std::string l = lower(t.text);
    static const std::map<std::string, AggOp> aggs = {
        {"sum", AggOp::Sum}, {"min", AggOp::Min}, {"max", AggOp::Max},
        {"avg", AggOp::Avg}, {"count", AggOp::Count}, {"group", AggOp::Group}};
    if (auto it = aggs.find(l); it != aggs.end()) return aggregation(it->second);
    for (const char* unsupported : {"topk", "bottomk", "quantile", "count_values", "stddev", "stdvar"})
      if (l == unsupported) error_at(t.column, "aggregation \"" + t.text + "\" is not supported");
    for (const char* kw : {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
                           "bool", "offset"})
      if (l == kw) fail(t, "expression");
    if (peek(1).type == Tok::LParen) return call();
    next();
    return selector(t.text, t.column);
  }

  NodePtr call() {
    const Token& name = next();
    auto it = functions().find(name.text);
    if (it == functions().end()) error_at(name.column, "unknown function with name \"" + name.text + "\"");
    expect(Tok::LParen, "\"(\"");
    auto c = std::make_unique<Node>(Node::Kind::Call);
    c->column = name.column;
    c->func = name.text;
    if (peek().type != Tok::RParen) {
      for (;;) {
        c->args.push_back(expr(0));
        if (peek().type != Tok::Comma) break;
        next();
      }
    }
    expect(Tok::RParen, "\",\" or \")\"");
    const FuncSig& sig = it->second;
    size_t max = sig.args.size(), min = max - sig.optional;
    if (c->args.size() < min || c->args.size() > max)
      error_at(name.column, "wrong number of arguments for function \"" + name.text + "\": expected " +
                                (min == max ? std::to_string(max) : std::to_string(min) + " to " + std::to_string(max)) +
                                ", got " + std::to_string(c->args.size()));
    for (size_t i = 0; i < c->args.size(); ++i)
      if (c->args[i]->type() != sig.args[i])
        error_at(c->args[i]->column, std::string("expected type ") + type_name(sig.args[i]) + " in call to function \"" +
                                         name.text + "\", got " + type_name(c->args[i]->type()));
    return c;
  }

  NodePtr aggregation(AggOp op) {
    const Token& name = next();
    auto a = std::make_unique<Node>(Node::Kind::Aggregate);
    a->column = name.column;
    a->agg = op;
    bool grouped = false;
    auto grouping = [&] {
      if (peek_keyword("by") || peek_keyword("without")) {
        if (grouped) fail(peek(), "\"(\"");
        a->without = lower(next().text) == "without";
        a->grouping = label_list();
        grouped = true;
      }
    };
    grouping();
    expect(Tok::LParen, "\"(\"");
    a->args.push_back(expr(0));
    if (peek().type == Tok::Comma) error_at(peek().column, std::string("aggregation \"") + aggop_name(op) + "\" takes no parameter");
    expect(Tok::RParen, "\")\"");
    if (!grouped) grouping();
    if (a->args[0]->type() != ValueType::Vector)
      error_at(a->args[0]->column, "expected type instant vector in aggregation expression, got scalar");
    return a;
  }

  std::vector<std::string> label_list() {
    expect(Tok::LParen, "\"(\"");
    std::vector<std::string> labels;
    while (peek().type != Tok::RParen) {
      const Token& l = peek();
      if (l.type != Tok::Ident || l.text.find(':') != std::string::npos) fail(l, "label name");
      labels.push_back(next().text);
      if (peek().type == Tok::Comma) { next(); continue; }
      if (peek().type != Tok::RParen) fail(peek(), "\",\" or \")\"");
    }
    next();
    return labels;
  }

  NodePtr selector(const std::string& name, int column) {
    auto s = std::make_unique<Node>(Node::Kind::Selector);
    s->column = column;
    s->metric = name;
    if (!name.empty()) s->matchers.push_back(Matcher{"__name__", Matcher::Op::Eq, name, nullptr});
    if (peek().type == Tok::LBrace) {
      next();
      while (peek().type != Tok::RBrace) {
        const Token& l = peek();
        if (l.type != Tok::Ident || l.text.find(':') != std::string::npos) fail(l, "label name");
        next();
        Matcher m;
        m.name = l.text;
        const Token& op = peek();
        switch (op.type) {
          case Tok::Assign: m.op = Matcher::Op::Eq; break;
          case Tok::Neq: m.op = Matcher::Op::Ne; break;
          case Tok::EqlRegex: m.op = Matcher::Op::Re; break;
          case Tok::NeqRegex: m.op = Matcher::Op::Nre; break;
          default: fail(op, "label matching operator (=, !=, =~, !~)");
        }
        next();
        const Token& v = peek();
        if (v.type != Tok::String) fail(v, "string");
        next();
        m.value = v.text;
        if (m.op == Matcher::Op::Re || m.op == Matcher::Op::Nre) {
          std::string why;
          m.re = LabelRegex::compile(m.value, why);
          if (!m.re) error_at(v.column, why);
        }
        if (m.name == "__name__" && !name.empty()) error_at(l.column, "metric name must not be set twice: \"" + name + "\"");
        s->matchers.push_back(std::move(m));
        if (peek().type == Tok::Comma) { next(); continue; }
        if (peek().type != Tok::RBrace) fail(peek(), "\",\" or \"}\"");
      }
      next();
    }
    if (peek().type == Tok::LBracket) error_at(peek().column, "range vectors are not supported");
    bool non_empty = std::any_of(s->matchers.begin(), s->matchers.end(), [](const Matcher& m) { return !m.matches(""); });
    if (!non_empty) error_at(column, "vector selector must contain at least one non-empty matcher");
    return s;
  }
};

}  // namespace

NodePtr parse(std::string_view expr) { return Parser(expr).parse_all(); }

}  // namespace pgw::promql
