#include "alerts/promql_series_set.h"

#include <algorithm>

#include "alerts/promql_labels.h"

namespace pgw::promql {
namespace {

using Pairs = std::span<const SeriesSet::SymbolPair>;

// Whether series `stored` (sorted, with __name__) is what `s` normalizes to.
// It compares the sample's labels in their order, so unsorted input never
// matches (and is rebuilt, which is merely slower).
bool same_series(const Sample& s, Pairs stored, const SeriesSet& set, std::uint32_t name_symbol) {
  if (stored.size() != s.labels.size() + 1) return false;
  size_t k = 0;
  bool named = false;
  for (const auto& [n, v] : stored) {
    if (!named && n == name_symbol) {
      if (set.text(v) != s.name) return false;
      named = true;
      continue;
    }
    if (k == s.labels.size()) return false;
    const auto& [ln, lv] = s.labels[k++];
    if (set.text(n) != ln || set.text(v) != lv) return false;
  }
  return named;
}

}  // namespace

std::uint32_t SeriesSet::intern(const std::string& s) {
  auto it = symbols_.find(s);
  if (it != symbols_.end()) return it->second;
  auto n = static_cast<std::uint32_t>(texts_.size());
  std::string_view kept = strings_.emplace_back(s);
  symbols_.emplace(kept, n);
  texts_.push_back(kept);
  return n;
}

SeriesSet::SeriesSet(const SampleSequence& samples, Capacity expected) {
  if (expected.series) {
    // A little room: a rebuild is usually a few series more or fewer.
    pairs_.reserve(expected.pairs + expected.pairs / 16);
    offsets_.reserve(expected.series + expected.series / 16 + 1);
    values_.reserve(expected.series + expected.series / 16);
  }
  // First the series as they come, each label set normalized and numbered.
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> groups;  // name symbol -> input positions
  bool name_first = true;  // every label set starts with __name__
  Labels scratch;
  const std::uint32_t name_symbol = intern(kName);
  offsets_.push_back(0);
  samples.for_each([&](const Sample& s) {
    scratch.assign(s.labels.begin(), s.labels.end());
    scratch.emplace_back(kName, s.name);
    normalize(scratch);
    auto k = static_cast<std::uint32_t>(values_.size());
    std::uint32_t metric = kNoSymbol;
    for (const auto& [n, v] : scratch) {
      pairs_.emplace_back(intern(n), intern(v));
      if (pairs_.back().first == name_symbol) metric = pairs_.back().second;
    }
    offsets_.push_back(static_cast<std::uint32_t>(pairs_.size()));
    values_.push_back(s.value);
    name_first = name_first && !scratch.empty() && scratch[0].first == kName;
    groups[metric].push_back(k);
  });
  // The order of Prometheus' storage: label sets compared pair by pair.
  auto less = [&](std::uint32_t a, std::uint32_t b) {
    Pairs x = stored(a), y = stored(b);
    size_t n = std::min(x.size(), y.size());
    for (size_t j = 0; j < n; ++j) {
      if (x[j].first != y[j].first) return text(x[j].first) < text(y[j].first);
      if (x[j].second != y[j].second) return text(x[j].second) < text(y[j].second);
    }
    return x.size() < y.size();
  };
  order_.reserve(values_.size());
  if (name_first) {
    // Then the storage order is by name, and within a name by the other
    // labels: sorting each group is cheaper than sorting everything.
    std::vector<std::pair<std::string_view, std::vector<std::uint32_t>*>> names;
    names.reserve(groups.size());
    for (auto& [metric, idx] : groups) names.emplace_back(text(metric), &idx);
    std::sort(names.begin(), names.end());
    for (auto& [name, idx] : names) {
      std::sort(idx->begin(), idx->end(), less);
      order_.insert(order_.end(), idx->begin(), idx->end());
    }
  } else {
    // A label name that sorts before "__name__" (e.g. "Zone") interleaves metrics.
    for (std::uint32_t k = 0; k < values_.size(); ++k) order_.push_back(k);
    std::sort(order_.begin(), order_.end(), less);
  }
  groups.clear();
  for (size_t i = 0; i < order_.size(); ++i) by_name_[std::string(label(i, name_symbol))].push_back(i);
}

bool SeriesSet::refresh(const SampleSequence& samples) {
  // One pass: the values go to a side vector and are taken only when every
  // series matched (walking the store again would make its self metrics again).
  std::vector<double> values(values_.size());
  const std::uint32_t name_symbol = symbol(kName);
  std::uint32_t k = 0;
  bool same = true;
  samples.for_each([&](const Sample& s) {
    if (!same) return;
    if (k == values.size() || !same_series(s, stored(k), *this, name_symbol)) {
      same = false;
      return;
    }
    values[k++] = s.value;
  });
  if (!same || k != values.size()) return false;
  values_ = std::move(values);
  return true;
}

Labels SeriesSet::labels(size_t i) const {
  Labels out;
  Pairs p = symbols(i);
  out.reserve(p.size());
  for (const auto& [k, v] : p) out.emplace_back(text(k), text(v));
  return out;
}

std::string_view SeriesSet::label(size_t i, std::uint32_t name) const {
  for (const auto& [k, v] : symbols(i))
    if (k == name) return text(v);
  return {};
}

std::uint32_t SeriesSet::symbol(std::string_view s) const {
  auto it = symbols_.find(s);
  return it == symbols_.end() ? kNoSymbol : it->second;
}

const std::vector<size_t>* SeriesSet::by_name(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

}  // namespace pgw::promql
