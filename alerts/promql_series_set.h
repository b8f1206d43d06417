// The input of an evaluation: one round's samples as Prometheus' storage
// would return them (sorted, indexed by name, labels numbered), and the
// timestamped points range selectors read.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/sample.h"

namespace pgw::promql {

// One series of an instant vector; labels sorted by name, with __name__.
struct Series {
  Labels labels;
  double value = 0;
};

// One sample of a series' history: milliseconds since the epoch, value.
struct Point {
  std::int64_t t;
  double v;
};

// The samples of one evaluation round, sorted as Prometheus' storage returns
// them and indexed by metric name. Build once, evaluate many rules.
//
// Labels are kept as numbers into one table of distinct strings, not as
// strings per series: at 1,000 nodes (93,000 series) a copy of every label
// set was about 40 MB, the numbers and values are about 7 MB. A series'
// Labels are made on demand (labels()).
class SeriesSet {
 public:
  // How large the set is expected to be (e.g. the last one's size): its
  // arrays are reserved instead of grown, so a rebuild at 1,000 nodes does
  // not hold an array and its doubled copy at once.
  struct Capacity {
    size_t series = 0;
    size_t pairs = 0;
  };
  explicit SeriesSet(const SampleSequence& samples) : SeriesSet(samples, Capacity{0, 0}) {}
  SeriesSet(const SampleSequence& samples, Capacity expected);
  explicit SeriesSet(const std::vector<Sample>& samples) : SeriesSet(VectorSequence(samples)) {}
  SeriesSet(const SeriesSet&) = delete;  // symbols_ points into strings_
  SeriesSet& operator=(const SeriesSet&) = delete;
  SeriesSet(SeriesSet&&) = default;
  SeriesSet& operator=(SeriesSet&&) = default;

  size_t size() const { return values_.size(); }
  Capacity capacity_used() const { return {values_.size(), pairs_.size()}; }
  double value(size_t i) const { return values_[order_[i]]; }
  // Series i's labels, sorted by name, with __name__ (a new copy).
  Labels labels(size_t i) const;
  // Series i's value of the label numbered `name`, or "" when it has none.
  std::string_view label(size_t i, std::uint32_t name) const;
  // Positions of the metric's series, ascending; nullptr if none.
  const std::vector<size_t>* by_name(const std::string& name) const;

  // When `samples` are the same series in the same order as the ones this
  // set was built from (the usual case from one round to the next), takes
  // their values and returns true; otherwise changes nothing, returns false.
  bool refresh(const SampleSequence& samples);
  bool refresh(const std::vector<Sample>& samples) { return refresh(VectorSequence(samples)); }

  // Every label name and value of the set as a number, so that matching can
  // compare series without reading their strings: symbol(s) is the number
  // of s (kNoSymbol if no series has it), symbols(i) the (name, value)
  // numbers of series i in label order.
  static constexpr std::uint32_t kNoSymbol = ~std::uint32_t{0};
  using SymbolPair = std::pair<std::uint32_t, std::uint32_t>;
  std::uint32_t symbol(std::string_view s) const;
  std::string_view text(std::uint32_t symbol) const { return texts_[symbol]; }
  std::span<const SymbolPair> symbols(size_t i) const { return stored(order_[i]); }

 private:
  std::uint32_t intern(const std::string& s);
  // The label numbers of the k-th series of the input.
  std::span<const SymbolPair> stored(std::uint32_t k) const {
    return std::span<const SymbolPair>(pairs_).subspan(offsets_[k], offsets_[k + 1] - offsets_[k]);
  }

  std::deque<std::string> strings_;  // each distinct label name and value once
  std::unordered_map<std::string_view, std::uint32_t> symbols_;  // views into strings_
  std::vector<std::string_view> texts_;  // by symbol
  // The series are kept in input order, each stored once (sorting a copy
  // held two of each while the index was rebuilt); order_ gives the
  // storage order.
  std::vector<SymbolPair> pairs_;  // all series' label numbers, series after series
  std::vector<std::uint32_t> offsets_;  // input series k's numbers are pairs_[offsets_[k], offsets_[k + 1])
  std::vector<double> values_;  // by input position
  std::vector<std::uint32_t> order_;  // input position of the i-th series in storage order
  std::unordered_map<std::string, std::vector<size_t>> by_name_;
};

}  // namespace pgw::promql
