// Fuzzes the parsers of Patroni's GET /patroni and GET /cluster bodies.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checks/patroni_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  pgw::parse_patroni_status(body);
  auto cluster = pgw::parse_patroni_cluster(body);
  cluster.has_leader();
  for (const auto& m : cluster.members) pgw::is_leader_role(m.role);
  return 0;
}
