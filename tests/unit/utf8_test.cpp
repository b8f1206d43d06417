// UTF-8 at the boundary: the check and the repair that every string from
// outside goes through (issue 13).
#include <gtest/gtest.h>

#include "alerts/promql_eval.h"
#include "alerts/promql_parser.h"
#include "alerts/template.h"
#include "core/json_text.h"
#include "core/sample.h"
#include "exporter/config_loader.h"
#include "exporter/metrics_render.h"
#include "core/utf8.h"

namespace pgw {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, ValidTextIsUnchanged) {
  for (std::string s : {"", "abc", "h\xC3\xA9llo", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
                        "\xED\x9F\xBF"}) {
    EXPECT_TRUE(is_valid_utf8(s)) << s;
    EXPECT_EQ(to_valid_utf8(s), s);
  }
}

TEST(Utf8, IllFormedBytesBecomeReplacementCharacters) {
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_EQ(to_valid_utf8("\xff"), kFffd);
  EXPECT_EQ(to_valid_utf8("a\xffz"), "a" + kFffd + "z");
  EXPECT_EQ(to_valid_utf8("\xC0\xAF"), kFffd + kFffd);           // overlong '/'
  EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // a surrogate
  EXPECT_EQ(to_valid_utf8("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
  // A character cut short (a truncation in the middle of it): one U+FFFD.
  EXPECT_EQ(to_valid_utf8("ab\xE2\x82"), "ab" + kFffd);
  EXPECT_EQ(to_valid_utf8("\xE2\x82z"), kFffd + "z");
  EXPECT_EQ(to_valid_utf8("\xF0\x9F\x98"), kFffd);
  std::string s = "x\x80y";
  make_valid_utf8(s);
  EXPECT_EQ(s, "x" + kFffd + "y");
}

TEST(Utf8, RepairIsAlwaysValidForEveryTwoByteInput) {
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) {
      std::string s{static_cast<char>(a), static_cast<char>(b), static_cast<char>(0xE2)};
      ASSERT_TRUE(is_valid_utf8(to_valid_utf8(s))) << a << " " << b;
    }
}

TEST(Utf8, PrefixDoesNotCutACharacter) {
  std::string s = "a\xE2\x82\xAC";  // "a€"
  EXPECT_EQ(utf8_prefix(s, 10), s);
  EXPECT_EQ(utf8_prefix(s, 4), s);
  EXPECT_EQ(utf8_prefix(s, 3), "a");
  EXPECT_EQ(utf8_prefix(s, 2), "a");
  EXPECT_EQ(utf8_prefix(s, 1), "a");
  EXPECT_EQ(utf8_prefix(s, 0), "");
}

TEST(JsonText, DumpNeverThrowsOnInvalidUtf8) {
  nlohmann::json j = {{"x", std::string("\xff")}};
  EXPECT_THROW(j.dump(), nlohmann::json::exception);
  std::string text;
  ASSERT_NO_THROW(text = json_text(j));
  EXPECT_EQ(text, "{\"x\":\"" + kFffd + "\"}");
  EXPECT_TRUE(is_valid_utf8(json_text(j, 2)));
}

// Where strings enter: each boundary makes them valid UTF-8.

TEST(Utf8Boundary, PromqlStringEscapesBecomeValid) {
  // The rule from issue 13 that aborted `serve` on its first round.
  promql::SeriesSet empty(std::vector<Sample>{});
  auto v = promql::evaluate(*promql::parse(R"(absent(pgwarden_nope{x="\xff"}))"), empty, 1000);
  ASSERT_EQ(v.vector.size(), 1u);
  EXPECT_EQ(label_value(v.vector[0].labels, "x"), kFffd);
  v = promql::evaluate(*promql::parse(R"(absent(pgwarden_nope{x="a\377b\xe2\x82"}))"), empty, 1000);
  EXPECT_EQ(label_value(v.vector[0].labels, "x"), "a" + kFffd + "b" + kFffd);
}

TEST(Utf8Boundary, SampleLabelsAreRepairedWhenNormalized) {
  Labels l = {{"category", "caf\xe9"}, {"a\xff", "x"}};
  normalize(l);
  for (const auto& [k, v] : l) {
    EXPECT_TRUE(is_valid_utf8(k));
    EXPECT_TRUE(is_valid_utf8(v));
  }
}

TEST(Utf8Boundary, TemplateOutputIsValidAfterAByteTruncation) {
  auto t = Template::parse(R"({{ $labels.x | printf "%.4s" }})");
  std::string out = t.render(Labels{{"x", "caf\xE2\x82\xAC"}}, 0);  // "caf€" cut after 4 bytes
  EXPECT_EQ(out, "caf" + kFffd);
}

TEST(Utf8Boundary, ConfigWithInvalidUtf8IsRefused) {
  LoadResult r = load_config_string("[exporter]\nstate_dir = \"caf\xe9\"\n", "bad.toml");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_TRUE(is_valid_utf8(r.errors[0].str())) << r.errors[0].str();
}

TEST(Utf8Boundary, MetricsTextRepairsNamesAndValuesItWasHanded) {
  // Checks never emit such samples; /metrics stays parseable if one did.
  std::string text = render_text({{"pgwarden_x\xff", {{"bad-name", "v\xff"}, {"ok", "1"}}, 1},
                                  {"pgwarden_y", {{"9", "a"}, {"_9", "b"}}, 2}});
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_NE(text.find("pgwarden_x_{bad_name=\"v" + kFffd + "\",ok=\"1\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("pgwarden_y{_9=\""), std::string::npos) << text;
}

}  // namespace
}  // namespace pgw
