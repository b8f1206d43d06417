// Range selectors, offsets, the functions over them, the new aggregations
// and the rule history (what it keeps, its bound, staleness, save/restore).
#include <cmath>

#include <gtest/gtest.h>

#include "alerts/promql_eval.h"
#include "alerts/promql_parser.h"
#include "alerts/promql_range_functions.h"
#include "alerts/rule_engine.h"
#include "alerts/rule_history.h"

using namespace pgw;
using namespace pgw::promql;

namespace {

Labels series(const std::string& name, Labels l) {
  l.emplace_back("__name__", name);
  normalize(l);
  return l;
}

// Evaluates against stored points (as a Prometheus query would).
std::map<std::string, double> eval_at(const History& h, const std::string& expr, double t) {
  SeriesSet none(std::vector<Sample>{});
  EvalOptions opt;
  opt.history = &h;
  opt.instants_from_history = true;
  Value v = evaluate(*parse(expr), none, opt, t);
  std::map<std::string, double> out;
  if (v.type == ValueType::Scalar) out["scalar"] = v.scalar;
  for (const auto& s : v.vector) {
    std::string k;
    for (const auto& [n, val] : s.labels) k += n + "=" + val + ",";
    out[k] = s.value;
  }
  return out;
}

// A counter sampled every 10 s from t=0 to t=100 s: 0, 10, ..., with a reset to 5 at t=60.
History counter_history() {
  History h;
  Labels l = series("c_total", {{"node", "a"}});
  double v = 0;
  for (int i = 0; i <= 10; ++i) {
    v = i == 6 ? 5 : (i < 6 ? 10.0 * i : 5 + 10.0 * (i - 6));
    h.add(l, i * 10000, v);
  }
  return h;
}

}  // namespace

TEST(PromqlRange, ParsesRangesAndOffsets) {
  auto n = parse("rate(a{b=\"c\"}[1h30m] offset 5m)");
  ASSERT_EQ(n->kind, Node::Kind::Call);
  const Node& sel = *n->args[0];
  EXPECT_TRUE(sel.range_selector);
  EXPECT_EQ(sel.range_ms, 90 * 60 * 1000);
  EXPECT_EQ(sel.offset_ms, 5 * 60 * 1000);
  EXPECT_EQ(sel.type(), ValueType::Matrix);
  EXPECT_EQ(parse("a offset 1m")->offset_ms, 60000);
  EXPECT_EQ(parse("topk(3, a) by (x)")->args.size(), 2u);
}

TEST(PromqlRange, IncreaseCountsResetsAndExtrapolates) {
  History h = counter_history();
  // Raw: 0..50, reset to 5, then ..45: increase = 50 + 45 = 95 over the
  // sampled 100 s; the window [0,100] is fully covered: no extrapolation.
  EXPECT_DOUBLE_EQ(eval_at(h, "increase(c_total[100s])", 100).begin()->second, 95);
  EXPECT_DOUBLE_EQ(eval_at(h, "rate(c_total[100s])", 100).begin()->second, 0.95);
  EXPECT_DOUBLE_EQ(eval_at(h, "resets(c_total[100s])", 100).begin()->second, 1);
  EXPECT_DOUBLE_EQ(eval_at(h, "changes(c_total[100s])", 100).begin()->second, 10);
  // [65, 105]: points 70..100 (15..45): 30 over 30 s sampled, extrapolated
  // by 5 s at the start and 5 s at the end (both below 1.1 x 10 s): 40.
  EXPECT_DOUBLE_EQ(eval_at(h, "increase(c_total[40s])", 105).begin()->second, 40);
  // irate after the reset takes the new value as the increase.
  EXPECT_DOUBLE_EQ(eval_at(h, "irate(c_total[15s])", 60).begin()->second, 0.5);
  EXPECT_DOUBLE_EQ(eval_at(h, "idelta(c_total[15s])", 60).begin()->second, -45);
  // Fewer than two points: no result.
  EXPECT_TRUE(eval_at(h, "rate(c_total[5s])", 100).empty());
  // The name goes, except for last_over_time.
  EXPECT_EQ(eval_at(h, "rate(c_total[100s])", 100).begin()->first, "node=a,");
  EXPECT_EQ(eval_at(h, "last_over_time(c_total[100s])", 100).begin()->first, "__name__=c_total,node=a,");
}

TEST(PromqlRange, ExtrapolationStopsAtZeroForCounters) {
  History h;
  Labels l = series("c_total", {});
  // 10, 20, 30 at 50, 60, 70 s: extrapolating back to 20 s would go below zero.
  for (int i = 0; i < 3; ++i) h.add(l, 50000 + i * 10000, 10.0 * (i + 1));
  // Start 20 s before the first point, but the counter reaches 0 after 10 s.
  // interval = 20 sampled + 10 (to zero, < 11) + 0 (end) = 30 -> 20 * 30/20.
  EXPECT_DOUBLE_EQ(eval_at(h, "increase(c_total[40s])", 70).begin()->second, 30);
  // delta is not a counter: extrapolation only halves an interval when far.
  EXPECT_DOUBLE_EQ(eval_at(h, "delta(c_total[40s])", 70).begin()->second, 20.0 * 25 / 20);
}

TEST(PromqlRange, LeastSquaresAndOverTime) {
  History h;
  Labels l = series("g", {});
  for (int i = 0; i <= 10; ++i) h.add(l, i * 60000, 1000 - 5.0 * i);  // -5 per minute
  EXPECT_NEAR(eval_at(h, "deriv(g[10m])", 600).begin()->second, -5.0 / 60, 1e-12);
  // At t=600 s the value is 950; in one hour 300 less.
  EXPECT_NEAR(eval_at(h, "predict_linear(g[10m], 3600)", 600).begin()->second, 650, 1e-9);
  EXPECT_DOUBLE_EQ(eval_at(h, "avg_over_time(g[10m])", 600).begin()->second, 975);
  EXPECT_DOUBLE_EQ(eval_at(h, "min_over_time(g[10m])", 600).begin()->second, 950);
  EXPECT_DOUBLE_EQ(eval_at(h, "max_over_time(g[10m])", 600).begin()->second, 1000);
  EXPECT_DOUBLE_EQ(eval_at(h, "count_over_time(g[10m])", 600).begin()->second, 11);
  EXPECT_DOUBLE_EQ(eval_at(h, "quantile_over_time(0.5, g[10m])", 600).begin()->second, 975);
  EXPECT_NEAR(eval_at(h, "stddev_over_time(g[10m])", 600).begin()->second, 5 * std::sqrt(10.0), 1e-9);
  // Offsets: the instant selector 5m back sees the value of t=300 s.
  EXPECT_DOUBLE_EQ(eval_at(h, "g offset 5m", 600).begin()->second, 975);
  EXPECT_DOUBLE_EQ(eval_at(h, "timestamp(g offset 5m)", 630).begin()->second, 300);
  // The 5 m lookback: nothing more than 5 minutes after the last point.
  EXPECT_EQ(eval_at(h, "g", 600 + 300).size(), 1u);
  EXPECT_TRUE(eval_at(h, "g", 600 + 301).empty());
  EXPECT_EQ(eval_at(h, "absent_over_time(g[1m])", 1000).begin()->second, 1);
  EXPECT_TRUE(eval_at(h, "absent_over_time(g[10m])", 1000).empty());
}

TEST(PromqlRange, AggregationsAndLabelReplace) {
  History h;
  int i = 0;
  for (const char* n : {"a", "b", "c", "d"}) {  // a=1 even, b=2 odd, c=3 even, d=4 odd
    h.add(series("x", {{"n", n}, {"g", i % 2 ? "odd" : "even"}}), 0, i + 1);
    ++i;
  }
  auto top = eval_at(h, "topk(2, x)", 0);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top.begin()->second, 3);  // keeps all labels, name included
  EXPECT_EQ(top.begin()->first, "__name__=x,g=even,n=c,");
  EXPECT_EQ(eval_at(h, "bottomk(1, x) by (g)", 0).size(), 2u);
  EXPECT_DOUBLE_EQ(eval_at(h, "quantile(0.5, x)", 0).begin()->second, 2.5);
  EXPECT_NEAR(eval_at(h, "stddev(x)", 0).begin()->second, std::sqrt(1.25), 1e-12);
  auto rep = eval_at(h, "label_replace(x{n=\"a\"}, \"m\", \"<$1>\", \"n\", \"(.*)\")", 0);
  EXPECT_EQ(rep.begin()->first, "__name__=x,g=even,m=<a>,n=a,");
  // "$1x" names group "1x" (Go's template rules): empty, so no label.
  rep = eval_at(h, "label_replace(x{n=\"a\"}, \"m\", \"$1x\", \"n\", \"(.*)\")", 0);
  EXPECT_EQ(rep.begin()->first, "__name__=x,g=even,n=a,");
  EXPECT_THROW(eval_at(h, "label_replace(x, \"n\", \"same\", \"n\", \".*\")", 0), EvalError);
}

TEST(RuleHistory, KeepsOnlyNeededSeriesAsDeepAsNeeded) {
  auto e1 = parse("rate(c_total{node=\"a\"}[2m]) > 0");
  auto e2 = parse("g offset 1m");
  RuleHistory rh(1000);
  rh.set_needs({e1.get(), e2.get()});
  for (int i = 0; i <= 60; ++i) {
    std::vector<Sample> round = {{"c_total", {{"node", "a"}}, 10.0 * i},
                                 {"c_total", {{"node", "b"}}, 1.0 * i},
                                 {"g", {{"node", "a"}}, 1.0 * i},
                                 {"other", {}, 1}};
    rh.record(SeriesSet(round), i * 10000);
  }
  // c_total{node="a"} for 2 minutes (13 points at 10 s, both ends inclusive),
  // g for the offset plus the 5 m lookback (6 minutes: 37 points).
  EXPECT_EQ(rh.history().series_count(), 2u);
  EXPECT_EQ(rh.history().sample_count(), 13u + 37u);
  EXPECT_EQ(rh.dropped_samples(), 0u);

  // A restore with other needs keeps only what they match.
  auto e3 = parse("delta(g[30s])");
  RuleHistory other(1000);
  other.set_needs({e3.get()});
  other.restore(rh.save());
  EXPECT_EQ(other.history().series_count(), 1u);
  EXPECT_THROW(other.restore(nlohmann::json{{"version", 2}}), std::invalid_argument);
  EXPECT_EQ(other.history().series_count(), 1u);  // bad input changed nothing
}

TEST(RuleHistory, BoundDropsOldestFirstAndCounts) {
  auto e = parse("max_over_time(g[1h])");
  RuleHistory rh(10);
  rh.set_needs({e.get()});
  for (int i = 0; i < 8; ++i)
    rh.record(SeriesSet({{"g", {{"n", "a"}}, 1.0 * i}, {"g", {{"n", "b"}}, 2.0 * i}}), i * 1000);
  EXPECT_LE(rh.history().sample_count(), 10u);
  EXPECT_EQ(rh.dropped_samples(), 6u);  // 16 recorded, 10 kept
  // The newest points are the ones kept.
  std::vector<Sample> metrics;
  rh.append_samples(metrics);
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics[2].name, "pgwarden_rule_history_dropped_samples_total");
  EXPECT_EQ(metrics[2].value, 6);
}

TEST(RuleHistory, VanishedSeriesGoStaleForOffsetLookups) {
  auto e = parse("g offset 10s");
  RuleHistory rh;
  rh.set_needs({e.get()});
  rh.record(SeriesSet({{"g", {}, 1}}), 0);
  rh.record(SeriesSet({{"g", {}, 2}}), 10000);
  rh.record(SeriesSet(std::vector<Sample>{}), 20000);  // gone
  SeriesSet none(std::vector<Sample>{});
  EvalOptions opt;
  opt.history = &rh.history();
  EXPECT_EQ(evaluate(*e, none, opt, 20).vector.size(), 1u);  // at 10 s it was there
  EXPECT_TRUE(evaluate(*e, none, opt, 30).vector.empty());   // at 20 s it was stale
}

// The engine feeds its history each round: the built-in trend rule sees
// the slot's safe_wal_size fall and fires after `for` (1m by default).
TEST(RuleHistory, EngineFiresTrendRuleFromItsHistory) {
  RuleEngine engine(Config{});
  auto round = [&](int minute, double safe) {
    std::vector<Sample> s = {{"pgwarden_slot_safe_wal_size_bytes",
                              {{"cluster", "c"}, {"node", "n"}, {"slot", "s"}, {"slot_type", "physical"}}, safe}};
    engine.evaluate(s, TimePoint(std::chrono::minutes(minute)));
  };
  auto state = [&]() -> std::string {
    for (const auto& a : engine.active_alerts())
      if (a.name() == "PgReplicationSlotWalLossPredicted") return alert_state_name(a.state);
    return "none";
  };
  round(0, 1e9);
  EXPECT_EQ(state(), "none");  // one point: no trend yet
  round(1, 0.9e9);             // 100 MB a minute: zero in 9 minutes
  EXPECT_EQ(state(), "pending");
  round(2, 0.8e9);
  EXPECT_EQ(state(), "firing");
  // A restart in between: the saved history gives the trend back at once.
  RuleEngine restarted(Config{});
  restarted.restore_history(engine.save_history());
  restarted.evaluate({{"pgwarden_slot_safe_wal_size_bytes",
                       {{"cluster", "c"}, {"node", "n"}, {"slot", "s"}, {"slot_type", "physical"}}, 0.7e9}},
                     TimePoint(std::chrono::minutes(3)));
  bool pending = false;
  for (const auto& a : restarted.active_alerts())
    pending = pending || a.name() == "PgReplicationSlotWalLossPredicted";
  EXPECT_TRUE(pending);
}
