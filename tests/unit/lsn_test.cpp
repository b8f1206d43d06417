#include "checks/lsn.h"

#include <gtest/gtest.h>

namespace pgw {
namespace {

TEST(Lsn, ParsesBothHalves) {
  EXPECT_EQ(parse_lsn("0/0"), 0u);
  EXPECT_EQ(parse_lsn("0/3000060"), 0x3000060u);
  EXPECT_EQ(parse_lsn("16/B374D848"), (uint64_t{0x16} << 32) | 0xB374D848u);
  EXPECT_EQ(parse_lsn("16/b374d848"), (uint64_t{0x16} << 32) | 0xB374D848u);
  EXPECT_EQ(parse_lsn("FFFFFFFF/FFFFFFFF"), UINT64_MAX);
}

TEST(Lsn, RejectsMalformed) {
  for (const char* bad : {"", "/", "0/", "/0", "16B374D848", "1/2/3", "G/0", "0/-1", " 0/1",
                          "0/1 ", "123456789/0", "0/123456789", "0x1/0"})
    EXPECT_EQ(parse_lsn(bad), std::nullopt) << bad;
}

TEST(Lsn, DiffClampsAtZero) {
  EXPECT_EQ(lsn_diff_bytes(100, 40), 60.0);
  EXPECT_EQ(lsn_diff_bytes(40, 100), 0.0);
  EXPECT_EQ(lsn_diff_bytes(7, 7), 0.0);
}

}  // namespace
}  // namespace pgw
