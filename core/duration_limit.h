// The bound on every duration pgwarden accepts (config, rules, Retry-After),
// and the parser that says why it refused one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/duration.h"

namespace pgw {

// 100 years. Any time point plus or minus it stays far inside the clocks'
// range (system_clock counts nanoseconds in 64 bits: about 292 years).
inline constexpr Duration kMaxDuration = Duration(100LL * 365 * 24 * 3600 * 1000);

// parse_duration() (which refuses the same), with the reason in `error`:
// bad syntax, or "is longer than 100y (the longest duration accepted)".
std::optional<Duration> parse_duration(std::string_view text, std::string* error);

}  // namespace pgw
