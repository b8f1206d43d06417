// Fuzzes the parsers of the embedding service's /health, /embed and /stats bodies.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checks/embedder_response.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  pgw::parse_embedder_health(body).healthy();
  pgw::parse_embed_response(body);
  pgw::parse_embedder_stats(body);
  return 0;
}
