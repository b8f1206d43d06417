#include "checks/embedder_response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pgw {
namespace {

std::string vector_body(size_t n, const std::string& element = "0.125") {
  std::string s = R"({"embedding":[)";
  for (size_t i = 0; i < n; ++i) s += (i ? "," : "") + element;
  return s + R"(],"cached":false})";
}

TEST(EmbedderHealth, ServiceApi) {
  auto h = parse_embedder_health(R"({"status":"healthy","metal_available":true,"model_loaded":true})");
  EXPECT_EQ(h.error, "");
  EXPECT_TRUE(h.healthy());
  EXPECT_EQ(h.model_loaded, true);
  auto d = parse_embedder_health(R"({"status":"degraded","model_loaded":false})");
  EXPECT_EQ(d.error, "");
  EXPECT_FALSE(d.healthy());
  EXPECT_EQ(d.status, "degraded");
}

TEST(EmbedderHealth, GarbageIsNotHealthy) {
  for (const char* body : {"", "{", "healthy", "[\"healthy\"]", R"({"status":true})", R"({"state":"healthy"})",
                           R"({"status":"healthy")"}) {
    auto h = parse_embedder_health(body);
    EXPECT_FALSE(h.healthy()) << body;
    EXPECT_NE(h.error, "") << body;
  }
}

TEST(EmbedResponse, Dimension768) {
  auto r = parse_embed_response(vector_body(768));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.dimension, 768u);
  EXPECT_TRUE(r.all_finite);
  EXPECT_EQ(r.cached, false);
}

TEST(EmbedResponse, NonFiniteOrNonNumbers) {
  // Python's json module writes NaN/Infinity, which is not JSON at all.
  EXPECT_NE(parse_embed_response(vector_body(3, "NaN")).error, "");
  EXPECT_NE(parse_embed_response(vector_body(3, "Infinity")).error, "");
  auto overflow = parse_embed_response(vector_body(3, "1e999"));
  EXPECT_TRUE(overflow.error != "" || !overflow.all_finite);
  auto strings = parse_embed_response(vector_body(3, "\"0.1\""));
  EXPECT_EQ(strings.error, "");
  EXPECT_FALSE(strings.all_finite);
  auto nulls = parse_embed_response(vector_body(3, "null"));
  EXPECT_FALSE(nulls.all_finite);
}

TEST(EmbedResponse, EmptyVector) {
  auto r = parse_embed_response(R"({"embedding":[]})");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.dimension, 0u);
}

TEST(EmbedResponse, Garbage) {
  for (const char* body : {"", "not json", R"({"embedding":"0.1,0.2"})", R"({"vector":[0.1]})", "[0.1,0.2]",
                           R"({"embedding":[0.1,)"}) {
    EXPECT_NE(parse_embed_response(body).error, "") << body;
  }
  std::string deep(100000, '[');
  EXPECT_NE(parse_embed_response(deep).error, "");
}

TEST(EmbedderStats, CacheSize) {
  EXPECT_EQ(parse_embedder_stats(R"({"cache_size":42,"hits":3})").cache_size, 42);
  EXPECT_FALSE(parse_embedder_stats(R"({"hits":3})").cache_size.has_value());
  EXPECT_FALSE(parse_embedder_stats(R"({"cache_size":"42"})").cache_size.has_value());
  EXPECT_NE(parse_embedder_stats("oops").error, "");
}

TEST(EmbedRequestBody, EscapesText) {
  auto doc = nlohmann::json::parse(embed_request_body("a \"quoted\"\nline\\"));
  EXPECT_EQ(doc["text"], "a \"quoted\"\nline\\");
  // Invalid UTF-8 must not throw out of the check.
  auto bad = nlohmann::json::parse(embed_request_body(std::string("ab\xff", 3)));
  EXPECT_TRUE(bad["text"].is_string());
}

}  // namespace
}  // namespace pgw
