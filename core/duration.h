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

}  // namespace pgw
