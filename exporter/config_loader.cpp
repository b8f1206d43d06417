#include "exporter/config_loader.h"

#include <sys/stat.h>

#include "alerts/rule_engine.h"
#include "exporter/config_secrets.h"

namespace pgw {
namespace {

// A config names secret files and may hold tokens in URLs: others must not
// read it, nor write it (that would let them point pgwarden anywhere).
// A file that cannot be stat'ed is left to the loader, which reports it.
std::optional<ConfigError> others_access_error(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string problem = config_detail::others_access_problem(path, st.st_mode);
  if (problem.empty()) return std::nullopt;
  return ConfigError{SourcePos{path, 0, 0}, "the config file " + problem};
}

}  // namespace

LoadResult load_config(const std::string& path) {
  LoadResult r;
  if (path.empty()) {
    r.config = config_from_environment();
  } else if (auto err = others_access_error(path)) {
    r.errors.push_back(std::move(*err));
    return r;
  } else {
    r = load_config_file(path);
  }
  if (!r.config) return r;
  auto rule_errors = validate_rules(*r.config);
  if (!rule_errors.empty()) {
    r.errors = std::move(rule_errors);
    r.config.reset();
  }
  return r;
}

}  // namespace pgw
