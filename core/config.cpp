#include "core/config.h"

#include <string>

namespace pgw {

std::string SourcePos::str() const {
  // Errors about the file as a whole (unreadable) have no line.
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string ConfigError::str() const { return pos.str() + ": " + message; }

const char* role_name(Role r) {
  switch (r) {
    case Role::Primary: return "primary";
    case Role::Standby: return "standby";
    case Role::Client: return "client";
    case Role::Auto: return "auto";
  }
  return "primary";
}

}  // namespace pgw
