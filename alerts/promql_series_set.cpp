#include "alerts/promql_series_set.h"

#include <algorithm>

#include "alerts/promql_labels.h"

namespace pgw::promql {
namespace {

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


}  // namespace pgw::promql
