// Paths in the config and the secret files they name (internal to the config
// loader). Relative paths are relative to the config file's directory.
// Secret contents are read at load time and never appear in messages.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "exporter/config_reader.h"

namespace pgw::config_detail {

// Directory that relative paths in the config are resolved against.
struct PathBase {
  std::filesystem::path dir;  // empty: leave relative paths as they are
  std::string resolve(const std::string& path) const;
};

// What to do with the file a `*_file` key names.
enum class SecretUse {
  Read,         // read its contents (trailing newlines trimmed)
  CheckAccess,  // only check that it is readable and private (e.g. an SSH key)
};

// Empty when `mode` gives others (neither owner nor group) no access;
// otherwise what is wrong with `path`, its mode and the fix. Group access is
// allowed (a root:pgwarden 0640 file under systemd).
std::string others_access_problem(const std::string& path, unsigned mode);

// Reads `key` (a path) from `r`, resolves it into `path_out` and, for
// SecretUse::Read, its contents into `secret_out`. Reports a missing or
// unreadable file, an empty one, and one others may read or write.
// Returns true when everything succeeded.
bool read_secret_file(TableReader& r, std::string_view key, const PathBase& base,
                      std::string& path_out, std::string* secret_out,
                      SecretUse use = SecretUse::Read);

}  // namespace pgw::config_detail
