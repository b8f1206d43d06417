// Turning a table name from the config into SQL without interpolating raw
// text: only plain identifiers are accepted, and they are double-quoted.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pgw {

// "table" or "schema.table", each part [A-Za-z_][A-Za-z0-9_$]* of at most 63
// bytes -> "\"table\"" / "\"schema\".\"table\"" (taken as written, so
// case-sensitive), or nullopt when the name is anything else.
std::optional<std::string> quote_table_name(std::string_view name);

}  // namespace pgw
