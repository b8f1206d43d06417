// The test-side Prometheus text parser (tests/fixtures/exposition.*), and a
// round trip of pgwarden's renderer through it: what render_text() writes,
// the parser reads back with the same names, labels and values.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "core/sample.h"
#include "exporter/metrics_render.h"
#include "tests/fixtures/exposition.h"

namespace pgw::test {
namespace {

TEST(ExpositionTest, ParsesHelpTypeLabelsEscapesAndSpecialValues) {
  Exposition e = parse_exposition(
      "# HELP pgwarden_node_up 1 when up.\\nSecond line.\n"
      "# TYPE pgwarden_node_up gauge\n"
      "pgwarden_node_up{cluster=\"aya\",node=\"alpha\"} 1\n"
      "pgwarden_node_up{node=\"beta\", cluster=\"aya\",} 0 1700000000000\n"
      "# a plain comment\n"
      "\n"
      "weird{path=\"C:\\\\x \\\"q\\\"\\nnl\"} +Inf\n"
      "nan_metric NaN\n"
      "neg -1.5e3\n");
  ASSERT_EQ(e.samples.size(), 5u);
  EXPECT_EQ(e.help.at("pgwarden_node_up"), "1 when up.\nSecond line.");
  EXPECT_EQ(e.type.at("pgwarden_node_up"), "gauge");
  EXPECT_EQ(e.value("pgwarden_node_up", {{"node", "alpha"}}), 1.0);
  EXPECT_EQ(e.value("pgwarden_node_up", {{"node", "beta"}, {"cluster", "aya"}}), 0.0);
  EXPECT_EQ(e.find_all("pgwarden_node_up", {{"cluster", "aya"}}).size(), 2u);
  EXPECT_EQ(e.find("pgwarden_node_up", {{"node", "gamma"}}), nullptr);
  // An empty matcher value matches an absent label, as in PromQL.
  EXPECT_NE(e.find("neg", {{"node", ""}}), nullptr);
  EXPECT_EQ(e.find("weird")->labels.at("path"), "C:\\x \"q\"\nnl");
  EXPECT_TRUE(std::isinf(*e.value("weird")));
  EXPECT_TRUE(std::isnan(*e.value("nan_metric")));
  EXPECT_EQ(e.value("neg"), -1500.0);
  EXPECT_EQ(e.count_prefix("pgwarden_"), 2u);
}

TEST(ExpositionTest, RejectsMalformedLinesNamingTheLine) {
  for (const char* bad : {"m{a=\"x\" 1\n", "m{a=x} 1\n", "m 1 2 3\n", "m abc\n", "m{a=\"1\",a=\"2\"} 1\n",
                          "1m 1\n", "m{a=\"\\q\"} 1\n", "# TYPE ok counter\n", "m\n"}) {
    try {
      parse_exposition(std::string("# TYPE ok gauge\n") + bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
  }
}

TEST(ExpositionTest, RenderTextRoundTripsThroughTheParser) {
  std::vector<Sample> in = {
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "alpha"}}, 1},
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "beta"}}, 0},
      {"pgwarden_replication_lag_bytes",
       {{"application_name", "beta"}, {"cluster", "aya"}, {"node", "alpha"}, {"stage", "replay"}},
       123456789},
      {"pgwarden_host_newest_file_age_seconds",
       {{"cluster", "aya"}, {"glob", "/b/\"x\"\\*.sql"}, {"node", "alpha"}}, 0.25},
      {"pgwarden_archiver_failed_total", {{"cluster", "aya"}, {"node", "alpha"}}, 3},
  };
  Exposition e = parse_exposition(render_text(in));
  EXPECT_EQ(e.samples.size(), in.size());
  for (const Sample& s : in) {
    LabelMatchers m(s.labels.begin(), s.labels.end());
    auto found = e.find_all(s.name, m);
    ASSERT_EQ(found.size(), 1u) << s.name;
    EXPECT_EQ(found[0]->labels.size(), s.labels.size()) << found[0]->str();
    EXPECT_DOUBLE_EQ(found[0]->value, s.value) << found[0]->str();
  }
  EXPECT_EQ(e.type.at("pgwarden_archiver_failed_total"), "counter");
  EXPECT_EQ(e.type.at("pgwarden_node_up"), "gauge");
  EXPECT_FALSE(e.help.at("pgwarden_node_up").empty());
}

}  // namespace
}  // namespace pgw::test
