// Time as text, in the one format every JSON output uses (Alertmanager's).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace pgw {

// RFC 3339 UTC with milliseconds: "2026-11-23T17:27:15.123Z". Times before
// the epoch round toward the past, as Go's formatting does.
std::string rfc3339_ms(std::chrono::system_clock::time_point t);

// Parses RFC 3339 ("2026-11-23T17:27:15Z", "...15.123456789+01:00"), as Go
// clients such as amtool send it. Sub-millisecond digits are truncated.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text);

}  // namespace pgw
