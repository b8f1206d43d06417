// The functions over range vectors (rate, deriv, *_over_time, ...) on the
// points of one series, with Prometheus 2.x's arithmetic: extrapolation
// limits, counter resets, least squares, NaN handling.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alerts/promql_series_set.h"

namespace pgw::promql {

// rate (counter, per second), increase (counter) and delta (gauge) over
// the range [start, end] (milliseconds) of `range_seconds`.
std::optional<double> extrapolated_rate(std::span<const Point> pts, std::int64_t start, std::int64_t end,
                                        double range_seconds, bool counter, bool per_second);
// irate (per second, counter) and idelta: from the last two points.
std::optional<double> instant_value(std::span<const Point> pts, bool per_second);
// Least-squares slope and intercept at `intercept_time` (ms).
std::pair<double, double> linear_regression(std::span<const Point> pts, std::int64_t intercept_time);

// Whether `f` is one of the functions this file implements.
bool is_range_function(const std::string& f);
// The value of range function `f` (not rate/irate/..., see above) on a
// non-empty series; `param` is quantile_over_time's q or predict_linear's
// seconds, `t` the evaluation time in ms. nullopt: no output for the series.
std::optional<double> over_time(const std::string& f, std::span<const Point> pts, double param, std::int64_t t);

// Prometheus' quantile(): linear interpolation between closest ranks.
double quantile(double q, std::vector<double> values);

}  // namespace pgw::promql
