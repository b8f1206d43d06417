// Process-wide logging on spdlog: one line per event on stderr,
// "time level message". Callers must never pass secrets (passwords, URLs of
// receivers, keys) to the logger.
#pragma once

#include <string>

namespace pgw {

// Sets the default logger's level: debug | info | warn | error.
// Returns false (and keeps "info") for an unknown level.
bool setup_logging(const std::string& level);

}  // namespace pgw
