#include "checks/etcd_response.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace pgw {
namespace {

TEST(EtcdHealth, Captured3423) {
  std::ifstream in(std::string(PGWARDEN_SOURCE_DIR) + "/tests/fixtures/captured/etcd_3.4.23_health.json");
  ASSERT_TRUE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  auto h = parse_etcd_health(s.str());
  EXPECT_EQ(h.error, "");
  EXPECT_TRUE(h.healthy);
}

TEST(EtcdHealth, Etcd35Forms) {
  auto ok = parse_etcd_health(R"({"health":"true","reason":""})");
  EXPECT_TRUE(ok.healthy);
  EXPECT_EQ(ok.error, "");
  auto bad = parse_etcd_health(R"({"health":"false","reason":"RAFT NO LEADER"})");
  EXPECT_FALSE(bad.healthy);
  EXPECT_EQ(bad.error, "");
  EXPECT_EQ(bad.reason, "RAFT NO LEADER");
}

TEST(EtcdHealth, BooleanHealthAccepted) {
  EXPECT_TRUE(parse_etcd_health(R"({"health":true})").healthy);
  EXPECT_FALSE(parse_etcd_health(R"({"health":false})").healthy);
}

TEST(EtcdHealth, GarbageIsUnhealthyWithError) {
  for (const char* body : {"", "{\"health\":\"tr", "true", "[]", R"({"health":1})", R"({"health":null})",
                           R"({"status":"ok"})", "<html></html>"}) {
    auto h = parse_etcd_health(body);
    EXPECT_FALSE(h.healthy) << body;
    EXPECT_NE(h.error, "") << body;
  }
  EXPECT_FALSE(parse_etcd_health(R"({"health":"TRUE "})").healthy);
}

TEST(EndpointLabel, DropsCredentialsPathQuery) {
  EXPECT_EQ(endpoint_label("http://127.0.0.1:2379"), "http://127.0.0.1:2379");
  EXPECT_EQ(endpoint_label("http://127.0.0.1:2379/"), "http://127.0.0.1:2379");
  EXPECT_EQ(endpoint_label("https://user:s3cret@etcd.example:2379/v3?x=1#f"), "https://etcd.example:2379");
  EXPECT_EQ(endpoint_label("http://a:b@c@host"), "http://host");
  EXPECT_EQ(endpoint_label("http://[::1]:2379/health"), "http://[::1]:2379");
  EXPECT_EQ(endpoint_label("etcd.example:2379"), "etcd.example:2379");
  EXPECT_EQ(endpoint_label(""), "");
}

}  // namespace
}  // namespace pgw
