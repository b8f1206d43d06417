#include "alerts/promql_eval.h"

#include "alerts/promql_keys.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <set>
#include <string_view>
#include <unordered_map>

namespace pgw::promql {
namespace {

const std::string kName = "__name__";
const std::string kEmpty;
constexpr size_t kNotInput = static_cast<size_t>(-1);
constexpr std::uint32_t kNoSymbol = SeriesSet::kNoSymbol;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

// The order of std::vector<std::pair<std::string, std::string>>::operator<,
// with one string comparison per name and value instead of up to three.
bool labels_less(const Labels& a, const Labels& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (int c = a[i].first.compare(b[i].first)) return c < 0;
    if (int c = a[i].second.compare(b[i].second)) return c < 0;
  }
  return a.size() < b.size();
}

// Whether `stored` (sorted, with __name__) is what `s` normalizes to. It
// compares the sample's labels in their order, so unsorted input never
// matches (and is rebuilt, which is merely slower).
bool same_series(const Sample& s, const Labels& stored) {
  if (stored.size() != s.labels.size() + 1) return false;
  size_t k = 0;
  bool named = false;
  for (const auto& p : stored) {
    if (!named && p.first == kName) {
      if (p.second != s.name) return false;
      named = true;
      continue;
    }
    if (k == s.labels.size() || p != s.labels[k++]) return false;
  }
  return named;
}

void append_key(std::string& key, const std::string& name, const std::string& value) {
  key += name;
  key += '\xff';
  key += value;
  key += '\xff';
}

// label_value() where the compiler can inline it (signatures look up
// every element's labels).
const std::string* find_label(const Labels& l, const std::string& name) {
  for (const auto& p : l)
    if (p.first.size() == name.size() && p.first == name) return &p.second;
  return nullptr;
}

// Matching signature: the values of the on(...) labels (both sides use the
// same list, so names would add nothing), or every label except the
// ignoring(...) ones and the metric name.
void append_signature(std::string& key, const Labels& l, const VectorMatching& m) {
  if (m.on) {
    for (const auto& n : m.labels) {
      if (const std::string* v = find_label(l, n)) key += *v;
      key += '\xff';
    }
  } else {
    for (const auto& [n, v] : l)
      if (n != kName && !contains(m.labels, n)) append_key(key, n, v);
  }
}

void append_full_key(std::string& key, const Labels& l) {
  for (const auto& [n, v] : l) append_key(key, n, v);
}

std::string full_key(const Labels& l) {
  std::string key;
  append_full_key(key, l);
  return key;
}

std::string labels_str(const Labels& l) {
  std::string s = "{";
  for (size_t i = 0; i < l.size(); ++i) s += (i ? ", " : "") + l[i].first + "=\"" + l[i].second + "\"";
  return s + "}";
}

// An element of an intermediate instant vector. Its labels belong to the
// SeriesSet or to the evaluator's arena, so selecting and filtering series
// copies no strings; only the final result is copied out.
struct Elem {
  const Labels* labels;
  double value;
  size_t series = kNotInput;  // position in the SeriesSet while labels are the input's
};

struct Val {
  ValueType type = ValueType::Vector;
  double scalar = 0;
  std::vector<Elem> vec;
  bool distinct = false;  // label sets known to be pairwise different
};

template <class Append>
Keys keys_of(const std::vector<Elem>& v, Append append) {
  Keys keys(v.size());
  for (const Elem& e : v) keys.add([&](std::string& out) { append(out, *e.labels); });
  return keys;
}

Keys text_signatures(const std::vector<Elem>& v, const VectorMatching& m) {
  return keys_of(v, [&m](std::string& out, const Labels& l) { append_signature(out, l, m); });
}

template <class... Symbols>
void append_symbols(std::string& key, Symbols... symbols) {
  for (std::uint32_t x : {symbols...}) key.append(reinterpret_cast<const char*>(&x), sizeof x);
}

// The same signature from symbol numbers: equal exactly when the text
// signatures are (label values are never empty, so absent stays distinct).
void append_symbol_signature(std::string& key, std::span<const SeriesSet::SymbolPair> labels,
                             const std::vector<std::uint32_t>& names, std::uint32_t name_symbol, bool on) {
  if (on) {
    for (std::uint32_t n : names) {
      std::uint32_t v = kNoSymbol;
      for (const auto& [ln, lv] : labels)
        if (ln == n) v = lv;
      append_symbols(key, v);
    }
  } else {
    for (const auto& [ln, lv] : labels)
      if (ln != name_symbol && std::find(names.begin(), names.end(), ln) == names.end()) append_symbols(key, ln, lv);
  }
}

void check_unique(const std::vector<Elem>& v) {
  if (v.size() < 2) return;
  Keys keys = keys_of(v, append_full_key);
  KeyIndex seen(keys);
  for (size_t i = 0; i < v.size(); ++i)
    if (seen.insert(i) != KeyIndex::npos) throw EvalError("vector cannot contain metrics with the same labelset");
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
  const SeriesSet& in_;
  double t_;
  std::deque<Labels> arena_;  // label sets made during this evaluation

  const Labels* own(Labels l) { return &arena_.emplace_back(std::move(l)); }

  const Labels* without_name(const Labels* l) {
    auto it = std::find_if(l->begin(), l->end(), [](const auto& p) { return p.first == kName; });
    if (it == l->end()) return l;
    Labels copy;
    copy.reserve(l->size() - 1);
    copy.insert(copy.end(), l->begin(), it);
    copy.insert(copy.end(), it + 1, l->end());
    return own(std::move(copy));
  }

  void strip_name(Elem& e) {
    const Labels* l = without_name(e.labels);
    if (l == e.labels) return;
    e.labels = l;
    e.series = kNotInput;
  }

  static bool all_input(const std::vector<Elem>& v) {
    return std::all_of(v.begin(), v.end(), [](const Elem& e) { return e.series != kNotInput; });
  }
  std::vector<std::uint32_t> symbols_of(const std::vector<std::string>& names) const {
    std::vector<std::uint32_t> out;
    for (const auto& name : names) out.push_back(in_.symbol(name));
    return out;
  }

  // Signatures of both sides of a matching, by symbol numbers when every
  // element is an input series (the common case: selector against selector).
  std::pair<Keys, Keys> signatures(const std::vector<Elem>& l, const std::vector<Elem>& r, const VectorMatching& m) {
    if (!all_input(l) || !all_input(r)) return {text_signatures(l, m), text_signatures(r, m)};
    std::vector<std::uint32_t> names = symbols_of(m.labels);
    std::uint32_t name_symbol = in_.symbol(kName);
    auto by_symbol = [&](const std::vector<Elem>& v) {
      Keys keys(v.size());
      for (const Elem& e : v)
        keys.add([&](std::string& out) { append_symbol_signature(out, in_.symbols(e.series), names, name_symbol, m.on); });
      return keys;
    };
    return {by_symbol(l), by_symbol(r)};
  }

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
      case Node::Kind::Binary: return binary(n);
      case Node::Kind::Aggregate: return aggregate(n);
      case Node::Kind::Call: return call(n);
    }
    throw EvalError("unknown expression");
  }

  Val select(const Node& n) {
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
        const std::string* v = find_label(in_.all()[i].labels, m.name);
        if (!m.matches(v ? *v : kEmpty)) return false;
      }
      return true;
    };
    std::vector<Elem> out;
    const std::vector<Series>& all = in_.all();
    auto add = [&](size_t i) {
      if (matches(i)) out.push_back(Elem{&all[i].labels, all[i].value, i});
    };
    if (by_name) {
      if (const auto* idx = in_.by_name(by_name->value)) {
        out.reserve(idx->size());
        for (size_t i : *idx) add(i);
      }
    } else {
      for (size_t i = 0; i < all.size(); ++i) add(i);
    }
    return vec(std::move(out));
  }

  Val binary(const Node& n) {
    Val l = eval(*n.args[0]);
    Val r = eval(*n.args[1]);
    if (l.type == ValueType::Scalar && r.type == ValueType::Scalar) {
      bool keep;
      double v = elem_op(n.op, l.scalar, r.scalar, keep);
      if (n.return_bool) v = keep ? 1 : 0;
      return scalar(v);
    }
    Val out;
    if (l.type == ValueType::Vector && r.type == ValueType::Vector) {
      switch (n.op) {
        // and/unless keep some of the left side as it is.
        case BinOp::And: out = vec(set_and(l.vec, r.vec, n.matching)); out.distinct = l.distinct; break;
        case BinOp::Or: out = vec(set_or(l.vec, r.vec, n.matching)); break;
        case BinOp::Unless: out = vec(set_unless(l.vec, r.vec, n.matching)); out.distinct = l.distinct; break;
        default:
          out = vec(vector_binop(n, std::move(l.vec), std::move(r.vec)));
          out.distinct = one_to_one_distinct(n.matching);
          break;
      }
    } else {
      bool swap = l.type == ValueType::Scalar;
      Val& v = swap ? r : l;
      double s = swap ? l.scalar : r.scalar;
      bool relabel = drops_name(n.op) || n.return_bool;
      std::vector<Elem> res;
      res.reserve(v.vec.size());
      for (auto& e : v.vec) {
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
        if (relabel) strip_name(e);
        res.push_back(e);
      }
      out = vec(std::move(res));
      out.distinct = v.distinct && !relabel;  // a filter keeps labels as they are
    }
    if (!out.distinct) check_unique(out.vec);
    out.distinct = true;
    return out;
  }

  // A one-to-one match gives each result the labels of its signature (on)
  // or the signature plus the name (ignoring), and every signature matches
  // once; only on(__name__, ...) with the name dropped can repeat labels.
  static bool one_to_one_distinct(const VectorMatching& m) {
    return m.card == VectorMatching::Card::OneToOne && !(m.on && contains(m.labels, kName));
  }

  std::vector<Elem> vector_binop(const Node& n, std::vector<Elem> lhs, std::vector<Elem> rhs) {
    const VectorMatching& m = n.matching;
    using Card = VectorMatching::Card;
    bool one_to_many = m.card == Card::OneToMany;
    if (one_to_many) std::swap(lhs, rhs);
    std::vector<Elem> out;
    if (rhs.empty()) return out;
    auto [lsig, rsig] = signatures(lhs, rhs, m);
    KeyIndex right(rsig);
    for (size_t i = 0; i < rhs.size(); ++i) {
      size_t dup = right.insert(i);
      if (dup != KeyIndex::npos) {
        const Labels& rl = *rhs[i].labels;
        Labels matched;
        for (const auto& [k, v] : rl)
          if (m.on ? contains(m.labels, k) : (k != kName && !contains(m.labels, k))) matched.emplace_back(k, v);
        throw EvalError("found duplicate series for the match group " + labels_str(matched) + " on the " +
                        (one_to_many ? "left" : "right") + " hand-side of the operation: [" + labels_str(rl) +
                        ", " + labels_str(*rhs[dup].labels) +
                        "];many-to-many matching not allowed: matching labels must be unique on one side");
      }
    }
    KeyIndex matched_one(lsig);
    std::vector<std::uint32_t> listed = symbols_of(m.labels);
    out.reserve(std::min(lhs.size(), rhs.size()));                                                    // one-to-one
    std::unordered_map<std::string_view, std::set<std::string>> matched_many;  // group_x
    for (size_t i = 0; i < lhs.size(); ++i) {
      size_t match = right.find(lsig[i]);
      if (match == KeyIndex::npos) continue;
      const Elem& ls = lhs[i];
      const Elem& rs = rhs[match];
      double vl = ls.value, vr = rs.value;
      if (one_to_many) std::swap(vl, vr);
      bool keep;
      double value = elem_op(n.op, vl, vr, keep);
      if (n.return_bool) value = keep ? 1 : 0;
      else if (!keep) continue;
      Labels metric = result_labels(ls, *rs.labels, n.op, m, listed);
      if (n.return_bool) drop_name(metric);
      if (m.card == Card::OneToOne) {
        if (matched_one.insert(i) != KeyIndex::npos)
          throw EvalError("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
      } else if (!matched_many[lsig[i]].insert(full_key(metric)).second) {
        throw EvalError("multiple matches for labels: grouping labels must ensure unique matches");
      }
      out.push_back(Elem{own(std::move(metric)), value});
    }
    return out;
  }

  // `listed` are the symbols of m.labels: an input series' result labels
  // are built from the symbol table's (much used, so cached) strings.
  Labels result_labels(const Elem& lhs, const Labels& rhs, BinOp op, const VectorMatching& m,
                       const std::vector<std::uint32_t>& listed) const {
    Labels l;
    l.reserve(lhs.labels->size() + m.include.size());
    bool one_to_one = m.card == VectorMatching::Card::OneToOne;
    if (lhs.series != kNotInput) {
      std::uint32_t name_symbol = in_.symbol(kName);
      for (const auto& [k, v] : in_.symbols(lhs.series)) {
        if (drops_name(op) && k == name_symbol) continue;
        if (one_to_one && m.on != (std::find(listed.begin(), listed.end(), k) != listed.end())) continue;
        l.emplace_back(in_.text(k), in_.text(v));
      }
    } else {
      for (const auto& p : *lhs.labels) {
        if (drops_name(op) && p.first == kName) continue;
        if (one_to_one && m.on != contains(m.labels, p.first)) continue;
        l.push_back(p);
      }
    }
    // group_x labels come from the "one" side.
    for (const auto& name : m.include) set_label(l, name, label_value(rhs, name));
    return l;
  }

  std::vector<Elem> set_and(const std::vector<Elem>& l, const std::vector<Elem>& r, const VectorMatching& m) {
    return filter_by_signature(l, r, m, true);
  }
  std::vector<Elem> set_unless(const std::vector<Elem>& l, const std::vector<Elem>& r, const VectorMatching& m) {
    return filter_by_signature(l, r, m, false);
  }
  std::vector<Elem> set_or(const std::vector<Elem>& l, const std::vector<Elem>& r, const VectorMatching& m) {
    std::vector<Elem> out = l;
    for (const Elem& e : filter_by_signature(r, l, m, false)) out.push_back(e);
    return out;
  }
  // The elements of `l` whose signature does (`present`) or does not occur in `r`.
  std::vector<Elem> filter_by_signature(const std::vector<Elem>& l, const std::vector<Elem>& r,
                                               const VectorMatching& m, bool present) {
    if (l.empty() || r.empty()) return present ? std::vector<Elem>{} : l;
    auto [lsig, rsig] = signatures(l, r, m);
    KeyIndex sigs(rsig);
    for (size_t i = 0; i < r.size(); ++i) sigs.insert(i);
    std::vector<Elem> out;
    for (size_t i = 0; i < l.size(); ++i)
      if ((sigs.find(lsig[i]) != KeyIndex::npos) == present) out.push_back(l[i]);
    return out;
  }

  Val aggregate(const Node& n) {
    Val in = eval(*n.args[0]);
    struct Group {
      Labels labels;
      double value = 0;
      double mean = 0;
      double count = 0;
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
        groups.push_back(Group{std::move(key_labels), e.value, e.value, 1});
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
  // selector's equality matchers (a label matched twice or by another
  // operator is left out, as in Prometheus).
  Val absent(const Node& n) {
    Val v = eval(*n.args[0]);
    if (!v.vec.empty()) return vec({});
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
    return vec({Elem{own(std::move(l)), 1}});
  }
};

}  // namespace

SeriesSet::SeriesSet(const std::vector<Sample>& samples) {
  // Series grouped by metric name first: sorting each group is cheaper than
  // sorting everything, and the groups are the index.
  std::vector<Series> unsorted;
  unsorted.reserve(samples.size());
  std::unordered_map<std::string_view, std::vector<size_t>> groups;
  bool name_first = true;  // every label set starts with __name__
  for (const auto& s : samples) {
    Series e;
    e.labels.reserve(s.labels.size() + 1);
    e.labels.assign(s.labels.begin(), s.labels.end());
    e.labels.emplace_back(kName, s.name);
    normalize(e.labels);
    e.value = s.value;
    name_first = name_first && !e.labels.empty() && e.labels[0].first == kName;
    groups[s.name].push_back(unsorted.size());
    unsorted.push_back(std::move(e));
  }
  auto less = [&](size_t a, size_t b) { return labels_less(unsorted[a].labels, unsorted[b].labels); };
  series_.reserve(unsorted.size());
  position_.resize(unsorted.size());
  if (name_first) {
    // Then the storage order is by name, and within a name by the other labels.
    std::vector<std::pair<std::string_view, std::vector<size_t>*>> names;
    names.reserve(groups.size());
    for (auto& [name, idx] : groups) names.emplace_back(name, &idx);
    std::sort(names.begin(), names.end());
    for (auto& [name, idx] : names) {
      std::sort(idx->begin(), idx->end(), less);
      auto& positions = by_name_[std::string(name)];
      positions.reserve(idx->size());
      for (size_t i : *idx) {
        position_[i] = series_.size();
        positions.push_back(series_.size());
        series_.push_back(std::move(unsorted[i]));
      }
    }
    number_labels();
    return;
  }
  // A label name that sorts before "__name__" (e.g. "Zone") interleaves metrics.
  std::vector<size_t> order(unsorted.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), less);
  for (size_t i : order) {
    position_[i] = series_.size();
    series_.push_back(std::move(unsorted[i]));
  }
  for (size_t i = 0; i < series_.size(); ++i) by_name_[label_value(series_[i].labels, kName)].push_back(i);
  number_labels();
}

bool SeriesSet::refresh(const std::vector<Sample>& samples) {
  if (samples.size() != position_.size()) return false;
  for (size_t i = 0; i < samples.size(); ++i)
    if (!same_series(samples[i], series_[position_[i]].labels)) return false;
  for (size_t i = 0; i < samples.size(); ++i) series_[position_[i]].value = samples[i].value;
  return true;
}

void SeriesSet::number_labels() {
  symbols_.clear();
  pairs_.clear();
  offsets_.assign(1, 0);
  texts_.clear();
  auto number = [&](const std::string& s) {
    auto [it, added] = symbols_.try_emplace(s, static_cast<std::uint32_t>(symbols_.size()));
    if (added) texts_.push_back(it->first);
    return it->second;
  };
  for (const auto& s : series_) {
    for (const auto& [k, v] : s.labels) pairs_.emplace_back(number(k), number(v));
    offsets_.push_back(pairs_.size());
  }
}

std::uint32_t SeriesSet::symbol(const std::string& s) const {
  auto it = symbols_.find(s);
  return it == symbols_.end() ? kNoSymbol : it->second;
}

const std::vector<size_t>* SeriesSet::by_name(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

Value evaluate(const Node& expr, const SeriesSet& input, double time_seconds) {
  return Evaluator(input, time_seconds).run(expr);
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
