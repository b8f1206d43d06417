#include "alerts/promql_history.h"

#include <algorithm>

#include "alerts/promql_labels.h"

namespace pgw::promql {

History::Series& History::add(const Labels& labels, std::int64_t t, double v) {
  auto& group = series_[label_value(labels, kName)];
  auto [it, added] = group.try_emplace(full_key(labels));
  Series& s = it->second;
  if (added) s.labels = labels;
  if (s.size() > 0 && s.points.back().t >= t) {
    if (s.points.back().t == t) s.points.back().v = v;
    return s;
  }
  // A full buffer first drops its dead points (those before `start`), and
  // grows by half its live points rather than doubling: a series keeping
  // 241 points then holds about 360, not 512 (bench/RESULTS.md, rule
  // history). Compacting moves the live points once per half-buffer of new
  // ones: amortized O(1) per point.
  if (s.points.size() == s.points.capacity()) {
    if (s.start > 0) {
      s.points.erase(s.points.begin(), s.points.begin() + static_cast<std::ptrdiff_t>(s.start));
      s.start = 0;
    }
    if (s.points.size() == s.points.capacity())
      s.points.reserve(std::max<size_t>(8, s.points.size() + s.points.size() / 2));
  }
  s.points.push_back(Point{t, v});
  return s;
}

void History::add_stale(Series& s, std::int64_t t) {
  if (s.size() == 0) return;
  if (!s.stale.empty() && s.stale.back() >= s.points.back().t) return;  // already stale
  if (t <= s.points.back().t) return;
  s.stale.push_back(t);
}

void History::drop_before(Series& s, std::int64_t t) {
  while (s.start < s.points.size() && s.points[s.start].t < t) ++s.start;
  // Compacts once half the buffer is dead: amortized O(1) per point.
  if (s.start > 0 && s.start * 2 >= s.points.size()) {
    s.points.erase(s.points.begin(), s.points.begin() + static_cast<std::ptrdiff_t>(s.start));
    s.start = 0;
  }
  auto keep = std::lower_bound(s.stale.begin(), s.stale.end(), t);
  s.stale.erase(s.stale.begin(), keep);
}

void History::remove_empty() {
  for (auto g = series_.begin(); g != series_.end();) {
    for (auto it = g->second.begin(); it != g->second.end();)
      it = it->second.size() == 0 ? g->second.erase(it) : std::next(it);
    g = g->second.empty() ? series_.erase(g) : std::next(g);
  }
}

size_t History::series_count() const {
  size_t n = 0;
  for (const auto& [name, group] : series_) n += group.size();
  return n;
}

size_t History::sample_count() const {
  size_t n = 0;
  for (const auto& [name, group] : series_)
    for (const auto& [key, s] : group) n += s.size();
  return n;
}

std::span<const Point> points_in(const History::Series& s, std::int64_t from, std::int64_t to) {
  auto v = s.view();
  auto lo = std::lower_bound(v.begin(), v.end(), from, [](const Point& p, std::int64_t t) { return p.t < t; });
  auto hi = std::upper_bound(lo, v.end(), to, [](std::int64_t t, const Point& p) { return t < p.t; });
  return v.subspan(static_cast<size_t>(lo - v.begin()), static_cast<size_t>(hi - lo));
}

const Point* instant_point(const History::Series& s, std::int64_t t) {
  auto pts = points_in(s, t - kLookbackMs, t);
  if (pts.empty()) return nullptr;
  const Point* p = &pts.back();
  // A staleness marker in (p.t, t] hides it.
  auto it = std::upper_bound(s.stale.begin(), s.stale.end(), p->t);
  if (it != s.stale.end() && *it <= t) return nullptr;
  return p;
}

}  // namespace pgw::promql
