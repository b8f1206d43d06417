// The status page's lag graph: a self-contained <svg> that is well-formed
// XML whatever it is given (no points, one, gaps, NaN/Inf, constants, huge
// values, a hostile title), with min/max/last in human units.
#include "exporter/lag_sparkline.h"
#include "exporter/human_units.h"

#include <cmath>
#include <limits>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/fixtures/xml_wellformed.h"

namespace pgw {
namespace {

constexpr std::int64_t kHour = 3600 * 1000;

Sparkline hour(std::vector<SparkPoint> points, SparkUnit unit = SparkUnit::Bytes) {
  Sparkline s;
  s.from_ms = 10 * kHour;
  s.to_ms = 11 * kHour;
  s.points = std::move(points);
  s.unit = unit;
  s.title = "beta: lag";
  return s;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

// Every "x,y" of every polyline and every circle centre.
std::vector<std::pair<double, double>> coordinates(const std::string& svg) {
  std::vector<std::pair<double, double>> out;
  std::smatch m;
  std::regex poly(" points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), poly); it != std::sregex_iterator(); ++it) {
    std::string pts = (*it)[1];
    std::regex pair("(-?[0-9.naife]+),(-?[0-9.naife]+)");
    for (auto p = std::sregex_iterator(pts.begin(), pts.end(), pair); p != std::sregex_iterator(); ++p)
      out.emplace_back(std::stod((*p)[1]), std::stod((*p)[2]));
  }
  std::regex circle("cx=\"([^\"]*)\" cy=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), circle); it != std::sregex_iterator(); ++it)
    out.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  return out;
}

void expect_well_formed_and_inert(const std::string& svg) {
  EXPECT_EQ(test::xml_wellformed_error(svg), "") << svg;
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << svg;
  for (const char* banned : {"<script", "href", "url(", "<image", "<foreignObject", "onload", "javascript:"})
    EXPECT_EQ(svg.find(banned), std::string::npos) << banned << " in " << svg;
}

TEST(LagSparkline, NoPointsSaysNoData) {
  std::string svg = render_sparkline(hour({}));
  expect_well_formed_and_inert(svg);
  EXPECT_NE(svg.find("data-points=\"0\""), std::string::npos);
  EXPECT_NE(svg.find(">no data<"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 0u);
  EXPECT_EQ(svg.find("class=\"last\""), std::string::npos);
}

TEST(LagSparkline, OnePointIsADotWithItsValue) {
  std::string svg = render_sparkline(hour({{10 * kHour + 1000, 1.5 * 1024 * 1024}}));
  expect_well_formed_and_inert(svg);
  EXPECT_NE(svg.find("data-points=\"1\""), std::string::npos);
  EXPECT_EQ(count(svg, "<circle"), 1u);
  EXPECT_EQ(count(svg, "<polyline"), 0u);
  EXPECT_NE(svg.find(">last 1.5 MiB<"), std::string::npos) << svg;
}

TEST(LagSparkline, GrowingLagIsOneLineRisingToTheRight) {
  std::vector<SparkPoint> pts;
  for (int i = 0; i <= 60; ++i) pts.push_back({10 * kHour + i * 60000, 1024.0 * i});
  std::string svg = render_sparkline(hour(pts));
  expect_well_formed_and_inert(svg);
  EXPECT_NE(svg.find("data-points=\"61\""), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 1u);
  auto xy = coordinates(svg);
  ASSERT_EQ(xy.size(), 61u);
  for (size_t i = 1; i < xy.size(); ++i) {
    EXPECT_GT(xy[i].first, xy[i - 1].first);
    EXPECT_LT(xy[i].second, xy[i - 1].second);  // SVG's y grows downwards
  }
  EXPECT_NE(svg.find(">max 60.0 KiB<"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">min 0 B<"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">last 60.0 KiB<"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">-1 h<"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">now<"), std::string::npos) << svg;
}

TEST(LagSparkline, StaleMarkerAndLongGapBreakTheLine) {
  std::vector<SparkPoint> pts = {{10 * kHour + 0, 1},     {10 * kHour + 5000, 2},  // run 1
                                 {10 * kHour + 15000, 3}, {10 * kHour + 20000, 4},  // after a stale marker
                                 {10 * kHour + 900000, 5}, {10 * kHour + 905000, 6}};  // after a long gap
  Sparkline s = hour(pts, SparkUnit::Seconds);
  s.breaks = {10 * kHour + 10000};
  s.max_gap_ms = 30000;
  std::string svg = render_sparkline(s);
  expect_well_formed_and_inert(svg);
  EXPECT_EQ(count(svg, "<polyline"), 3u) << svg;
  EXPECT_NE(svg.find("data-points=\"6\""), std::string::npos);
  // Without the breaks, one line.
  s.breaks.clear();
  s.max_gap_ms = 0;
  EXPECT_EQ(count(render_sparkline(s), "<polyline"), 1u);
}

TEST(LagSparkline, NanAndInfAreNotDrawnAndBreakTheLine) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::vector<SparkPoint> pts = {{10 * kHour + 0, 1},    {10 * kHour + 5000, 2}, {10 * kHour + 10000, nan},
                                 {10 * kHour + 15000, 3}, {10 * kHour + 20000, inf}, {10 * kHour + 25000, -inf},
                                 {10 * kHour + 30000, 4}, {10 * kHour + 35000, 5}};
  std::string svg = render_sparkline(hour(pts));
  expect_well_formed_and_inert(svg);
  EXPECT_NE(svg.find("data-points=\"5\""), std::string::npos) << svg;
  EXPECT_EQ(count(svg, "<polyline"), 2u) << svg;
  EXPECT_EQ(count(svg, "<circle"), 1u) << svg;  // the 3 between NaN and Inf
  EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
  // Only non-finite values: nothing drawn.
  svg = render_sparkline(hour({{10 * kHour, nan}, {10 * kHour + 1, inf}}));
  expect_well_formed_and_inert(svg);
  EXPECT_NE(svg.find("data-points=\"0\""), std::string::npos);
}

TEST(LagSparkline, ConstantValuesDrawAFlatLine) {
  for (double v : {0.0, 42.0, -3.0}) {
    std::vector<SparkPoint> pts;
    for (int i = 0; i < 10; ++i) pts.push_back({10 * kHour + i * 1000, v});
    std::string svg = render_sparkline(hour(pts));
    expect_well_formed_and_inert(svg);
    auto xy = coordinates(svg);
    ASSERT_EQ(xy.size(), 10u) << svg;
    for (const auto& p : xy) EXPECT_EQ(p.second, xy[0].second) << svg;
  }
}

TEST(LagSparkline, HugeValuesStayInsideThePlot) {
  const double big = std::numeric_limits<double>::max();
  std::vector<SparkPoint> pts = {{10 * kHour, -big}, {10 * kHour + 1000, big}, {10 * kHour + 2000, 1e300},
                                 {10 * kHour + 3000, 4.9e-324}};
  std::string svg = render_sparkline(hour(pts));
  expect_well_formed_and_inert(svg);
  auto xy = coordinates(svg);
  ASSERT_EQ(xy.size(), 4u) << svg;
  for (const auto& [x, y] : xy) {
    EXPECT_TRUE(std::isfinite(x) && std::isfinite(y)) << svg;
    EXPECT_GE(y, 0);
    EXPECT_LE(y, 64);
  }
  EXPECT_LT(xy[1].second, xy[0].second);  // max drawn above -max
  EXPECT_NE(svg.find(">min -"), std::string::npos) << svg;
}

TEST(LagSparkline, PointsOutsideTheWindowOrOutOfOrderAreLeftOut) {
  std::string svg = render_sparkline(
      hour({{9 * kHour, 1}, {10 * kHour + 1000, 2}, {10 * kHour + 500, 9}, {10 * kHour + 2000, 3}, {12 * kHour, 4}}));
  expect_well_formed_and_inert(svg);
  EXPECT_NE(svg.find("data-points=\"2\""), std::string::npos) << svg;
  EXPECT_NE(svg.find(">max 3 B<"), std::string::npos) << svg;
}

TEST(LagSparkline, HostileTitleIsEscaped) {
  Sparkline s = hour({{10 * kHour, 1}, {10 * kHour + 1000, 2}});
  s.title = "</title><script>alert(1)</script>&amp;\"'\x01\x7f\xEF\xBF\xBE\xff x";
  std::string svg = render_sparkline(s);
  expect_well_formed_and_inert(svg);
  EXPECT_NE(svg.find("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;&quot;&#39;"),
            std::string::npos)
      << svg;
}

TEST(LagSparkline, XmlEscapeKeepsUtf8AndDropsWhatXmlForbids) {
  EXPECT_EQ(xml_escape("bêta ✓"), "bêta ✓");
  EXPECT_EQ(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(xml_escape(std::string("t\tn\nr\r0\0", 8)), "t\tn\nr\r0\xEF\xBF\xBD");
  EXPECT_EQ(xml_escape("\xEF\xBF\xBF"), "\xEF\xBF\xBD");
  EXPECT_EQ(xml_escape("\xc3"), "\xEF\xBF\xBD");  // ill-formed UTF-8
}

TEST(LagSparkline, HumanUnits) {
  // The page's words (exporter/human_units.h), so the graph and the node table agree.
  EXPECT_EQ(human_value(0, SparkUnit::Bytes), "0 B");
  EXPECT_EQ(human_value(512, SparkUnit::Bytes), "512 B");
  EXPECT_EQ(human_value(1536, SparkUnit::Bytes), "1.5 KiB");
  EXPECT_EQ(human_value(12.34e6, SparkUnit::Bytes), bytes_words(12.34e6));
  EXPECT_EQ(human_value(-2.0 * 1024 * 1024 * 1024, SparkUnit::Bytes), "-2.0 GiB");
  EXPECT_EQ(human_value(1e30, SparkUnit::Bytes), "1e+30 B");
  EXPECT_EQ(human_value(0, SparkUnit::Seconds), "0 s");
  EXPECT_EQ(human_value(0.0032, SparkUnit::Seconds), "3.2 ms");
  EXPECT_EQ(human_value(0.9999, SparkUnit::Seconds), "1 s");
  EXPECT_EQ(human_value(4.25, SparkUnit::Seconds), "4.25 s");
  EXPECT_EQ(human_value(-4.25, SparkUnit::Seconds), "-4.25 s");
  EXPECT_EQ(human_value(59.99, SparkUnit::Seconds), "1 min");
  EXPECT_EQ(human_value(150, SparkUnit::Seconds), duration_words(150));
  EXPECT_EQ(human_value(3 * 86400, SparkUnit::Seconds), "3 d");
  EXPECT_EQ(human_value(1e300, SparkUnit::Seconds), "1.16e+295 d");
  EXPECT_EQ(human_value(std::nan(""), SparkUnit::Seconds), "NaN");
  EXPECT_EQ(human_value(-std::numeric_limits<double>::infinity(), SparkUnit::Bytes), "-Inf");
}

}  // namespace
}  // namespace pgw

namespace pgw {
namespace {

// The checker the tests above rely on rejects what it should.
TEST(XmlWellformedCheck, RejectsWhatIsNotXml) {
  EXPECT_EQ(test::xml_wellformed_error("<a x=\"1\"><b/>t &amp; &#39; &#x41;</a>"), "");
  for (const char* bad : {"<a>", "<a></b>", "<a>x < y</a>", "<a>&nope;</a>", "<a>& </a>", "<a x=1/>",
                          "<a x=\"<\"/>", "<a x=\"1\" x=\"2\"/>", "<a/><b/>", "t<a/>", "<a>\x01</a>", ""})
    EXPECT_NE(test::xml_wellformed_error(bad), "") << bad;
}

}  // namespace
}  // namespace pgw
