// Prometheus-style durations: what parse_duration accepts and rejects, and
// that format_duration writes the shortest form that parses back.
#include <gtest/gtest.h>

#include "core/duration.h"

namespace pgw {
namespace {

TEST(ParseDuration, AcceptsPrometheusForms) {
  EXPECT_EQ(parse_duration("0"), Duration(0));
  EXPECT_EQ(parse_duration("0s"), Duration(0));
  EXPECT_EQ(parse_duration("250ms"), Duration(250));
  EXPECT_EQ(parse_duration("30s"), Duration(30000));
  EXPECT_EQ(parse_duration("5m"), Duration(300000));
  EXPECT_EQ(parse_duration("1h30m"), Duration(5400000));
  EXPECT_EQ(parse_duration("1d"), Duration(86400000));
  EXPECT_EQ(parse_duration("1w"), Duration(7LL * 86400000));
  EXPECT_EQ(parse_duration("1y"), Duration(365LL * 86400000));
  EXPECT_EQ(parse_duration("1h1m1s1ms"), Duration(3661001));
  EXPECT_EQ(parse_duration("90s"), Duration(90000));  // units need not be normalised
}

TEST(ParseDuration, RejectsEverythingElse) {
  for (const char* bad : {"", "5", "5x", "s", "-5s", "5 s", "1.5h", "5m1h", "1s1s", "1ms1s",
                          "5S", "1h 30m", " 5s", "5s ", "ms", "1mss"})
    EXPECT_EQ(parse_duration(bad), std::nullopt) << '"' << bad << '"';
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_EQ(parse_duration("99999999999999999999y"), std::nullopt);
}

TEST(FormatDuration, ShortestForm) {
  EXPECT_EQ(format_duration(Duration(0)), "0s");
  EXPECT_EQ(format_duration(Duration(250)), "250ms");
  EXPECT_EQ(format_duration(Duration(1000)), "1s");
  EXPECT_EQ(format_duration(Duration(90000)), "1m30s");
  EXPECT_EQ(format_duration(Duration(5400000)), "1h30m");
  EXPECT_EQ(format_duration(Duration(26LL * 3600000)), "1d2h");
  EXPECT_EQ(format_duration(Duration(7LL * 86400000)), "1w");
  EXPECT_EQ(format_duration(Duration(3661001)), "1h1m1s1ms");
}

TEST(FormatDuration, RoundTrips) {
  for (long long ms : {1LL, 999LL, 1001LL, 59999LL, 3600000LL, 86399999LL, 400LL * 86400000})
    EXPECT_EQ(parse_duration(format_duration(Duration(ms))), Duration(ms)) << ms;
}

TEST(ParseDuration, IsBoundedWithAClearErrorAndNeverOverflows) {
  EXPECT_EQ(parse_duration("100y"), kMaxDuration);
  std::string why;
  EXPECT_EQ(parse_duration("101y", &why), std::nullopt);
  EXPECT_NE(why.find("longer than 100y"), std::string::npos) << why;
  // Each of these overflowed int64 milliseconds before (n * unit unchecked).
  for (const char* s : {"1099511627776y", "99999999999999999999999s", "25000000000w", "99y99999999999d",
                        "9223372036854775807ms"}) {
    why.clear();
    EXPECT_EQ(parse_duration(s, &why), std::nullopt) << s;
    EXPECT_NE(why.find("longer than"), std::string::npos) << s << ": " << why;
  }
  why.clear();
  EXPECT_EQ(parse_duration("999999999999y5x", &why), std::nullopt);
  EXPECT_NE(why.find("not a duration"), std::string::npos) << why;
}

}  // namespace
}  // namespace pgw
