// Pure parsers of the embedding service's HTTP bodies (GET /health,
// POST /embed, GET /stats). They never throw: a body that is not what the
// service should send yields a result whose `error` says why.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pgw {

struct EmbedderHealth {
  std::string status;                 // e.g. "healthy", "degraded"
  std::optional<bool> model_loaded;
  std::string error;                  // empty when the body parsed
  bool healthy() const { return error.empty() && status == "healthy"; }
};

struct EmbedResult {
  size_t dimension = 0;               // length of "embedding"
  bool all_finite = false;            // every element is a finite number
  std::optional<bool> cached;
  std::string error;                  // empty when the body parsed
};

struct EmbedderStats {
  std::optional<double> cache_size;   // absent when the service does not say
  std::string error;
};

EmbedderHealth parse_embedder_health(std::string_view body);
EmbedResult parse_embed_response(std::string_view body);
EmbedderStats parse_embedder_stats(std::string_view body);

// The JSON body of an /embed request for `text` (escaped properly).
std::string embed_request_body(const std::string& text);

}  // namespace pgw
