#include "alerts/promql_matching.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>
#include <unordered_map>

#include "alerts/promql_error.h"
#include "alerts/promql_labels.h"

namespace pgw::promql {
namespace {

constexpr std::uint32_t kNoSymbol = SeriesSet::kNoSymbol;

template <class Append>
Keys keys_of(const std::vector<Elem>& v, Append append) {
  Keys keys(v.size());
  for (const Elem& e : v) keys.add([&](std::string& out) { append(out, *e.labels); });
  return keys;
}

Keys text_signatures(const std::vector<Elem>& v, const VectorMatching& m) {
  return keys_of(v, [&m](std::string& out, const Labels& l) { append_signature(out, l, m); });
}


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

}  // namespace

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


const Labels* MatchContext::without_name(const Labels* l) {
  auto it = std::find_if(l->begin(), l->end(), [](const auto& p) { return p.first == kName; });
  if (it == l->end()) return l;
  Labels copy;
  copy.reserve(l->size() - 1);
  copy.insert(copy.end(), l->begin(), it);
  copy.insert(copy.end(), it + 1, l->end());
  return own(std::move(copy));
}

void MatchContext::strip_name(Elem& e) {
  const Labels* l = without_name(e.labels);
  if (l == e.labels) return;
  e.labels = l;
  e.series = kNotInput;
}

std::vector<std::uint32_t> MatchContext::symbols_of(const std::vector<std::string>& names) const {
  std::vector<std::uint32_t> out;
  for (const auto& name : names) out.push_back(in_.symbol(name));
  return out;
}

// Signatures of both sides of a matching, by symbol numbers when every
// element is an input series (the common case: selector against selector).
std::pair<Keys, Keys> MatchContext::signatures(const std::vector<Elem>& l, const std::vector<Elem>& r, const VectorMatching& m) {
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

Val MatchContext::vector_vector(const Node& n, Val l, Val r) {
  Val out;
  switch (n.op) {
    // and/unless keep some of the left side as it is.
    case BinOp::And: out.vec = filter_by_signature(l.vec, r.vec, n.matching, true); out.distinct = l.distinct; break;
    case BinOp::Or: out.vec = set_or(l.vec, r.vec, n.matching); break;
    case BinOp::Unless: out.vec = filter_by_signature(l.vec, r.vec, n.matching, false); out.distinct = l.distinct; break;
    default:
      out.vec = vector_binop(n, std::move(l.vec), std::move(r.vec));
      out.distinct = one_to_one_distinct(n.matching);
      break;
  }
  if (!out.distinct) check_unique(out.vec);
  out.distinct = true;
  return out;
}

Val MatchContext::vector_scalar(const Node& n, Val l, Val r) {
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
  Val out;
  out.vec = std::move(res);
  if (!(v.distinct && !relabel)) check_unique(out.vec);  // a filter keeps labels as they are
  out.distinct = true;
  return out;
}

// A one-to-one match gives each result the labels of its signature (on)
// or the signature plus the name (ignoring), and every signature matches
// once; only on(__name__, ...) with the name dropped can repeat labels.
bool MatchContext::one_to_one_distinct(const VectorMatching& m) {
  return m.card == VectorMatching::Card::OneToOne && !(m.on && contains(m.labels, kName));
}

std::vector<Elem> MatchContext::vector_binop(const Node& n, std::vector<Elem> lhs, std::vector<Elem> rhs) {
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
Labels MatchContext::result_labels(const Elem& lhs, const Labels& rhs, BinOp op, const VectorMatching& m,
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

std::vector<Elem> MatchContext::set_or(const std::vector<Elem>& l, const std::vector<Elem>& r, const VectorMatching& m) {
  std::vector<Elem> out = l;
  for (const Elem& e : filter_by_signature(r, l, m, false)) out.push_back(e);
  return out;
}
// The elements of `l` whose signature does (`present`) or does not occur in `r`.
std::vector<Elem> MatchContext::filter_by_signature(const std::vector<Elem>& l, const std::vector<Elem>& r,
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


}  // namespace pgw::promql
