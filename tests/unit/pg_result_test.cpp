#include <gtest/gtest.h>

#include "checks/pg_client.h"

namespace pgw {
namespace {

PgResult sample_result() {
  PgResult r;
  r.columns = {"n", "flag", "txt", "nul"};
  r.rows.push_back({"12.5", "t", "hello", std::nullopt});
  r.rows.push_back({"-3", "f", "", std::nullopt});
  r.rows.push_back({"1e3", "x", "7abc", "0"});
  return r;
}

TEST(PgResult, ColumnLookup) {
  auto r = sample_result();
  EXPECT_EQ(r.column("n"), 0u);
  EXPECT_EQ(r.column("nul"), 3u);
  try {
    r.column("nope");
    FAIL();
  } catch (const PgError& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

TEST(PgResult, NumbersBooleansAndNulls) {
  auto r = sample_result();
  EXPECT_EQ(r.number(0, "n"), 12.5);
  EXPECT_EQ(r.number(1, "n"), -3.0);
  EXPECT_EQ(r.number(2, "n"), 1000.0);
  EXPECT_EQ(r.number(0, "flag"), 1.0);
  EXPECT_EQ(r.number(1, "flag"), 0.0);
  EXPECT_EQ(r.number(2, "flag"), std::nullopt);
  EXPECT_EQ(r.number(2, "txt"), std::nullopt);  // trailing garbage
  EXPECT_EQ(r.number(1, "txt"), std::nullopt);  // empty
  EXPECT_EQ(r.number(0, "nul"), std::nullopt);
  EXPECT_EQ(r.number(2, "nul"), 0.0);
}

TEST(PgResult, TextAndNullness) {
  auto r = sample_result();
  EXPECT_EQ(r.text(0, "txt"), "hello");
  EXPECT_EQ(r.text(0, "nul"), "");
  EXPECT_TRUE(r.is_null(0, "nul"));
  EXPECT_FALSE(r.is_null(1, "txt"));
  EXPECT_EQ(r.size(), 3u);
  EXPECT_FALSE(r.empty());
  EXPECT_THROW(r.text(3, "txt"), std::out_of_range);
}

}  // namespace
}  // namespace pgw
