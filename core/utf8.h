// UTF-8 at the boundary: every string that enters pgwarden from outside (a
// database row, an HTTP body, a config value, a PromQL escape, a template's
// output) is made valid UTF-8 where it enters, so nothing downstream (JSON,
// the text exposition format, receiver payloads, the outbox) can fail on it.
#pragma once

#include <string>
#include <string_view>

namespace pgw {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

// `s` with every ill-formed sequence replaced by U+FFFD (one per maximal
// ill-formed subpart, as the Unicode standard recommends and as Go, and so
// Prometheus, do). Valid input is returned unchanged.
std::string to_valid_utf8(std::string_view s);

// In place; cheap when `s` is already valid (one scan, no allocation).
void make_valid_utf8(std::string& s);

// The longest prefix of `s` no longer than `max_bytes` that does not end in
// the middle of a character (for truncating text without creating bytes
// that are not UTF-8).
std::string_view utf8_prefix(std::string_view s, size_t max_bytes);

}  // namespace pgw
