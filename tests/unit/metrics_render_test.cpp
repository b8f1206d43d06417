// render_text(): the /metrics body written straight from samples.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "exporter/metrics_render.h"

namespace pgw {
namespace {

TEST(MetricsRender, GroupsSortsAndWritesHelpAndTypeOncePerFamily) {
  std::vector<Sample> in = {
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "beta"}}, 0},
      {"pgwarden_archiver_failed_total", {{"cluster", "aya"}, {"node", "alpha"}}, 3},
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "alpha"}}, 1},
  };
  EXPECT_EQ(render_text(in),
            "# HELP pgwarden_archiver_failed_total Failed attempts to archive WAL files.\n"
            "# TYPE pgwarden_archiver_failed_total counter\n"
            "pgwarden_archiver_failed_total{cluster=\"aya\",node=\"alpha\"} 3\n"
            "# HELP pgwarden_node_up 1 when PostgreSQL on the node was reachable this round.\n"
            "# TYPE pgwarden_node_up gauge\n"
            "pgwarden_node_up{cluster=\"aya\",node=\"alpha\"} 1\n"
            "pgwarden_node_up{cluster=\"aya\",node=\"beta\"} 0\n");
}

TEST(MetricsRender, NormalizesLabelsKeepsTheLastDuplicateAndEscapes) {
  std::vector<Sample> in = {
      {"custom_metric", {{"node", "a"}, {"cluster", "c"}, {"empty", ""}}, 1},
      {"custom_metric", {{"cluster", "c"}, {"node", "a"}}, 2},
      {"custom_metric", {{"cluster", "c"}, {"node", "x\\\"y\"\nz"}}, 0.1},
      {"bare", {}, 7},
  };
  EXPECT_EQ(render_text(in),
            "# HELP bare pgwarden metric bare\n# TYPE bare gauge\nbare 7\n"
            "# HELP custom_metric pgwarden metric custom_metric\n# TYPE custom_metric gauge\n"
            "custom_metric{cluster=\"c\",node=\"a\"} 2\n"
            "custom_metric{cluster=\"c\",node=\"x\\\\\\\"y\\\"\\nz\"} 0.1\n");
}

TEST(MetricsRender, ValuesReadBackExactly) {
  const double values[] = {0.1, 1.0 / 3, 123456789012345678.0, -1.5e-300, 5e-324, 0,
                           std::numeric_limits<double>::max()};
  for (double v : values) {
    std::string text = render_text({{"m", {}, v}});
    std::string number = text.substr(text.rfind(' ') + 1);
    EXPECT_EQ(std::strtod(number.c_str(), nullptr), v) << number;
  }
  EXPECT_NE(render_text({{"m", {}, std::nan("")}}).find("m NaN\n"), std::string::npos);
  EXPECT_NE(render_text({{"m", {}, -std::numeric_limits<double>::infinity()}}).find("m -Inf\n"),
            std::string::npos);
  EXPECT_NE(render_text({{"m", {}, std::numeric_limits<double>::infinity()}}).find("m +Inf\n"),
            std::string::npos);
}

}  // namespace
}  // namespace pgw
