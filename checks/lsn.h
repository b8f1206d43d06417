// PostgreSQL WAL positions ("16/B374D848": two hex halves of a 64-bit byte
// offset) as plain byte counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pgw {

// Parses an LSN in PostgreSQL's text form; nullopt when malformed.
std::optional<uint64_t> parse_lsn(std::string_view text);

// a - b as a double, clamped at 0 (a standby is never "ahead" for our metrics).
double lsn_diff_bytes(uint64_t a, uint64_t b);

}  // namespace pgw
