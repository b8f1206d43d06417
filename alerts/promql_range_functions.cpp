#include "alerts/promql_range_functions.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pgw::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double changes(std::span<const Point> pts) {
  double n = 0;
  double prev = pts[0].v;
  for (size_t i = 1; i < pts.size(); ++i) {
    double cur = pts[i].v;
    if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) ++n;
    prev = cur;
  }
  return n;
}

double resets(std::span<const Point> pts) {
  double n = 0;
  for (size_t i = 1; i < pts.size(); ++i)
    if (pts[i].v < pts[i - 1].v) ++n;
  return n;
}

double avg(std::span<const Point> pts) {
  double mean = 0, count = 0;
  for (const Point& p : pts) {
    ++count;
    // An infinite mean stays as it is (Inf - Inf would give NaN).
    if (std::isinf(mean)) {
      if (std::isinf(p.v) && (mean > 0) == (p.v > 0)) continue;
      if (!std::isinf(p.v) && !std::isnan(p.v)) continue;
    }
    mean += p.v / count - mean / count;
  }
  return mean;
}

double variance(std::span<const Point> pts) {
  double count = 0, mean = 0, aux = 0;
  for (const Point& p : pts) {
    ++count;
    double delta = p.v - mean;
    mean += delta / count;
    aux += delta * (p.v - mean);
  }
  return aux / count;
}

}  // namespace

std::optional<double> extrapolated_rate(std::span<const Point> pts, std::int64_t start, std::int64_t end,
                                        double range_seconds, bool counter, bool per_second) {
  if (pts.size() < 2) return std::nullopt;
  const Point& first = pts.front();
  const Point& last = pts.back();
  double result = last.v - first.v;
  if (counter) {
    // Each reset adds the value before it: the counter restarted from zero.
    double prev = 0;
    for (const Point& p : pts) {
      if (p.v < prev) result += prev;
      prev = p.v;
    }
  }
  double to_start = static_cast<double>(first.t - start) / 1000;
  double to_end = static_cast<double>(end - last.t) / 1000;
  double sampled = static_cast<double>(last.t - first.t) / 1000;
  double average_gap = sampled / static_cast<double>(pts.size() - 1);
  if (counter && result > 0 && first.v >= 0) {
    // A counter does not go below zero: extrapolate at most to where it would be 0.
    double to_zero = sampled * (first.v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  // Extrapolate to the range's edge when the data reaches close to it,
  // otherwise only half a sample interval.
  double threshold = average_gap * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : average_gap / 2;
  interval += to_end < threshold ? to_end : average_gap / 2;
  result = result * (interval / sampled);
  if (per_second) result /= range_seconds;
  return result;
}

std::optional<double> instant_value(std::span<const Point> pts, bool per_second) {
  if (pts.size() < 2) return std::nullopt;
  const Point& last = pts[pts.size() - 1];
  const Point& prev = pts[pts.size() - 2];
  double result = per_second && last.v < prev.v ? last.v : last.v - prev.v;  // irate sees a reset
  std::int64_t interval = last.t - prev.t;
  if (interval == 0) return std::nullopt;
  if (per_second) result /= static_cast<double>(interval) / 1000;
  return result;
}

std::pair<double, double> linear_regression(std::span<const Point> pts, std::int64_t intercept_time) {
  double n = 0, sum_x = 0, sum_y = 0, sum_xy = 0, sum_x2 = 0;
  double init_y = pts[0].v;
  bool const_y = true;
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point& p = pts[i];
    if (const_y && i > 0 && p.v != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(p.t - intercept_time) / 1e3;
    sum_x += x;
    sum_y += p.v;
    sum_xy += x * p.v;
    sum_x2 += x * x;
  }
  if (const_y) {
    if (std::isinf(init_y)) return {kNaN, kNaN};
    return {0, init_y};
  }
  double cov_xy = sum_xy - sum_x * sum_y / n;
  double var_x = sum_x2 - sum_x * sum_x / n;
  double slope = cov_xy / var_x;
  double intercept = sum_y / n - slope * sum_x / n;
  return {slope, intercept};
}

bool is_range_function(const std::string& f) {
  static const char* const names[] = {
      "rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear", "changes", "resets",
      "absent_over_time", "present_over_time", "avg_over_time", "min_over_time", "max_over_time",
      "sum_over_time", "count_over_time", "last_over_time", "stddev_over_time", "stdvar_over_time",
      "quantile_over_time"};
  return std::find(std::begin(names), std::end(names), f) != std::end(names);
}

std::optional<double> over_time(const std::string& f, std::span<const Point> pts, double param, std::int64_t t) {
  if (f == "deriv") {
    if (pts.size() < 2) return std::nullopt;
    return linear_regression(pts, pts[0].t).first;
  }
  if (f == "predict_linear") {
    if (pts.size() < 2) return std::nullopt;
    auto [slope, intercept] = linear_regression(pts, t);
    return slope * param + intercept;
  }
  if (f == "changes") return changes(pts);
  if (f == "resets") return resets(pts);
  if (f == "present_over_time") return 1.0;
  if (f == "count_over_time") return static_cast<double>(pts.size());
  if (f == "last_over_time") return pts.back().v;
  if (f == "avg_over_time") return avg(pts);
  if (f == "stdvar_over_time") return variance(pts);
  if (f == "stddev_over_time") return std::sqrt(variance(pts));
  if (f == "sum_over_time") {
    double sum = 0;
    for (const Point& p : pts) sum += p.v;
    return sum;
  }
  if (f == "min_over_time" || f == "max_over_time") {
    bool is_min = f == "min_over_time";
    double m = pts[0].v;
    for (const Point& p : pts)
      if ((is_min ? p.v < m : p.v > m) || std::isnan(m)) m = p.v;
    return m;
  }
  if (f == "quantile_over_time") {
    std::vector<double> values;
    values.reserve(pts.size());
    for (const Point& p : pts) values.push_back(p.v);
    return quantile(param, std::move(values));
  }
  return std::nullopt;
}

double quantile(double q, std::vector<double> values) {
  if (values.empty()) return kNaN;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(values.begin(), values.end(), [](double a, double b) { return (std::isnan(a) && !std::isnan(b)) || a < b; });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) + values[static_cast<size_t>(upper)] * weight;
}

}  // namespace pgw::promql
