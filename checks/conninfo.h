// Validation of a libpq conninfo string for the config loader, with libpq's
// own parser, so pgwarden accepts exactly what libpq accepts.
#pragma once

#include <optional>
#include <string>

namespace pgw {

// Returns an error message (without any secret) or nullopt when valid. Also
// rejects a conninfo holding a password.
std::optional<std::string> check_conninfo(const std::string& conninfo);

}  // namespace pgw
