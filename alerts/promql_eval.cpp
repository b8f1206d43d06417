#include "alerts/promql_eval.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>
#include <unordered_map>

#include "alerts/promql_labels.h"
#include "alerts/promql_matching.h"
#include "alerts/promql_parser.h"
#include "alerts/promql_range_functions.h"

namespace pgw::promql {
namespace {

const std::string kEmpty;
constexpr std::uint32_t kNoSymbol = SeriesSet::kNoSymbol;

// Go's container/heap on a vector with a `less` of indices: topk/bottomk
// keep what Prometheus keeps among equal values only with the same sifts.
template <class Less>
void heap_up(std::vector<Elem>& h, size_t j, Less less) {
  while (j > 0) {
    size_t i = (j - 1) / 2;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    j = i;
  }
}
template <class Less>
bool heap_down(std::vector<Elem>& h, size_t i0, Less less) {
  size_t i = i0, n = h.size();
  for (;;) {
    size_t j1 = 2 * i + 1;
    if (j1 >= n) break;
    size_t j = j1;
    if (j1 + 1 < n && less(h[j1 + 1], h[j1])) j = j1 + 1;
    if (!less(h[j], h[i])) break;
    std::swap(h[i], h[j]);
    i = j;
  }
  return i > i0;
}

class Evaluator : public MatchContext {
 public:
  Evaluator(const SeriesSet& in, const EvalOptions& opt, double t)
      : MatchContext(in), opt_(opt), t_(t), t_ms_(std::llround(t * 1000)) {}

  Value run(const Node& n) {
    Val v = eval(n);
    Value out;
    out.type = v.type;
    out.scalar = v.scalar;
    out.vector.reserve(v.vec.size());
    for (const Elem& e : v.vec) out.vector.push_back(Series{*e.labels, e.value});
    return out;
  }

 private:
  const EvalOptions& opt_;
  double t_;
  std::int64_t t_ms_;

  static Val scalar(double d) {
    Val v;
    v.type = ValueType::Scalar;
    v.scalar = d;
    return v;
  }
  static Val vec(std::vector<Elem> e) {
    Val v;
    v.vec = std::move(e);
    return v;
  }

  Val eval(const Node& n) {
    switch (n.kind) {
      case Node::Kind::Number: return scalar(n.number);
      case Node::Kind::String: throw EvalError("string literals are not supported as values");
      case Node::Kind::Paren: return eval(*n.args[0]);
      case Node::Kind::Selector: return select(n);
      case Node::Kind::Unary: {
        Val v = eval(*n.args[0]);
        if (!n.negate) return v;
        if (v.type == ValueType::Scalar) return scalar(-v.scalar);
        for (auto& e : v.vec) {
          strip_name(e);
          e.value = -e.value;
        }
        check_unique(v.vec);
        v.distinct = true;
        return v;
      }
      case Node::Kind::Binary: {
        Val l = eval(*n.args[0]);
        Val r = eval(*n.args[1]);
        if (l.type == ValueType::Scalar && r.type == ValueType::Scalar) {
          bool keep;
          double v = elem_op(n.op, l.scalar, r.scalar, keep);
          if (n.return_bool) v = keep ? 1 : 0;
          return scalar(v);
        }
        if (l.type == ValueType::Vector && r.type == ValueType::Vector) return vector_vector(n, std::move(l), std::move(r));
        return vector_scalar(n, std::move(l), std::move(r));
      }
      case Node::Kind::Aggregate: return aggregate(n);
      case Node::Kind::Call: return call(n);
    }
    throw EvalError("unknown expression");
  }

  Val select(const Node& n, std::vector<std::int64_t>* times = nullptr) {
    if (n.range_selector) return select_range(n);
    if (n.offset_ms != 0 || opt_.instants_from_history) return select_history(n, times);
    if (times) times->clear();  // the round's samples are all at t
    // An equality matcher on the name selects through the index; it then
    // holds for every series there and need not be tested again.
    const Matcher* by_name = nullptr;
    for (const auto& m : n.matchers)
      if (m.op == Matcher::Op::Eq && !m.value.empty() && m.name == kName) {
        by_name = &m;
        break;
      }
    // label="value" (non-empty) compares symbol numbers; a value no series
    // has matches nothing.
    std::vector<std::pair<const Matcher*, SeriesSet::SymbolPair>> equal;
    for (const auto& m : n.matchers)
      if (&m != by_name && m.op == Matcher::Op::Eq && !m.value.empty()) {
        SeriesSet::SymbolPair want{in_.symbol(m.name), in_.symbol(m.value)};
        if (want.first == kNoSymbol || want.second == kNoSymbol) return vec({});
        equal.emplace_back(&m, want);
      }
    auto matches = [&](size_t i) {
      for (const auto& [m, want] : equal) {
        auto syms = in_.symbols(i);
        if (std::find(syms.begin(), syms.end(), want) == syms.end()) return false;
      }
      for (const auto& m : n.matchers) {
        if (&m == by_name || std::any_of(equal.begin(), equal.end(), [&](const auto& e) { return e.first == &m; }))
          continue;
        std::uint32_t name = in_.symbol(m.name);
        if (!m.matches(name == kNoSymbol ? kEmpty : std::string(in_.label(i, name)))) return false;
      }
      return true;
    };
    // The input keeps labels as numbers: a selected series' Labels are made
    // here, in this evaluation's arena.
    std::vector<Elem> out;
    auto add = [&](size_t i) {
      if (matches(i)) out.push_back(Elem{own(in_.labels(i)), in_.value(i), i});
    };
    if (by_name) {
      if (const auto* idx = in_.by_name(by_name->value)) {
        out.reserve(idx->size());
        for (size_t i : *idx) add(i);
      }
    } else {
      for (size_t i = 0; i < in_.size(); ++i) add(i);
    }
    return vec(std::move(out));
  }


  // An instant selector read from the history at t - offset (with the
  // lookback window); `times` gets each sample's timestamp.
  Val select_history(const Node& n, std::vector<std::int64_t>* times) {
    Val out;
    if (!opt_.history) return out;
    std::int64_t at = t_ms_ - n.offset_ms;
    opt_.history->select(n.matchers, [&](const History::Series& s) {
      if (const Point* p = instant_point(s, at)) {
        out.vec.push_back(Elem{&s.labels, p->v});
        if (times) times->push_back(p->t);
      }
    });
    out.distinct = true;
    return out;
  }

  Val select_range(const Node& n) {
    Val out;
    out.type = ValueType::Matrix;
    if (!opt_.history) return out;
    std::int64_t end = t_ms_ - n.offset_ms, start = end - n.range_ms;
    opt_.history->select(n.matchers, [&](const History::Series& s) {
      auto pts = points_in(s, start, end);
      if (!pts.empty()) out.mat.push_back(RangeElem{&s.labels, pts});
    });
    return out;
  }

  // A range function over its matrix argument (a range selector).
  Val range_call(const Node& n) {
    const std::string& f = n.func;
    size_t arg = f == "quantile_over_time" ? 1 : 0;
    const Node& sel = *n.args[arg];
    double param = 0;
    if (f == "quantile_over_time") param = eval(*n.args[0]).scalar;
    if (f == "predict_linear") param = eval(*n.args[1]).scalar;
    Val m = eval(sel);
    if (f == "absent_over_time") {
      if (!m.mat.empty()) return vec({});
      return vec({Elem{own(absent_labels(sel)), 1}});
    }
    std::int64_t end = t_ms_ - sel.offset_ms, start = end - sel.range_ms;
    double range_seconds = static_cast<double>(sel.range_ms) / 1000;
    std::vector<Elem> out;
    out.reserve(m.mat.size());
    for (const RangeElem& r : m.mat) {
      std::optional<double> v;
      if (f == "rate") v = extrapolated_rate(r.points, start, end, range_seconds, true, true);
      else if (f == "increase") v = extrapolated_rate(r.points, start, end, range_seconds, true, false);
      else if (f == "delta") v = extrapolated_rate(r.points, start, end, range_seconds, false, false);
      else if (f == "irate") v = instant_value(r.points, true);
      else if (f == "idelta") v = instant_value(r.points, false);
      else v = over_time(f, r.points, param, t_ms_);
      if (!v) continue;
      // Every range function but last_over_time changes the values, so drops the name.
      out.push_back(Elem{f == "last_over_time" ? r.labels : without_name(r.labels), *v});
    }
    Val res = vec(std::move(out));
    check_unique(res.vec);
    res.distinct = true;
    return res;
  }

  // label_replace(v, dst, replacement, src, regex).
  Val label_replace(const Node& n) {
    Val v = eval(*n.args[0]);
    const std::string& dst = n.args[1]->text;
    const std::string& repl = n.args[2]->text;
    const std::string& src = n.args[3]->text;
    const std::string& pattern = n.args[4]->text;
    std::string error;
    auto re = LabelRegex::compile(pattern, error);
    if (!re) throw EvalError("invalid regular expression in label_replace(): " + error);
    if (!valid_label_name(dst)) throw EvalError("invalid destination label name in label_replace(): " + dst);
    std::vector<std::string> groups;
    for (Elem& e : v.vec) {
      const std::string* value = find_label(*e.labels, src);
      if (!re->match_groups(value ? *value : kEmpty, groups)) continue;
      std::string result = re->expand(repl, groups);
      Labels l = *e.labels;
      set_label(l, dst, result);
      e.labels = own(std::move(l));
      e.series = kNotInput;
    }
    check_unique(v.vec);
    v.distinct = true;
    return v;
  }

  static bool valid_label_name(const std::string& s) {
    if (s.empty()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
      if (!ok) return false;
    }
    return true;
  }

  // Labels of absent()/absent_over_time(): the selector's equality
  // matchers (a label matched twice or by another operator is left out).
  static Labels absent_labels(const Node& arg) {
    Labels l;
    if (arg.kind != Node::Kind::Selector) return l;
    std::set<std::string> excluded;
    for (const auto& m : arg.matchers) {
      if (m.name == kName) continue;
      bool has = !label_value(l, m.name).empty();
      if (m.op == Matcher::Op::Eq && !has) set_label(l, m.name, m.value);
      else excluded.insert(m.name);
    }
    for (const auto& name : excluded) set_label(l, name, "");
    return l;
  }

  // topk/bottomk: per group, the k largest (smallest) elements with all their labels.
  Val select_k(const Node& n, const Val& in, double param) {
    bool top = n.agg == AggOp::Topk;
    if (std::isnan(param) || param < 1) return vec({});
    size_t k = param >= 9.2e18 ? static_cast<size_t>(-1) : static_cast<size_t>(static_cast<std::int64_t>(param));
    auto less = [top](const Elem& a, const Elem& b) {
      if (std::isnan(a.value)) return true;
      return top ? a.value < b.value : a.value > b.value;
    };
    std::vector<std::vector<Elem>> heaps;
    std::unordered_map<std::string, size_t> index;
    std::string key;
    for (const Elem& e : in.vec) {
      key.clear();
      for (const auto& [name, value] : *e.labels)
        if (n.without ? name != kName && !contains(n.grouping, name) : contains(n.grouping, name)) append_key(key, name, value);
      auto [it, added] = index.try_emplace(key, heaps.size());
      if (added) heaps.emplace_back();
      std::vector<Elem>& h = heaps[it->second];
      if (h.size() < k) {
        h.push_back(e);
        heap_up(h, h.size() - 1, less);
      } else if ((top ? h[0].value < e.value : h[0].value > e.value) || (std::isnan(h[0].value) && !std::isnan(e.value))) {
        h[0] = e;
        if (k > 1 && !heap_down(h, 0, less)) heap_up(h, 0, less);
      }
    }
    std::vector<Elem> out;
    for (auto& h : heaps)
      for (const Elem& e : h) out.push_back(e);
    Val res = vec(std::move(out));
    res.distinct = in.distinct;
    if (!res.distinct) check_unique(res.vec);
    res.distinct = true;
    return res;
  }

  Val aggregate(const Node& n) {
    Val in = eval(*n.args[0]);
    double param = takes_param(n.agg) ? eval(*n.args[1]).scalar : 0;
    if (n.agg == AggOp::Topk || n.agg == AggOp::Bottomk) return select_k(n, in, param);
    struct Group {
      Labels labels;
      double value = 0;
      double mean = 0;
      double count = 0;
      std::vector<double> values;  // quantile
    };
    auto grouped = [&](const std::string& label) {
      return n.without ? label != kName && !contains(n.grouping, label) : contains(n.grouping, label);
    };
    // Input series are grouped by symbol numbers, without reading their strings.
    bool by_symbol = all_input(in.vec);
    std::vector<std::uint32_t> grouping = symbols_of(n.grouping);
    std::uint32_t name_symbol = in_.symbol(kName);
    auto grouped_symbol = [&](std::uint32_t label) {
      bool listed = std::find(grouping.begin(), grouping.end(), label) != grouping.end();
      return n.without ? label != name_symbol && !listed : listed;
    };
    std::vector<Group> groups;
    std::unordered_map<std::string, size_t> index;
    std::string key;
    for (const Elem& e : in.vec) {
      key.clear();
      if (by_symbol) {
        for (const auto& [k, v] : in_.symbols(e.series))
          if (grouped_symbol(k)) append_symbols(key, k, v);
      } else {
        for (const auto& [k, v] : *e.labels)
          if (grouped(k)) append_key(key, k, v);
      }
      auto it = index.find(key);
      if (it == index.end()) {
        Labels key_labels;
        for (const auto& p : *e.labels)
          if (grouped(p.first)) key_labels.push_back(p);
        index.emplace(key, groups.size());
        groups.push_back(Group{std::move(key_labels), e.value, e.value, 1, {}});
        if (n.agg == AggOp::Quantile) groups.back().values.push_back(e.value);
        if (n.agg == AggOp::Stddev || n.agg == AggOp::Stdvar) groups.back().value = 0;
        continue;
      }
      Group& g = groups[it->second];
      double x = e.value;
      // The update rules mirror Prometheus 2.42 so results are bit-identical.
      switch (n.agg) {
        case AggOp::Sum: g.value += x; break;
        case AggOp::Max: if (g.value < x || std::isnan(g.value)) g.value = x; break;
        case AggOp::Min: if (g.value > x || std::isnan(g.value)) g.value = x; break;
        case AggOp::Count: case AggOp::Group: break;
        case AggOp::Quantile: g.values.push_back(x); break;
        case AggOp::Stddev: case AggOp::Stdvar: {
          g.count++;
          double delta = x - g.mean;
          g.mean += delta / g.count;
          g.value += delta * (x - g.mean);
          continue;
        }
        case AggOp::Topk: case AggOp::Bottomk: break;
        case AggOp::Avg: {
          g.count++;
          // An infinite mean stays as it is (Inf - Inf would give NaN).
          bool keep_mean = std::isinf(g.mean) && ((std::isinf(x) && (g.mean > 0) == (x > 0)) ||
                                                  (!std::isinf(x) && !std::isnan(x)));
          if (!keep_mean) g.mean += x / g.count - g.mean / g.count;
          continue;
        }
      }
      if (n.agg != AggOp::Avg) g.count++;
    }
    std::vector<Elem> out;
    out.reserve(groups.size());
    for (auto& g : groups) {
      double v = g.value;
      if (n.agg == AggOp::Avg) v = g.mean;
      else if (n.agg == AggOp::Count) v = g.count;
      else if (n.agg == AggOp::Group) v = 1;
      else if (n.agg == AggOp::Quantile) v = quantile(param, std::move(g.values));
      else if (n.agg == AggOp::Stdvar) v = g.value / g.count;
      else if (n.agg == AggOp::Stddev) v = std::sqrt(g.value / g.count);
      out.push_back(Elem{own(std::move(g.labels)), v});
    }
    Val res = vec(std::move(out));
    res.distinct = true;  // one element per group
    return res;
  }

  Val call(const Node& n) {
    const std::string& f = n.func;
    if (f == "time") return scalar(t_);
    if (f == "vector") return vec({Elem{own({}), eval(*n.args[0]).scalar}});
    if (f == "scalar") {
      Val v = eval(*n.args[0]);
      return scalar(v.vec.size() == 1 ? v.vec[0].value : kNaN);
    }
    if (f == "absent") return absent(n);
    if (is_range_function(f)) return range_call(n);
    if (f == "label_replace") return label_replace(n);
    if (f == "timestamp") return timestamp(n);
    Val v = eval(*n.args[0]);
    std::vector<double> params;
    for (size_t i = 1; i < n.args.size(); ++i) params.push_back(eval(*n.args[i]).scalar);
    if (f == "clamp" && params[1] < params[0]) return vec({});
    for (auto& e : v.vec) {
      strip_name(e);
      double x = e.value;
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
      e.value = x;
    }
    check_unique(v.vec);
    v.distinct = true;
    return v;
  }

  // absent(): one sample when the argument is empty, labelled from the
  // selector's equality matchers.
  Val absent(const Node& n) {
    Val v = eval(*n.args[0]);
    if (!v.vec.empty()) return vec({});
    return vec({Elem{own(absent_labels(*n.args[0])), 1}});
  }

  // timestamp(): a selector's samples' own times; any other argument's
  // elements are at the evaluation time.
  Val timestamp(const Node& n) {
    const Node* arg = n.args[0].get();
    while (arg->kind == Node::Kind::Paren) arg = arg->args[0].get();
    std::vector<std::int64_t> times;
    Val v = arg->kind == Node::Kind::Selector ? select(*arg, &times) : eval(*arg);
    for (size_t i = 0; i < v.vec.size(); ++i) {
      Elem& e = v.vec[i];
      strip_name(e);
      e.value = i < times.size() ? static_cast<double>(times[i]) / 1000 : t_;
    }
    check_unique(v.vec);
    v.distinct = true;
    return v;
  }
};

}  // namespace

Value evaluate(const Node& expr, const SeriesSet& input, double time_seconds) {
  return Evaluator(input, EvalOptions{}, time_seconds).run(expr);
}

Value evaluate(const Node& expr, const SeriesSet& input, const EvalOptions& options, double time_seconds) {
  return Evaluator(input, options, time_seconds).run(expr);
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
