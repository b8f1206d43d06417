// Loads the configuration the CLI was given: a TOML file, or (no -c) one
// node from the libpq environment. Includes rule validation, so every
// command rejects the same bad configs.
#pragma once

#include <string>

#include "exporter/config.h"

namespace pgw {

LoadResult load_config(const std::string& path);

}  // namespace pgw
