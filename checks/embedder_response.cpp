#include "checks/embedder_response.h"

#include "core/json_text.h"

#include <cmath>
#include <exception>

#include <nlohmann/json.hpp>

#include "checks/json_body.h"

namespace pgw {

using nlohmann::json;

EmbedderHealth parse_embedder_health(std::string_view body) {
  EmbedderHealth h;
  auto doc = parse_json_object(body, h.error);
  if (!doc) return h;
  auto status = doc->find("status");
  if (status == doc->end() || !status->is_string()) {
    h.error = "\"status\" is missing or not a string";
    return h;
  }
  h.status = status->get<std::string>();
  if (auto m = doc->find("model_loaded"); m != doc->end() && m->is_boolean())
    h.model_loaded = m->get<bool>();
  return h;
}

EmbedResult parse_embed_response(std::string_view body) {
  EmbedResult r;
  auto doc = parse_json_object(body, r.error);
  if (!doc) return r;
  auto emb = doc->find("embedding");
  if (emb == doc->end() || !emb->is_array()) {
    r.error = "\"embedding\" is missing or not an array";
    return r;
  }
  r.dimension = emb->size();
  r.all_finite = true;
  for (const auto& v : *emb) {
    if (!v.is_number() || !std::isfinite(v.get<double>())) {
      r.all_finite = false;
      break;
    }
  }
  if (auto c = doc->find("cached"); c != doc->end() && c->is_boolean()) r.cached = c->get<bool>();
  return r;
}

EmbedderStats parse_embedder_stats(std::string_view body) {
  EmbedderStats s;
  auto doc = parse_json_object(body, s.error);
  if (!doc) return s;
  auto n = doc->find("cache_size");
  if (n != doc->end() && n->is_number() && std::isfinite(n->get<double>()))
    s.cache_size = n->get<double>();
  return s;
}

std::string embed_request_body(const std::string& text) {
  // Invalid UTF-8 in the probe text is replaced rather than failing every round.
  return json_text(json{{"text", text}});
}

}  // namespace pgw
