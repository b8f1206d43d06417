// Fuzzes the config loader as `pgwarden validate` runs it: TOML text ->
// strict section readers -> rule expression and template validation.
// Relative *_file paths resolve against the working directory; the loader
// only reads such files, it never writes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "alerts/rule_engine.h"
#include "core/config.h"
#include "exporter/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto r = pgw::load_config_string(text, "fuzz.toml");
  for (const auto& e : r.errors) e.str();
  if (r.config) pgw::validate_rules(*r.config);
  return 0;
}
