#include "alerts/promql_eval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace pgw::promql {
namespace {

const std::string kName = "__name__";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void drop_name(Labels& l) {
  l.erase(std::remove_if(l.begin(), l.end(), [](const auto& p) { return p.first == kName; }), l.end());
}

void set_label(Labels& l, const std::string& name, const std::string& value) {
  auto it = std::find_if(l.begin(), l.end(), [&](const auto& p) { return p.first == name; });
  if (value.empty()) {
    if (it != l.end()) l.erase(it);
    return;
  }
  if (it != l.end()) {
    it->second = value;
  } else {
    l.emplace_back(name, value);
    std::sort(l.begin(), l.end());
  }
}

void append_key(std::string& key, const std::string& name, const std::string& value) {
  key += name;
  key += '\xff';
  key += value;
  key += '\xff';
}

// Matching signature: the on(...) labels, or every label except the
// ignoring(...) ones and the metric name.
std::string signature(const Labels& l, const VectorMatching& m) {
  std::string key;
  if (m.on) {
    for (const auto& n : m.labels) {
      append_key(key, n, label_value(l, n));
    }
  } else {
    for (const auto& [n, v] : l)
      if (n != kName && !contains(m.labels, n)) append_key(key, n, v);
  }
  return key;
}

std::string full_key(const Labels& l) {
  std::string key;
  for (const auto& [n, v] : l) append_key(key, n, v);
  return key;
}

std::string labels_str(const Labels& l) {
  std::string s = "{";
  for (size_t i = 0; i < l.size(); ++i) s += (i ? ", " : "") + l[i].first + "=\"" + l[i].second + "\"";
  return s + "}";
}

void check_unique(const std::vector<Series>& v) {
  std::unordered_set<std::string> seen;
  for (const auto& s : v)
    if (!seen.insert(full_key(s.labels)).second) throw EvalError("vector cannot contain metrics with the same labelset");
}

// Go's math.Max/Min: Inf wins over NaN, NaN wins over numbers, +0 > -0.
double go_max(double x, double y) {
  if (std::isinf(x) && x > 0) return x;
  if (std::isinf(y) && y > 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}
double go_min(double x, double y) {
  if (std::isinf(x) && x < 0) return x;
  if (std::isinf(y) && y < 0) return y;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

// One element operation; `keep` is false when a comparison filters it out.
double elem_op(BinOp op, double l, double r, bool& keep) {
  keep = true;
  switch (op) {
    case BinOp::Add: return l + r;
    case BinOp::Sub: return l - r;
    case BinOp::Mul: return l * r;
    case BinOp::Div: return l / r;
    case BinOp::Mod: return std::fmod(l, r);
    case BinOp::Pow: return std::pow(l, r);
    case BinOp::Eq: keep = l == r; return l;
    case BinOp::Ne: keep = l != r; return l;
    case BinOp::Gt: keep = l > r; return l;
    case BinOp::Lt: keep = l < r; return l;
    case BinOp::Ge: keep = l >= r; return l;
    case BinOp::Le: keep = l <= r; return l;
    default: throw EvalError(std::string("operator \"") + binop_name(op) + "\" not allowed here");
  }
}

bool drops_name(BinOp op) { return !is_comparison(op) && !is_set_op(op); }

class Evaluator {
 public:
  Evaluator(const SeriesSet& in, double t) : in_(in), t_(t) {}

  Value eval(const Node& n) {
    switch (n.kind) {
      case Node::Kind::Number: return scalar(n.number);
      case Node::Kind::Paren: return eval(*n.args[0]);
      case Node::Kind::Selector: return select(n);
      case Node::Kind::Unary: {
        Value v = eval(*n.args[0]);
        if (!n.negate) return v;
        if (v.type == ValueType::Scalar) return scalar(-v.scalar);
        for (auto& s : v.vector) {
          drop_name(s.labels);
          s.value = -s.value;
        }
        check_unique(v.vector);
        return v;
      }
      case Node::Kind::Binary: return binary(n);
      case Node::Kind::Aggregate: return aggregate(n);
      case Node::Kind::Call: return call(n);
    }
    throw EvalError("unknown expression");
  }

 private:
  const SeriesSet& in_;
  double t_;

  static Value scalar(double d) {
    Value v;
    v.type = ValueType::Scalar;
    v.scalar = d;
    return v;
  }
  static Value vec(std::vector<Series> s) {
    Value v;
    v.vector = std::move(s);
    return v;
  }

  Value select(const Node& n) {
    std::vector<Series> out;
    auto matches = [&](const Series& s) {
      for (const auto& m : n.matchers)
        if (!m.matches(label_value(s.labels, m.name))) return false;
      return true;
    };
    if (!n.metric.empty()) {
      if (const auto* idx = in_.by_name(n.metric))
        for (size_t i : *idx)
          if (matches(in_.all()[i])) out.push_back(in_.all()[i]);
    } else {
      for (const auto& s : in_.all())
        if (matches(s)) out.push_back(s);
    }
    return vec(std::move(out));
  }

  Value binary(const Node& n) {
    Value l = eval(*n.args[0]);
    Value r = eval(*n.args[1]);
    if (l.type == ValueType::Scalar && r.type == ValueType::Scalar) {
      bool keep;
      double v = elem_op(n.op, l.scalar, r.scalar, keep);
      if (n.return_bool) v = keep ? 1 : 0;
      return scalar(v);
    }
    Value out;
    if (l.type == ValueType::Vector && r.type == ValueType::Vector) {
      switch (n.op) {
        case BinOp::And: out = vec(set_and(l.vector, r.vector, n.matching)); break;
        case BinOp::Or: out = vec(set_or(l.vector, r.vector, n.matching)); break;
        case BinOp::Unless: out = vec(set_unless(l.vector, r.vector, n.matching)); break;
        default: out = vec(vector_binop(n, std::move(l.vector), std::move(r.vector))); break;
      }
    } else {
      bool swap = l.type == ValueType::Scalar;
      std::vector<Series>& v = swap ? r.vector : l.vector;
      double s = swap ? l.scalar : r.scalar;
      std::vector<Series> res;
      for (auto& e : v) {
        double lv = swap ? s : e.value, rv = swap ? e.value : s;
        bool keep;
        double value = elem_op(n.op, lv, rv, keep);
        // A comparison keeps the vector element's value, even on the right.
        if (is_comparison(n.op) && swap) value = rv;
        if (n.return_bool) {
          value = keep ? 1 : 0;
          keep = true;
        }
        if (!keep) continue;
        e.value = value;
        if (drops_name(n.op) || n.return_bool) drop_name(e.labels);
        res.push_back(std::move(e));
      }
      out = vec(std::move(res));
    }
    check_unique(out.vector);
    return out;
  }

  std::vector<Series> vector_binop(const Node& n, std::vector<Series> lhs, std::vector<Series> rhs) {
    const VectorMatching& m = n.matching;
    using Card = VectorMatching::Card;
    bool one_to_many = m.card == Card::OneToMany;
    if (one_to_many) std::swap(lhs, rhs);
    std::unordered_map<std::string, const Series*> right;
    for (const auto& rs : rhs) {
      auto [it, inserted] = right.emplace(signature(rs.labels, m), &rs);
      if (!inserted) {
        Labels matched;
        for (const auto& [k, v] : rs.labels)
          if (m.on ? contains(m.labels, k) : (k != kName && !contains(m.labels, k))) matched.emplace_back(k, v);
        throw EvalError("found duplicate series for the match group " + labels_str(matched) + " on the " +
                        (one_to_many ? "left" : "right") + " hand-side of the operation: [" + labels_str(rs.labels) +
                        ", " + labels_str(it->second->labels) +
                        "];many-to-many matching not allowed: matching labels must be unique on one side");
      }
    }
    std::unordered_map<std::string, std::unordered_set<std::string>> matched;
    std::vector<Series> out;
    for (const auto& ls : lhs) {
      std::string sig = signature(ls.labels, m);
      auto it = right.find(sig);
      if (it == right.end()) continue;
      const Series& rs = *it->second;
      double vl = ls.value, vr = rs.value;
      if (one_to_many) std::swap(vl, vr);
      bool keep;
      double value = elem_op(n.op, vl, vr, keep);
      if (n.return_bool) value = keep ? 1 : 0;
      else if (!keep) continue;
      Labels metric = result_labels(ls.labels, rs.labels, n.op, m);
      if (n.return_bool) drop_name(metric);
      auto found = matched.find(sig);
      if (m.card == Card::OneToOne) {
        if (found != matched.end())
          throw EvalError("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
        matched[sig];
      } else {
        auto& inserted = matched[sig];
        if (!inserted.insert(full_key(metric)).second)
          throw EvalError("multiple matches for labels: grouping labels must ensure unique matches");
      }
      out.push_back(Series{std::move(metric), value});
    }
    return out;
  }

  static Labels result_labels(const Labels& lhs, const Labels& rhs, BinOp op, const VectorMatching& m) {
    Labels l = lhs;
    if (drops_name(op)) drop_name(l);
    if (m.card == VectorMatching::Card::OneToOne) {
      l.erase(std::remove_if(l.begin(), l.end(),
                             [&](const auto& p) { return m.on != contains(m.labels, p.first); }),
              l.end());
    }
    // group_x labels come from the "one" side.
    for (const auto& name : m.include) set_label(l, name, label_value(rhs, name));
    return l;
  }

  static std::vector<Series> set_and(const std::vector<Series>& l, const std::vector<Series>& r, const VectorMatching& m) {
    std::vector<Series> out;
    if (l.empty() || r.empty()) return out;
    std::unordered_set<std::string> sigs;
    for (const auto& s : r) sigs.insert(signature(s.labels, m));
    for (const auto& s : l)
      if (sigs.count(signature(s.labels, m))) out.push_back(s);
    return out;
  }
  static std::vector<Series> set_or(const std::vector<Series>& l, const std::vector<Series>& r, const VectorMatching& m) {
    std::vector<Series> out = l;
    std::unordered_set<std::string> sigs;
    for (const auto& s : l) sigs.insert(signature(s.labels, m));
    for (const auto& s : r)
      if (!sigs.count(signature(s.labels, m))) out.push_back(s);
    return out;
  }
  static std::vector<Series> set_unless(const std::vector<Series>& l, const std::vector<Series>& r, const VectorMatching& m) {
    if (r.empty()) return l;
    std::unordered_set<std::string> sigs;
    for (const auto& s : r) sigs.insert(signature(s.labels, m));
    std::vector<Series> out;
    for (const auto& s : l)
      if (!sigs.count(signature(s.labels, m))) out.push_back(s);
    return out;
  }

  Value aggregate(const Node& n) {
    Value in = eval(*n.args[0]);
    struct Group {
      Labels labels;
      double value = 0;
      double mean = 0;
      double count = 0;
    };
    std::vector<Group> groups;
    std::unordered_map<std::string, size_t> index;
    for (const auto& s : in.vector) {
      Labels key_labels;
      if (n.without) {
        for (const auto& p : s.labels)
          if (p.first != kName && !contains(n.grouping, p.first)) key_labels.push_back(p);
      } else {
        for (const auto& p : s.labels)
          if (contains(n.grouping, p.first)) key_labels.push_back(p);
      }
      std::string key = full_key(key_labels);
      auto it = index.find(key);
      if (it == index.end()) {
        index.emplace(key, groups.size());
        groups.push_back(Group{std::move(key_labels), s.value, s.value, 1});
        continue;
      }
      Group& g = groups[it->second];
      // The update rules mirror Prometheus 2.42 so results are bit-identical.
      switch (n.agg) {
        case AggOp::Sum: g.value += s.value; break;
        case AggOp::Max: if (g.value < s.value || std::isnan(g.value)) g.value = s.value; break;
        case AggOp::Min: if (g.value > s.value || std::isnan(g.value)) g.value = s.value; break;
        case AggOp::Count: case AggOp::Group: break;
        case AggOp::Avg: {
          g.count++;
          // An infinite mean stays as it is (Inf - Inf would give NaN).
          bool keep_mean = std::isinf(g.mean) && ((std::isinf(s.value) && (g.mean > 0) == (s.value > 0)) ||
                                                  (!std::isinf(s.value) && !std::isnan(s.value)));
          if (!keep_mean) g.mean += s.value / g.count - g.mean / g.count;
          continue;
        }
      }
      if (n.agg != AggOp::Avg) g.count++;
    }
    std::vector<Series> out;
    for (auto& g : groups) {
      double v = g.value;
      if (n.agg == AggOp::Avg) v = g.mean;
      else if (n.agg == AggOp::Count) v = g.count;
      else if (n.agg == AggOp::Group) v = 1;
      out.push_back(Series{std::move(g.labels), v});
    }
    return vec(std::move(out));
  }

  Value call(const Node& n) {
    const std::string& f = n.func;
    if (f == "time") return scalar(t_);
    if (f == "vector") return vec({Series{{}, eval(*n.args[0]).scalar}});
    if (f == "scalar") {
      Value v = eval(*n.args[0]);
      return scalar(v.vector.size() == 1 ? v.vector[0].value : kNaN);
    }
    if (f == "absent") return absent(n);
    Value v = eval(*n.args[0]);
    std::vector<double> params;
    for (size_t i = 1; i < n.args.size(); ++i) params.push_back(eval(*n.args[i]).scalar);
    if (f == "clamp" && params[1] < params[0]) return vec({});
    for (auto& s : v.vector) {
      drop_name(s.labels);
      double x = s.value;
      if (f == "abs") x = std::fabs(x);
      else if (f == "ceil") x = std::ceil(x);
      else if (f == "floor") x = std::floor(x);
      else if (f == "sqrt") x = std::sqrt(x);
      else if (f == "exp") x = std::exp(x);
      else if (f == "ln") x = std::log(x);
      else if (f == "log2") x = std::log2(x);
      else if (f == "log10") x = std::log10(x);
      else if (f == "sgn") x = x < 0 ? -1 : x > 0 ? 1 : x;
      else if (f == "round") {
        double inv = 1.0 / (params.empty() ? 1.0 : params[0]);
        x = std::floor(x * inv + 0.5) / inv;
      } else if (f == "clamp_min") x = go_max(params[0], x);
      else if (f == "clamp_max") x = go_min(params[0], x);
      else if (f == "clamp") x = go_max(params[0], go_min(params[1], x));
      else throw EvalError("unknown function \"" + f + "\"");
      s.value = x;
    }
    check_unique(v.vector);
    return v;
  }

  // absent(): one sample when the argument is empty, labelled from the
  // selector's equality matchers (a label matched twice or by another
  // operator is left out, as in Prometheus).
  Value absent(const Node& n) {
    Value v = eval(*n.args[0]);
    if (!v.vector.empty()) return vec({});
    Labels l;
    const Node& arg = *n.args[0];
    if (arg.kind == Node::Kind::Selector) {
      std::set<std::string> excluded;
      for (const auto& m : arg.matchers) {
        if (m.name == kName) continue;
        bool has = !label_value(l, m.name).empty();
        if (m.op == Matcher::Op::Eq && !has) set_label(l, m.name, m.value);
        else excluded.insert(m.name);
      }
      for (const auto& name : excluded) set_label(l, name, "");
    }
    return vec({Series{std::move(l), 1}});
  }
};

}  // namespace

SeriesSet::SeriesSet(const std::vector<Sample>& samples) {
  series_.reserve(samples.size());
  for (const auto& s : samples) {
    Series e{s.labels, s.value};
    e.labels.emplace_back(kName, s.name);
    normalize(e.labels);
    series_.push_back(std::move(e));
  }
  std::sort(series_.begin(), series_.end(), [](const Series& a, const Series& b) { return a.labels < b.labels; });
  for (size_t i = 0; i < series_.size(); ++i) by_name_[label_value(series_[i].labels, kName)].push_back(i);
}

const std::vector<size_t>* SeriesSet::by_name(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

Value evaluate(const Node& expr, const SeriesSet& input, double time_seconds) {
  return Evaluator(input, time_seconds).eval(expr);
}

std::vector<Sample> to_samples(const Value& v) {
  std::vector<Sample> out;
  if (v.type == ValueType::Scalar) {
    out.push_back(Sample{"", {}, v.scalar});
    return out;
  }
  for (const auto& s : v.vector) {
    Sample e{label_value(s.labels, kName), s.labels, s.value};
    drop_name(e.labels);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace pgw::promql
