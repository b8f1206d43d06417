// =~ and !~ on RE2 (issue 13): Prometheus' syntax and anchoring, linear time
// on long values and hostile patterns, and a clear refusal of patterns that
// are too large.
#include <gtest/gtest.h>

#include <chrono>

#include "alerts/label_regex.h"
#include "alerts/promql_eval.h"
#include "alerts/promql_parser.h"

namespace pgw {
namespace {

std::shared_ptr<const LabelRegex> re(const std::string& p) {
  std::string err;
  auto r = LabelRegex::compile(p, err);
  EXPECT_TRUE(r) << p << ": " << err;
  return r;
}

TEST(LabelRegex, IsFullyAnchoredAndUsesRe2Syntax) {
  EXPECT_TRUE(re("beta")->matches("beta"));
  EXPECT_FALSE(re("beta")->matches("xbeta"));
  EXPECT_FALSE(re("beta")->matches("betax"));
  EXPECT_TRUE(re("a|b")->matches("b"));
  EXPECT_FALSE(re("a|b")->matches("ab"));  // the alternation is inside the anchors
  EXPECT_TRUE(re("(?i)BeTa")->matches("beta"));
  EXPECT_TRUE(re("[[:digit:]]+")->matches("0123"));
  EXPECT_TRUE(re("\\d+\\s\\w")->matches("12 x"));
  EXPECT_TRUE(re("\\pL+")->matches("h\xC3\xA9llo"));
  EXPECT_TRUE(re("")->matches(""));
  EXPECT_TRUE(re("x*")->matches(""));
  EXPECT_FALSE(re(".*")->matches("a\nb"));  // Go's default: . does not match \n
  EXPECT_TRUE(re("(?s).*")->matches("a\nb"));
}

TEST(LabelRegex, InvalidAndTooLargePatternsAreRefusedClearly) {
  std::string err;
  EXPECT_FALSE(LabelRegex::compile("(", err));
  EXPECT_NE(err.find("invalid regular expression \"(\""), std::string::npos) << err;
  EXPECT_FALSE(LabelRegex::compile("a(?=b)", err));  // lookahead: not RE2 (nor Prometheus)
  EXPECT_FALSE(LabelRegex::compile(std::string(20000, 'a'), err));
  EXPECT_NE(err.find("longer than"), std::string::npos) << err;
  EXPECT_FALSE(LabelRegex::compile("((((a{1000}){1000}){1000}){1000})", err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(LabelRegex::compile(std::string(2000, '(') + std::string(2000, ')'), err));
  EXPECT_NE(err.find("nests groups deeper than 100"), std::string::npos) << err;
  EXPECT_TRUE(LabelRegex::compile(std::string(50, '(') + "a" + std::string(50, ')'), err)) << err;
  EXPECT_TRUE(LabelRegex::compile("[(]{200}\\(", err)) << err;  // not groups
  std::string big;
  for (int i = 0; i < 60; ++i) big += "x{1000}";  // 420 bytes, 60,000 instructions
  EXPECT_FALSE(LabelRegex::compile(big, err));
  EXPECT_NE(err.find("too complex"), std::string::npos) << err;
  std::string fine;
  for (int i = 0; i < 20; ++i) fine += "x{1000}";
  EXPECT_TRUE(LabelRegex::compile(fine, err)) << err;
}

TEST(LabelRegex, LongValuesAndBacktrackingPatternsRunInLinearTime) {
  // std::regex overflowed the stack on ".*" over ~30 KB and took exponential
  // time on "(a+)+b" over a string of a's.
  std::string value(1 << 20, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(re(".*")->matches(value));
  EXPECT_FALSE(re("(a+)+b")->matches(value));
  EXPECT_FALSE(re("(a|aa)+c")->matches(value));
  // Not a timing assertion: a generous bound that only a backtracking
  // engine could exceed.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(LabelRegex, GroupsAndExpansionFollowGo) {
  auto r = re("(?P<host>[a-z]+):(\\d+)");
  std::vector<std::string> g;
  ASSERT_TRUE(r->match_groups("db:5432", g));
  EXPECT_EQ(r->expand("$1", g), "db");
  EXPECT_EQ(r->expand("${2}x", g), "5432x");
  EXPECT_EQ(r->expand("$2x", g), "");  // "$2x" names group "2x", which does not exist
  EXPECT_EQ(r->expand("$host-$$", g), "db-$");
  EXPECT_EQ(r->expand("${host}", g), "db");
  EXPECT_EQ(r->expand("$9", g), "");
  EXPECT_FALSE(r->match_groups("db:x", g));
}

TEST(LabelRegex, PromqlMatchersUseIt) {
  std::vector<Sample> in = {{"up", {{"job", "PG"}}, 1}, {"up", {{"job", "etcd"}}, 1}};
  promql::SeriesSet set(in);
  auto v = promql::evaluate(*promql::parse(R"(up{job=~"(?i)pg"})"), set, 1000);
  ASSERT_EQ(v.vector.size(), 1u);
  v = promql::evaluate(*promql::parse(R"(up{job!~"[[:upper:]]+"})"), set, 1000);
  ASSERT_EQ(v.vector.size(), 1u);
  std::string big;
  for (int i = 0; i < 60; ++i) big += "x{1000}";
  try {
    promql::parse("up{job=~\"" + big + "\"}");
    FAIL() << "a hostile pattern must be refused";
  } catch (const promql::ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("too complex"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pgw
