#include <cmath>

#include <gtest/gtest.h>

#include "alerts/template.h"

using pgw::Template;
using pgw::TemplateData;
using pgw::TemplateError;

namespace {

std::string render(const std::string& text, double value = 0, std::map<std::string, std::string> labels = {}) {
  return Template::parse(text).render(TemplateData{std::move(labels), value});
}

std::string parse_error(const std::string& text) {
  try {
    Template::parse(text);
  } catch (const TemplateError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Template, LabelsAndValue) {
  std::map<std::string, std::string> l = {{"node", "alpha"}, {"cluster", "aya"}};
  EXPECT_EQ(render("{{ $labels.node }} in {{.Labels.cluster}}: {{ $value }}", 2.5, l), "alpha in aya: 2.5");
  EXPECT_EQ(render("{{ .Value }}", 1e21), "1e+21");
  EXPECT_EQ(render("{{ .Value }}", 123456789), "123456789");
  EXPECT_EQ(render("{{ .Value }}", 0.0001), "0.0001");
  EXPECT_EQ(render("{{ .Value }}", 0.00001), "1e-05");
  EXPECT_EQ(render("{{ $value }}", NAN), "NaN");
  EXPECT_EQ(render("{{ $value }}", -INFINITY), "-Inf");
  EXPECT_EQ(render("x{{ $labels.missing }}y", 0, l), "xy");
  EXPECT_EQ(render("{{ index $labels \"node\" }}", 0, l), "alpha");
  EXPECT_EQ(render("a {{- $value -}} b", 1), "a1b");
  EXPECT_EQ(render("{{/* a comment */}}plain"), "plain");
}

TEST(Template, HumanizeFunctionsMatchPrometheus) {
  EXPECT_EQ(render("{{ $value | humanize }}", 1234567), "1.235M");
  EXPECT_EQ(render("{{ $value | humanize }}", 0.0012), "1.2m");
  EXPECT_EQ(render("{{ $value | humanize }}", 0), "0");
  EXPECT_EQ(render("{{ $value | humanize }}", INFINITY), "+Inf");
  EXPECT_EQ(render("{{ $value | humanize1024 }}", 1048576), "1Mi");
  EXPECT_EQ(render("{{ $value | humanize1024 }}", 1536), "1.5ki");
  EXPECT_EQ(render("{{ $value | humanize1024 }}", 0.5), "0.5");
  EXPECT_EQ(render("{{ $value | humanizeDuration }}", 90061), "1d 1h 1m 1s");
  EXPECT_EQ(render("{{ $value | humanizeDuration }}", 3600), "1h 0m 0s");
  EXPECT_EQ(render("{{ $value | humanizeDuration }}", 65), "1m 5s");
  EXPECT_EQ(render("{{ $value | humanizeDuration }}", 1.5), "1.5s");
  EXPECT_EQ(render("{{ $value | humanizeDuration }}", 0.25), "250ms");
  EXPECT_EQ(render("{{ $value | humanizeDuration }}", 0), "0s");
  EXPECT_EQ(render("{{ $value | humanizePercentage }}", 0.1234), "12.34%");
  EXPECT_EQ(render("{{ $value | humanizeTimestamp }}", 1435065584.128), "2015-06-23 13:19:44.128 +0000 UTC");
  EXPECT_EQ(render("{{ $value | printf \"%.2f\" }}", 3.14159), "3.14");
  EXPECT_EQ(render("{{ printf \"%s=%.1f\" $labels.n $value }}", 2, {{"n", "x"}}), "x=2.0");
  EXPECT_EQ(render("{{ $value | printf \"%d\" }}", 2), "%!d(float64=2)");  // as Go prints it
  EXPECT_EQ(render("{{ $labels.n | toUpper }}", 0, {{"n", "abc"}}), "ABC");
  EXPECT_EQ(render("{{ $labels.n | humanize }}", 0, {{"n", "2048"}}), "2.048k");
}

TEST(Template, ParseErrors) {
  EXPECT_NE(parse_error("{{ $labels.x ").find("unclosed action"), std::string::npos);
  EXPECT_NE(parse_error("{{ nosuch $value }}").find("function \"nosuch\" not defined"), std::string::npos);
  EXPECT_NE(parse_error("{{ $foo }}").find("undefined variable"), std::string::npos);
  EXPECT_NE(parse_error("{{ }}").find("empty action"), std::string::npos);
  EXPECT_NE(parse_error("{{ $value | }}").find("missing command"), std::string::npos);
  EXPECT_NE(parse_error("{{ if $value }}x{{ end }}").find("not supported"), std::string::npos);
  EXPECT_NE(parse_error("{{ \"abc }}").find("unterminated"), std::string::npos);
  EXPECT_EQ(parse_error("no actions at all"), "");
}

TEST(Template, RuntimeErrors) {
  EXPECT_THROW(render("{{ $labels.n | humanize }}", 0, {{"n", "abc"}}), TemplateError);
}

// Found by tests/fuzz (template target): these were undefined behaviour.
TEST(Template, HumanizeDurationBeyondInt64Seconds) {
  EXPECT_EQ(render("{{ $value | humanizeDuration }}", 1e300), "1e+300s");
  EXPECT_EQ(render("{{ $value | humanizeDuration }}", -1e19), "-1e+19s");
  EXPECT_EQ(render("{{ $value | humanizeDuration }}", 9.1e18), "105324074074074d 1h 46m 40s");
}

TEST(Template, PrintfHugeWidthOrPrecision) {
  EXPECT_EQ(render("{{ printf \"%99999999999f|\" $value }}", 1), "%!(NOVERB)%!(EXTRA float64=1)");
  EXPECT_EQ(render("{{ printf \"%.99999999999f|\" $value }}", 1), "%!(NOVERB)%!(EXTRA float64=1)");
  EXPECT_EQ(render("{{ printf \"%5.1f|\" $value }}", 1), "  1.0|");
}
