// /healthz's judgement (issue 13): healthy while rounds complete, 503 once
// none has for three periods, healthy again after the next one.
#include <gtest/gtest.h>

#include "exporter/round_watch.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;

TEST(RoundWatch, UnhealthyAfterThreePeriodsWithoutARound) {
  RoundWatch w;
  auto t = RoundWatch::Clock::now();
  w.start(5s, t);
  EXPECT_TRUE(w.healthy(t + 14s));  // the first round has three periods too
  EXPECT_TRUE(w.healthy(t + 15s));
  EXPECT_FALSE(w.healthy(t + 16s));
  w.completed(t + 16s);
  EXPECT_TRUE(w.healthy(t + 20s));
  EXPECT_FALSE(w.healthy(t + 32s));
  w.start(60s, t + 32s);  // a reload with a longer period
  EXPECT_TRUE(w.healthy(t + 200s));
}

}  // namespace
}  // namespace pgw
