// Timestamped points of series, as range selectors and offset selectors
// read them: Prometheus' storage in miniature. A series that vanished gets
// a staleness marker, so an instant lookup after it finds nothing, while
// range functions still see the points before it (as in Prometheus).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "alerts/promql_ast.h"
#include "alerts/promql_series_set.h"

namespace pgw::promql {

// How far back an instant selector looks for a sample (Prometheus' default).
constexpr std::int64_t kLookbackMs = 5 * 60 * 1000;

class History {
 public:
  struct Series {
    Labels labels;  // sorted, with __name__
    std::vector<Point> points;  // ascending t; the live ones start at `start`
    size_t start = 0;
    std::vector<std::int64_t> stale;  // when the series vanished, ascending
    std::int64_t keep_ms = 0;  // how far back its owner keeps it (RuleHistory)
    std::uint64_t seen_round = 0;  // the owner's last round that had it
    std::span<const Point> view() const { return {points.data() + start, points.size() - start}; }
    size_t size() const { return points.size() - start; }
  };

  // Appends a point to the series with these labels (sorted, with
  // __name__), creating it. A point at the time of the series' last point
  // replaces it; one before it is ignored.
  Series& add(const Labels& labels, std::int64_t t, double v);
  // Marks the series stale at `t` (no-op for an unknown or already stale series).
  void add_stale(Series& s, std::int64_t t);

  // Calls f(series) for every series whose labels satisfy all matchers.
  template <class F>
  void select(const std::vector<Matcher>& matchers, F&& f) const {
    auto test = [&](const Series& s) {
      for (const auto& m : matchers) {
        const std::string* v = nullptr;
        for (const auto& p : s.labels)
          if (p.first == m.name) v = &p.second;
        static const std::string empty;
        if (!m.matches(v ? *v : empty)) return false;
      }
      return true;
    };
    for (const auto& m : matchers)
      if (m.name == "__name__" && m.op == Matcher::Op::Eq) {
        auto it = series_.find(m.value);
        if (it == series_.end()) return;
        for (const auto& [key, s] : it->second)
          if (test(s)) f(s);
        return;
      }
    for (const auto& [name, group] : series_)
      for (const auto& [key, s] : group)
        if (test(s)) f(s);
  }

  // Every series, by name then label key (mutable for trimming).
  std::map<std::string, std::map<std::string, Series>>& all() { return series_; }
  const std::map<std::string, std::map<std::string, Series>>& all() const { return series_; }
  // Drops the points (and staleness markers) of `s` before `t`.
  static void drop_before(Series& s, std::int64_t t);
  // Removes series without points.
  void remove_empty();

  size_t series_count() const;
  size_t sample_count() const;

 private:
  std::map<std::string, std::map<std::string, Series>> series_;
};

// The points of `s` in [from, to] (both ends inclusive, as in Prometheus 2.x).
std::span<const Point> points_in(const History::Series& s, std::int64_t from, std::int64_t to);
// What an instant selector sees at `t`: the last point in [t - lookback, t],
// unless the series went stale after it; nullptr when none.
const Point* instant_point(const History::Series& s, std::int64_t t);

}  // namespace pgw::promql
