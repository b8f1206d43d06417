#include <cmath>

#include <gtest/gtest.h>

#include "alerts/promql_parser.h"

using namespace pgw::promql;

namespace {

std::string error_of(const std::string& expr) {
  try {
    parse(expr);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

int column_of(const std::string& expr) {
  try {
    parse(expr);
  } catch (const ParseError& e) {
    return e.column;
  }
  return -1;
}

}  // namespace

TEST(PromqlParser, NumberLiterals) {
  EXPECT_EQ(parse("10e6")->number, 10e6);
  EXPECT_EQ(parse("0x1F")->number, 31);
  EXPECT_EQ(parse("010")->number, 8);  // Go's ParseInt(s, 0, 64), as Prometheus
  EXPECT_EQ(parse("1.5")->number, 1.5);
  EXPECT_EQ(parse(".5")->number, 0.5);
  EXPECT_EQ(parse("-2")->number, -2);
  EXPECT_TRUE(std::isinf(parse("Inf")->number));
  EXPECT_TRUE(std::isinf(parse("-inf")->number));
  EXPECT_TRUE(std::isnan(parse("NaN")->number));
}

TEST(PromqlParser, PrecedenceAndAssociativity) {
  auto n = parse("1 + 2 * 3");
  ASSERT_EQ(n->kind, Node::Kind::Binary);
  EXPECT_EQ(n->op, BinOp::Add);
  EXPECT_EQ(n->args[1]->op, BinOp::Mul);

  n = parse("2 ^ 3 ^ 2");  // right-associative
  EXPECT_EQ(n->args[0]->number, 2);
  EXPECT_EQ(n->args[1]->kind, Node::Kind::Binary);

  n = parse("8 / 4 / 2");  // left-associative
  EXPECT_EQ(n->args[0]->kind, Node::Kind::Binary);
  EXPECT_EQ(n->args[1]->number, 2);

  n = parse("a or b and c");
  EXPECT_EQ(n->op, BinOp::Or);
  EXPECT_EQ(n->args[1]->op, BinOp::And);

  n = parse("-a ^ 2");  // unary minus binds looser than ^
  ASSERT_EQ(n->kind, Node::Kind::Unary);
  EXPECT_EQ(n->args[0]->op, BinOp::Pow);

  n = parse("-a * 2");  // ... and like * otherwise
  ASSERT_EQ(n->kind, Node::Kind::Binary);
  EXPECT_EQ(n->args[0]->kind, Node::Kind::Unary);
}

TEST(PromqlParser, SelectorsAndMatchers) {
  auto n = parse(R"(up{job="a", instance!="b", x=~"c.*", y!~'d', z=`e\n`})");
  ASSERT_EQ(n->kind, Node::Kind::Selector);
  ASSERT_EQ(n->matchers.size(), 6u);
  EXPECT_EQ(n->matchers[0].name, "__name__");
  EXPECT_EQ(n->matchers[3].op, Matcher::Op::Re);
  EXPECT_EQ(n->matchers[5].value, "e\\n");  // backquotes are raw
  EXPECT_TRUE(n->matchers[3].matches("cat"));
  EXPECT_FALSE(n->matchers[3].matches("xcat"));  // anchored

  n = parse(R"({__name__=~"pgwarden_.*"})");
  EXPECT_EQ(n->metric, "");
  n = parse("job:rate:sum");
  EXPECT_EQ(n->metric, "job:rate:sum");
}

TEST(PromqlParser, ModifiersAndAggregations) {
  auto n = parse("a == bool on(x, y) group_left(z) b");
  EXPECT_TRUE(n->return_bool);
  EXPECT_TRUE(n->matching.on);
  EXPECT_EQ(n->matching.labels, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(n->matching.card, VectorMatching::Card::ManyToOne);
  EXPECT_EQ(n->matching.include, (std::vector<std::string>{"z"}));

  n = parse("sum by (a) (x)");
  EXPECT_EQ(n->grouping, (std::vector<std::string>{"a"}));
  n = parse("SUM(x) WITHOUT (a, b,)");
  EXPECT_TRUE(n->without);
  EXPECT_EQ(n->grouping.size(), 2u);
  n = parse("count(x)");
  EXPECT_EQ(n->agg, AggOp::Count);
  EXPECT_EQ(parse("a and ignoring(b) c")->matching.card, VectorMatching::Card::ManyToMany);
}

TEST(PromqlParser, ErrorsNameColumnAndExpectation) {
  EXPECT_EQ(error_of(R"(up{job="a", })") , "");  // trailing comma is fine
  EXPECT_EQ(error_of(R"(up{job="a", =})"), R"(unexpected "=" at column 13, expected label name)");
  EXPECT_EQ(error_of("up{job=\"a\",1}"), R"(unexpected number "1" at column 12, expected label name)");
  EXPECT_EQ(error_of("sum(up"), "unexpected end of input at column 7, expected \")\"");
  EXPECT_EQ(error_of("up{job}"), R"(unexpected "}" at column 7, expected label matching operator (=, !=, =~, !~))");
  EXPECT_EQ(error_of("up{job=a}"), R"(unexpected identifier "a" at column 8, expected string)");
  EXPECT_EQ(error_of("up up"), R"(unexpected identifier "up" at column 4, expected binary operator or end of input)");
  EXPECT_EQ(column_of("1 > 2"), 3);
  EXPECT_NE(error_of("1 > 2").find("comparisons between scalars must use BOOL modifier"), std::string::npos);
  EXPECT_NE(error_of("a and 1").find("set operator \"and\" not allowed"), std::string::npos);
  EXPECT_NE(error_of("a + bool b").find("bool modifier can only be used on comparison operators"), std::string::npos);
  EXPECT_NE(error_of("nosuch(a[5m])").find("unknown function"), std::string::npos);
  EXPECT_EQ(error_of("rate(a)"),
            "expected type range vector in call to function \"rate\", got instant vector at column 6");
  EXPECT_EQ(error_of("a[5x]"), "bad duration syntax: \"5x\" at column 3");
  EXPECT_EQ(error_of("a[5m"), "unexpected end of input at column 5, expected \"]\"");
  EXPECT_NE(error_of("a[5m] + 1").find("binary expression must contain only scalar and instant vector types"),
            std::string::npos);
  EXPECT_NE(error_of("sum(a[5m])").find("got range vector"), std::string::npos);
  EXPECT_NE(error_of("-a[5m]").find("unary expression only allowed"), std::string::npos);
  EXPECT_NE(error_of("a offset").find("expected duration"), std::string::npos);
  EXPECT_NE(error_of(R"({job=""})").find("at least one non-empty matcher"), std::string::npos);
  EXPECT_NE(error_of(R"(up{__name__="x"})").find("metric name must not be set twice"), std::string::npos);
  EXPECT_NE(error_of(R"(up{a=~"("})").find("invalid regular expression"), std::string::npos);
  EXPECT_NE(error_of("abs(1)").find("expected type instant vector in call to function \"abs\", got scalar"),
            std::string::npos);
  EXPECT_NE(error_of("sum(1)").find("expected type instant vector in aggregation expression"), std::string::npos);
  EXPECT_NE(error_of("a and on(x) group_left b").find("no grouping allowed for \"and\" operation"), std::string::npos);
  EXPECT_NE(error_of("\"x\"").find("string literals are not supported"), std::string::npos);
  EXPECT_NE(error_of("up{a=\"x}").find("unterminated quoted string"), std::string::npos);
  EXPECT_NE(error_of("count_values(\"v\", a)").find("not supported"), std::string::npos);
  EXPECT_NE(error_of("topk(a, a)").find("expected type scalar in aggregation parameter"), std::string::npos);
  EXPECT_NE(error_of("time(1)").find("wrong number of arguments"), std::string::npos);
}

// Found by tests/fuzz (promql target): 4,000 unary minus signs overflowed the
// stack of the recursive parser. Nesting is now bounded, with a clear error.
TEST(PromqlParser, DeepNestingIsAnErrorNotACrash) {
  std::string chain = "1";
  for (int i = 0; i < 3000; ++i) chain += "+1";
  for (const std::string& deep :
       {std::string(4000, '-') + "1", std::string(5000, '(') + "1" + std::string(5000, ')'), chain}) {
    EXPECT_NE(error_of(deep).find("expression nested too deeply (more than 256 levels)"), std::string::npos)
        << deep.substr(0, 20);
  }
  // Depth 2 per level (call + binary operator): 100 levels stay well within.
  std::string ok = "x";
  for (int i = 0; i < 100; ++i) ok = "abs(" + ok + ") + x";
  EXPECT_EQ(error_of(ok), "");
}
