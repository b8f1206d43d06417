// Time as text, in the one format every JSON output uses (Alertmanager's).
#pragma once

#include <chrono>
#include <string>

namespace pgw {

// RFC 3339 UTC with milliseconds: "2026-11-23T17:27:15.123Z". Times before
// the epoch round toward the past, as Go's formatting does.
std::string rfc3339_ms(std::chrono::system_clock::time_point t);

}  // namespace pgw
