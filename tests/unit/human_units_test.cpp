// The words the status page and `check --format text` use for quantities.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "exporter/human_units.h"

namespace pgw {
namespace {

TEST(HumanUnits, Durations) {
  EXPECT_EQ(duration_words(0), "0 s");
  EXPECT_EQ(duration_words(45.4), "45 s");
  EXPECT_EQ(duration_words(12 * 60 + 59), "12 min");
  EXPECT_EQ(duration_words(3 * 3600 + 5 * 60), "3 h 5 min");
  EXPECT_EQ(duration_words(4 * 86400 + 1), "4 d");
  EXPECT_EQ(duration_words(-3), "0 s");
  EXPECT_EQ(duration_words(std::nan("")), "0 s");
  EXPECT_EQ(duration_words(std::numeric_limits<double>::infinity()), "0 s");
}

TEST(HumanUnits, Bytes) {
  EXPECT_EQ(bytes_words(0), "0 B");
  EXPECT_EQ(bytes_words(512), "512 B");
  EXPECT_EQ(bytes_words(1536 * 1024), "1.5 MiB");
  EXPECT_EQ(bytes_words(5.0 * 1024 * 1024 * 1024 * 1024 * 1024), "5120.0 TiB");
}

}  // namespace
}  // namespace pgw
