#include "exporter/config_source.h"

#include "alerts/rule_engine.h"

namespace pgw {

LoadResult load_config(const std::string& path) {
  LoadResult r;
  if (path.empty()) r.config = config_from_environment();
  else r = load_config_file(path);
  if (!r.config) return r;
  auto rule_errors = validate_rules(*r.config);
  if (!rule_errors.empty()) {
    r.errors = std::move(rule_errors);
    r.config.reset();
  }
  return r;
}

}  // namespace pgw
