#include <cmath>

#include <gtest/gtest.h>

#include "alerts/promql_eval.h"
#include "alerts/promql_parser.h"

using namespace pgw;
using namespace pgw::promql;

namespace {

std::vector<Sample> fixture() {
  return {
      {"up", {{"job", "pg"}, {"node", "a"}}, 1},
      {"up", {{"job", "pg"}, {"node", "b"}}, 0},
      {"up", {{"job", "etcd"}, {"node", "a"}}, 1},
      {"lag", {{"node", "a"}, {"app", "x"}}, 10},
      {"lag", {{"node", "b"}, {"app", "y"}}, 30},
      {"size", {{"node", "a"}}, 100},
      {"size", {{"node", "b"}}, 0},
      {"free", {{"node", "a"}}, 5},
      {"free", {{"node", "b"}}, 0},
      {"role", {{"node", "a"}, {"role", "primary"}}, 1},
      {"role", {{"node", "b"}, {"role", "client"}}, 1},
      {"nan_metric", {{"node", "a"}}, std::nan("")},
  };
}

// Result as "name{l="v",...} value" lines, sorted, for readable asserts.
std::vector<std::string> eval(const std::string& expr, double t = 1000) {
  SeriesSet in(fixture());
  Value v = evaluate(*parse(expr), in, t);
  std::vector<std::string> out;
  if (v.type == ValueType::Scalar) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "scalar %g", std::isnan(v.scalar) ? NAN : v.scalar);
    out.push_back(buf);
    return out;
  }
  for (const auto& s : to_samples(v)) {
    std::string line = s.name + "{";
    for (size_t i = 0; i < s.labels.size(); ++i)
      line += (i ? "," : "") + s.labels[i].first + "=\"" + s.labels[i].second + "\"";
    char buf[64];
    std::snprintf(buf, sizeof buf, "} %g", std::isnan(s.value) ? NAN : s.value);
    out.push_back(line + buf);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string eval_error(const std::string& expr) {
  try {
    eval(expr);
  } catch (const EvalError& e) {
    return e.what();
  }
  return "";
}

using V = std::vector<std::string>;

}  // namespace

TEST(PromqlEval, SelectorsAndRegexAnchoring) {
  EXPECT_EQ(eval(R"(up{job="pg"})"), (V{R"(up{job="pg",node="a"} 1)", R"(up{job="pg",node="b"} 0)"}));
  EXPECT_EQ(eval(R"(up{job=~"p"})"), V{});  // fully anchored
  EXPECT_EQ(eval(R"(up{job!~"p.*"})"), V{R"(up{job="etcd",node="a"} 1)"});
  EXPECT_EQ(eval(R"({__name__=~"si.e|fr.*", node="b"})"), (V{R"(free{node="b"} 0)", R"(size{node="b"} 0)"}));
  EXPECT_EQ(eval(R"(up{missing=""})").size(), 3u);  // empty matches absent labels
}

TEST(PromqlEval, ArithmeticDropsNameComparisonFilters) {
  EXPECT_EQ(eval("lag * 2"), (V{R"({app="x",node="a"} 20)", R"({app="y",node="b"} 60)"}));
  EXPECT_EQ(eval("lag > 15"), V{R"(lag{app="y",node="b"} 30)"});
  EXPECT_EQ(eval("15 < lag"), V{R"(lag{app="y",node="b"} 30)"});  // keeps the vector value
  EXPECT_EQ(eval("lag > bool 15"), (V{R"({app="x",node="a"} 0)", R"({app="y",node="b"} 1)"}));
  EXPECT_EQ(eval("1 + 2 * 3 ^ 2"), V{"scalar 19"});
  EXPECT_EQ(eval("2 ^ 3 ^ 2"), V{"scalar 512"});
  EXPECT_EQ(eval("-2 ^ 2"), V{"scalar -4"});
  EXPECT_EQ(eval("7 % 3"), V{"scalar 1"});
  EXPECT_EQ(eval("-7 % 3"), V{"scalar -1"});  // fmod keeps the dividend's sign
  EXPECT_EQ(eval("1 / 0"), V{"scalar inf"});
  EXPECT_EQ(eval("-1 / 0"), V{"scalar -inf"});
  EXPECT_EQ(eval("0 / 0"), V{"scalar nan"});
  EXPECT_EQ(eval("2 > bool 1"), V{"scalar 1"});
  EXPECT_EQ(eval("time()", 1234.5), V{"scalar 1234.5"});
  EXPECT_EQ(eval("-lag"), (V{R"({app="x",node="a"} -10)", R"({app="y",node="b"} -30)"}));
}

TEST(PromqlEval, NaNComparisons) {
  EXPECT_EQ(eval("nan_metric == nan_metric"), V{});
  EXPECT_EQ(eval("nan_metric != 0"), V{R"(nan_metric{node="a"} nan)"});
  EXPECT_EQ(eval("nan_metric > bool 0"), V{R"({node="a"} 0)"});
}

TEST(PromqlEval, VectorMatching) {
  EXPECT_EQ(eval("free / size"), (V{R"({node="a"} 0.05)", R"({node="b"} nan)"}));
  EXPECT_EQ(eval("free == size"), V{R"(free{node="b"} 0)"});
  EXPECT_EQ(eval("up == on(node) group_left(role) role"),
            (V{R"(up{job="etcd",node="a",role="primary"} 1)", R"(up{job="pg",node="a",role="primary"} 1)"}));
  EXPECT_EQ(eval("lag + on(node) size"), (V{R"({node="a"} 110)", R"({node="b"} 30)"}));
  EXPECT_EQ(eval("lag + ignoring(app) size"), (V{R"({node="a"} 110)", R"({node="b"} 30)"}));
  EXPECT_EQ(eval("lag == on(node) size"), V{});
  EXPECT_EQ(eval("size == bool on(node) free"), (V{R"({node="a"} 0)", R"({node="b"} 1)"}));
  EXPECT_EQ(eval("size > on(node) lag"), V{R"({node="a"} 100)"});  // on() keeps only the listed labels
  EXPECT_EQ(eval("size + on(node) group_right role"),
            (V{R"({node="a",role="primary"} 101)", R"({node="b",role="client"} 1)"}));
  // group_x labels come from the "one" side, and are removed when it lacks them.
  EXPECT_EQ(eval("size + on(node) group_right(role) role"), (V{R"({node="a"} 101)", R"({node="b"} 1)"}));
}

TEST(PromqlEval, ManyToManyIsAnError) {
  EXPECT_NE(eval_error("up + on(node) size").find("multiple matches for labels"), std::string::npos);
  EXPECT_NE(eval_error("size + on(node) up").find("found duplicate series for the match group {node=\"a\"} on the right"),
            std::string::npos);
  EXPECT_NE(eval_error("{__name__=~\"free|size\"} + 1").find("same labelset"), std::string::npos);
}

TEST(PromqlEval, SetOperators) {
  EXPECT_EQ(eval("up and on(node) role{role=\"client\"}"), V{R"(up{job="pg",node="b"} 0)"});
  EXPECT_EQ(eval("up unless on(node) role{role=\"client\"}"),
            (V{R"(up{job="etcd",node="a"} 1)", R"(up{job="pg",node="a"} 1)"}));
  EXPECT_EQ(eval("size or free"), (V{R"(size{node="a"} 100)", R"(size{node="b"} 0)"}));  // same signature
  EXPECT_EQ(eval("size or lag").size(), 4u);
  EXPECT_EQ(eval("size and nothing"), V{});
  EXPECT_EQ(eval("size unless nothing").size(), 2u);
}

TEST(PromqlEval, Aggregations) {
  EXPECT_EQ(eval("sum(up)"), V{"{} 2"});
  EXPECT_EQ(eval("sum by (job) (up)"), (V{R"({job="etcd"} 1)", R"({job="pg"} 1)"}));
  EXPECT_EQ(eval("count without (node) (up)"), (V{R"({job="etcd"} 1)", R"({job="pg"} 2)"}));
  EXPECT_EQ(eval("max(lag) by (node)"), (V{R"({node="a"} 10)", R"({node="b"} 30)"}));
  EXPECT_EQ(eval("min(lag)"), V{"{} 10"});
  EXPECT_EQ(eval("avg(lag)"), V{"{} 20"});
  EXPECT_EQ(eval("group by (node) (up)"), (V{R"({node="a"} 1)", R"({node="b"} 1)"}));
  EXPECT_EQ(eval("sum(nothing)"), V{});
  EXPECT_EQ(eval("max(nan_metric or size)"), V{"{} 0"});  // NaN{a} hides size{a}; NaN loses to 0
}

TEST(PromqlEval, Functions) {
  EXPECT_EQ(eval("absent(nothing{job=\"x\", a=~\"b\", c=\"1\", c=\"2\"})"), V{R"({job="x"} 1)"});
  EXPECT_EQ(eval("absent(up)"), V{});
  EXPECT_EQ(eval("vector(3)"), V{"{} 3"});
  EXPECT_EQ(eval("scalar(size{node=\"a\"})"), V{"scalar 100"});
  EXPECT_EQ(eval("scalar(size)"), V{"scalar nan"});
  EXPECT_EQ(eval("abs(-lag)"), (V{R"({app="x",node="a"} 10)", R"({app="y",node="b"} 30)"}));
  EXPECT_EQ(eval("clamp_max(lag, 20)"), (V{R"({app="x",node="a"} 10)", R"({app="y",node="b"} 20)"}));
  EXPECT_EQ(eval("clamp_min(nan_metric, 1)"), V{R"({node="a"} nan)"});
  EXPECT_EQ(eval("clamp(lag, 20, 10)"), V{});
}

TEST(PromqlEval, RefreshTakesNewValuesOnlyForTheSameSeries) {
  std::vector<Sample> round = {{"up", {{"node", "a"}}, 1}, {"up", {{"node", "b"}}, 0}};
  SeriesSet in(round);
  round[1].value = 5;
  ASSERT_TRUE(in.refresh(round));
  auto result = to_samples(evaluate(*parse("up > 2"), in, 0));
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(label_value(result[0].labels, "node"), "b");

  std::vector<Sample> relabelled = round;
  relabelled[1].labels = {{"node", "c"}};
  relabelled[1].value = 0;
  EXPECT_FALSE(in.refresh(relabelled));
  std::vector<Sample> reordered = {round[1], round[0]};
  EXPECT_FALSE(in.refresh(reordered));
  EXPECT_FALSE(in.refresh({round[0]}));
  EXPECT_EQ(to_samples(evaluate(*parse("up > 2"), in, 0)).size(), 1u);  // unchanged by the refused refreshes
}

TEST(PromqlEval, SeriesSetKeepsStorageOrderAndGivesEachSeriesItsLabels) {
  // Unsorted, an empty value (an absent label), a label sorting before
  // __name__ and one metric name appearing twice with other labels.
  SeriesSet in(std::vector<Sample>{{"b", {{"node", "z"}, {"app", "x"}}, 1},
                                   {"a", {{"node", "y"}, {"gone", ""}}, 2},
                                   {"b", {{"node", "a"}}, 3}});
  ASSERT_EQ(in.size(), 3u);
  EXPECT_EQ(in.labels(0), (Labels{{"__name__", "a"}, {"node", "y"}}));
  EXPECT_EQ(in.labels(1), (Labels{{"__name__", "b"}, {"app", "x"}, {"node", "z"}}));
  EXPECT_EQ(in.labels(2), (Labels{{"__name__", "b"}, {"node", "a"}}));
  EXPECT_EQ(in.value(1), 1);
  EXPECT_EQ(*in.by_name("b"), (std::vector<size_t>{1, 2}));
  EXPECT_EQ(in.label(2, in.symbol("node")), "a");
  EXPECT_EQ(in.label(2, in.symbol("app")), "");

  SeriesSet zone(std::vector<Sample>{{"m", {{"Zone", "2"}}, 1}, {"k", {{"Zone", "1"}}, 2}});
  EXPECT_EQ(zone.labels(0), (Labels{{"Zone", "1"}, {"__name__", "k"}}));
  EXPECT_EQ(*zone.by_name("m"), (std::vector<size_t>{1}));
}
