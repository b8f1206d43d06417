// Fuzzes the parser of etcd's GET /health body and the URL endpoint label.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checks/etcd_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  pgw::parse_etcd_health(input);
  pgw::endpoint_label(input);
  return 0;
}
