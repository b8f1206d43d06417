// Fuzzes the alert template engine: parse, then render with fixed data.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alerts/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const pgw::TemplateData values[] = {
      {{{"alertname", "PgReplicationLagHigh"}, {"cluster", "aya"}, {"node", "aya-2"},
        {"severity", "warning"}, {"path", "/var/lib/postgresql"}},
       12345678.5},
      {{{"node", "aya-1"}}, -0.25},
      {{}, 1e300},
      {{}, NAN},
  };
  try {
    auto t = pgw::Template::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    for (const auto& v : values) {
      try {
        t.render(v);
      } catch (const pgw::TemplateError&) {
      }
    }
  } catch (const pgw::TemplateError&) {
  }
  return 0;
}
