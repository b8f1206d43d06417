// Reading the configuration: TOML → core/config.h's Config, validated
// strictly (unknown keys, wrong types and bad values are errors naming
// file:line:col, with a hint). Every command loads through load_config(), so
// every command rejects the same bad configs; the other functions are its
// stages, public for tests and the fuzz target.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"

namespace pgw {

struct LoadResult {
  std::optional<Config> config;               // set when errors is empty
  std::vector<ConfigError> errors;
};

// The entry point: a TOML file, or (empty path) one node from the libpq
// environment; refuses a file others may read or write; validates the rules.
// Never throws; never includes secret values in errors.
LoadResult load_config(const std::string& path);

// Stages of load_config, without the access check and rule validation.
LoadResult load_config_file(const std::string& path);
// Same for an in-memory document; `name` is used as the file in positions.
LoadResult load_config_string(const std::string& toml, const std::string& name);
// A config for one node described by the libpq environment (PGHOST, PGPORT...).
Config config_from_environment();

}  // namespace pgw
