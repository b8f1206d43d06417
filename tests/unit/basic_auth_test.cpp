// Basic auth: the scheme name is case-insensitive (RFC 9110 11.1), and a
// wrong scheme or password is refused.
#include <gtest/gtest.h>

#include "exporter/basic_auth.h"

namespace pgw {
namespace {

TEST(BasicAuthScheme, IsCaseInsensitive) {
  BasicAuth auth;
  ASSERT_FALSE(BasicAuth::parse("prom:secret", auth));
  // base64("prom:secret") = cHJvbTpzZWNyZXQ=
  EXPECT_TRUE(auth.allows("Basic cHJvbTpzZWNyZXQ="));
  EXPECT_TRUE(auth.allows("basic cHJvbTpzZWNyZXQ="));
  EXPECT_TRUE(auth.allows("BASIC  cHJvbTpzZWNyZXQ="));
  EXPECT_FALSE(auth.allows("Bearer cHJvbTpzZWNyZXQ="));
  EXPECT_FALSE(auth.allows("Basicx cHJvbTpzZWNyZXQ="));
  EXPECT_FALSE(auth.allows("basic cHJvbTp3cm9uZw=="));
  EXPECT_FALSE(auth.allows(nullptr));
  EXPECT_FALSE(auth.allows(""));
}

}  // namespace
}  // namespace pgw
