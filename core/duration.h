// Prometheus-style durations: "30s", "5m", "1h30m", "250ms", "1d", "1w", "1y".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pgw {

using Duration = std::chrono::milliseconds;

// Parses a Prometheus duration. Units must appear in decreasing order
// (y w d h m s ms), each at most once, as Prometheus requires. "0" is valid.
std::optional<Duration> parse_duration(std::string_view text);

// Formats the shortest Prometheus form: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(Duration d);

// The bound on every duration pgwarden accepts (config, rules, Retry-After).
// 100 years. Any time point plus or minus it stays far inside the clocks'
// range (system_clock counts nanoseconds in 64 bits: about 292 years).
inline constexpr Duration kMaxDuration = Duration(100LL * 365 * 24 * 3600 * 1000);

// parse_duration() (which refuses the same), with the reason in `error`:
// bad syntax, or "is longer than 100y (the longest duration accepted)".
std::optional<Duration> parse_duration(std::string_view text, std::string* error);

}  // namespace pgw
