// Differential test of range vectors, offsets and functions: the same
// timestamped samples are backfilled into a real Prometheus 2.42 (promtool
// tsdb create-blocks-from openmetrics) and stored in pgwarden's history;
// both evaluate the same expressions at the same fixed times. Label sets
// must be identical and values equal within 1e-9 relative (NaN == NaN).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alerts/promql_eval.h"
#include "alerts/promql_history.h"
#include "alerts/promql_parser.h"
#include "core/http_client.h"
#include "tests/fixtures/promql_outcome.h"
#include "tests/fixtures/test_util.h"

using namespace pgw;
using namespace std::chrono_literals;

namespace {

struct RawSeries {
  std::string name;
  Labels labels;
  std::vector<promql::Point> points;
};

// Samples relative to `base` (ms): counters with resets, a counter that
// starts high (extrapolation stops at zero), series that appear and vanish,
// gaps, irregular spacing, NaN, constant and linear gauges.
std::vector<RawSeries> fixture(std::int64_t base) {
  std::vector<RawSeries> out;
  auto add = [&](std::string name, Labels labels) -> RawSeries& {
    out.push_back(RawSeries{std::move(name), std::move(labels), {}});
    return out.back();
  };
  const std::int64_t s = 1000, m = 60 * s;
  {  // counter, 15 s scrapes, reset at 10m and at 22m
    auto& c = add("r_total", {{"node", "a"}});
    double v = 0;
    for (int i = 0; i <= 120; ++i) {
      std::int64_t t = base + i * 15 * s;
      if (t == base + 10 * m) v = 3;
      else if (t == base + 22 * m) v = 0;
      else v += 10 + (i % 3);
      c.points.push_back({t, v});
    }
  }
  {  // counter that starts high, appears at 5m and vanishes after 20m
    auto& c = add("r_total", {{"node", "b"}});
    for (int i = 0; i <= 60; ++i) c.points.push_back({base + 5 * m + i * 15 * s, 1000.0 + i});
  }
  {  // sparse counter (60 s) with a gap from 12m to 18m, irregular offsets
    auto& c = add("r_total", {{"node", "c"}});
    double v = 5;
    for (int i = 0; i <= 30; ++i) {
      if (i > 12 && i < 18) continue;
      v += 7.5;
      c.points.push_back({base + i * m + (i % 4) * 1300, v});
    }
  }
  {  // gauge going up and down
    auto& g = add("g", {{"node", "a"}, {"kind", "x"}});
    for (int i = 0; i <= 120; ++i) g.points.push_back({base + i * 15 * s, 50 + (i % 7) * 3.25 - (i % 5) * 2});
  }
  {  // linear decline (predict_linear, deriv)
    auto& g = add("g", {{"node", "b"}, {"kind", "x"}});
    for (int i = 0; i <= 120; ++i) g.points.push_back({base + i * 15 * s, 1e9 - 123456.5 * i});
  }
  {  // gauge with a NaN and a negative stretch, 30 s spacing
    auto& g = add("g", {{"node", "c"}, {"kind", "y"}});
    for (int i = 0; i <= 60; ++i) g.points.push_back({base + i * 30 * s, i == 20 ? std::nan("") : (i < 40 ? -2.0 * i : 0.5 * i)});
  }
  {  // constant
    auto& d = add("d_const", {{"node", "a"}, {"path", "/x"}});
    for (int i = 0; i <= 120; ++i) d.points.push_back({base + i * 15 * s, 5});
  }
  {  // flapping 0/1 every minute
    auto& f = add("flap", {{"node", "a"}});
    for (int i = 0; i <= 30; ++i) f.points.push_back({base + i * m, static_cast<double>(i % 2)});
  }
  {  // for label_replace and aggregations
    int n = 0;
    for (const char* src : {"foo-1", "bar-22", "foo-3", "baz"}) {
      auto& l = add("lr", {{"src", src}, {"grp", n % 2 ? "odd" : "even"}});
      for (int i = 0; i <= 120; ++i) l.points.push_back({base + i * 15 * s, 10.0 * n + (i % 4)});
      ++n;
    }
  }
  for (auto& r : out) normalize(r.labels);
  return out;
}

std::string openmetrics(const std::vector<RawSeries>& all) {
  std::map<std::string, std::vector<const RawSeries*>> by_name;  // one family block each
  for (const auto& r : all) by_name[r.name].push_back(&r);
  std::string out;
  for (const auto& [name, list] : by_name) {
    for (const auto* r : list)
      for (const auto& p : r->points) {
        out += name + "{";
        for (size_t i = 0; i < r->labels.size(); ++i)
          out += (i ? "," : "") + r->labels[i].first + "=\"" + r->labels[i].second + "\"";
        char ts[64];
        std::snprintf(ts, sizeof ts, "%lld.%03lld", static_cast<long long>(p.t / 1000), static_cast<long long>(p.t % 1000));
        out += "} " + test::format_value(p.v) + " " + ts + "\n";
      }
  }
  return out + "# EOF\n";
}

const std::vector<std::string> kExpressions = {
    // rate / increase / delta: extrapolation, resets, start near zero, gaps
    "rate(r_total[1m])", "rate(r_total[5m])", "rate(r_total[10m])", "rate(r_total[90s])", "rate(r_total[20s])",
    "increase(r_total[1m])", "increase(r_total[5m])", "increase(r_total[15m])", "increase(r_total{node=\"c\"}[7m])",
    "delta(g[5m])", "delta(g[1m])", "delta(r_total[5m])", "delta(g{kind=\"y\"}[10m])",
    "rate(r_total[5m] offset 3m)", "increase(r_total[2m] offset 10m)", "rate(g[5m])",
    // irate / idelta
    "irate(r_total[1m])", "irate(r_total[5m])", "idelta(g[1m])", "idelta(g[5m])", "irate(flap[3m])",
    "idelta(r_total[2m] offset 1m)",
    // deriv / predict_linear
    "deriv(g[5m])", "deriv(g[10m])", "deriv(d_const[5m])", "deriv(r_total[3m])",
    "predict_linear(g[5m], 3600)", "predict_linear(g[10m], 600)", "predict_linear(d_const[5m], 100)",
    "predict_linear(g{node=\"b\"}[30m], 14400) < 0", "predict_linear(g[2m] offset 2m, 60)",
    // changes / resets
    "changes(flap[5m])", "changes(g[10m])", "changes(d_const[5m])", "resets(r_total[30m])", "resets(flap[10m])",
    "resets(g[5m])", "changes(r_total[1h])",
    // *_over_time
    "avg_over_time(g[5m])", "min_over_time(g[5m])", "max_over_time(g[5m])", "sum_over_time(g[5m])",
    "count_over_time(g[5m])", "last_over_time(g[5m])", "quantile_over_time(0.5, g[5m])",
    "quantile_over_time(0.9, g[10m])", "quantile_over_time(0, g[5m])", "quantile_over_time(1.5, g[5m])",
    "stddev_over_time(g[5m])", "stdvar_over_time(g[5m])", "stddev_over_time(d_const[5m])",
    "count_over_time(r_total[2m])", "last_over_time(r_total[1m] offset 5m)", "max_over_time(flap[1m])",
    "avg_over_time(g{kind=\"y\"}[20m])", "sum_over_time(flap[10m])", "min_over_time(g{kind=\"y\"}[1h])",
    // absent_over_time / present_over_time
    "absent_over_time(r_total{node=\"b\"}[1m])", "absent_over_time(nothing{a=\"b\"}[5m])",
    "absent_over_time(r_total[5m])", "present_over_time(r_total[1m])", "present_over_time(g{node=\"a\"}[5m])",
    // offset on instant selectors and the 5m lookback
    "r_total", "r_total offset 5m", "g offset 90s", "g - g offset 1m", "r_total{node=\"b\"} offset 30s",
    "timestamp(r_total)", "timestamp(g offset 2m)", "timestamp(flap)",
    // instant functions
    "abs(g)", "clamp_min(g, 55)", "clamp_max(g, 55)", "round(g)", "round(g, 5)", "ceil(g)", "floor(g)",
    "scalar(g{node=\"a\"})", "vector(scalar(d_const))",
    "label_replace(lr, \"num\", \"$1\", \"src\", \"[a-z]+-(\\\\d+)\")",
    "label_replace(lr, \"src\", \"x$1y\", \"src\", \"(foo)-.*\")",
    "label_replace(lr, \"num\", \"$1x\", \"src\", \"[a-z]+-(\\\\d+)\")",
    "label_replace(lr, \"__name__\", \"renamed\", \"src\", \"baz\")",
    "label_replace(g, \"kind\", \"\", \"kind\", \"x\")",
    // aggregations
    "topk(2, lr)", "bottomk(2, lr)", "topk(1, lr) by (grp)", "bottomk(1, lr) by (grp)", "topk(10, g)",
    "quantile(0.5, lr)", "quantile(0.25, lr) by (grp)", "stddev(lr)", "stdvar(lr) by (grp)", "stddev(g)",
    "sum(rate(r_total[5m]))", "max by (kind) (deriv(g[5m]))", "count(present_over_time(r_total[10m]))",
    "sum by (node) (increase(r_total[10m])) > 50",
    "rate(r_total[5m]) > 0.5 and on(node) max_over_time(g[5m]) > 0",
};

using test::PromOutcome;
using test::describe;

PromOutcome pgwarden_eval(const std::string& expr, const promql::History& history, std::int64_t t_ms) {
  PromOutcome o;
  try {
    promql::SeriesSet none(std::vector<Sample>{});
    promql::EvalOptions opt;
    opt.history = &history;
    opt.instants_from_history = true;
    promql::Value v = promql::evaluate(*promql::parse(expr), none, opt, static_cast<double>(t_ms) / 1000);
    o.scalar = v.type == promql::ValueType::Scalar;
    if (o.scalar) o.rows.emplace_back("", v.scalar);
    for (const auto& s : v.vector) o.rows.emplace_back(test::render_labels(s.labels), s.value);
  } catch (const std::exception& e) {
    o.error = true;
    o.message = e.what();
  }
  test::sort_rows(o);
  return o;
}

}  // namespace

TEST(PromqlRangeDifferential, SameResultsAsPrometheus) {
  ASSERT_GE(kExpressions.size(), 80u);
  std::string dir = test::make_temp_dir("pgwarden-promql-range-diff");
  struct Cleanup {
    std::string d;
    ~Cleanup() { test::remove_tree(d); }
  } cleanup{dir};

  // Two hours back, on a whole minute: inside the default retention, and
  // before the head block Prometheus opens at start.
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  std::int64_t base = (now_ms - 3 * 3600 * 1000) / 60000 * 60000;
  auto series = fixture(base);
  test::write_file(dir + "/samples.om", openmetrics(series));
  auto made = test::run_command("promtool tsdb create-blocks-from openmetrics " + dir + "/samples.om " + dir + "/data",
                                true);
  ASSERT_EQ(made.exit_code, 0) << made.out;

  promql::History history;
  for (const auto& r : series) {
    Labels l = r.labels;
    l.emplace_back("__name__", r.name);
    normalize(l);
    for (const auto& p : r.points) history.add(l, p.t, p.v);
  }

  int port = test::free_port();
  test::write_file(dir + "/prometheus.yml", "global:\n  scrape_interval: 1h\n");
  test::ScopedChild prom({"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
                "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"},
               dir + "/prometheus.log");
  ASSERT_TRUE(prom.started());
  const std::int64_t m = 60000;
  std::string probe = test::prometheus_time(base + 10 * m);
  bool ready = test::poll_until(
      [&] {
        return test::prometheus_instant_query(port, "count({__name__=~\".+\"})", probe).rows.size() == 1;
      },
      60s, 200ms);
  ASSERT_TRUE(ready) << "Prometheus did not load the blocks; log:\n" << test::read_file(dir + "/prometheus.log");

  // Aligned and unaligned times: during a reset, in the gap, as series
  // appear (5m) and vanish (20m, 30m), and after everything ended.
  const std::vector<std::int64_t> times = {base + 4 * m + 10000, base + 10 * m, base + 15 * m + 7300,
                                           base + 22 * m + 5000, base + 31 * m + 30000, base + 36 * m};
  int compared = 0, with_rows = 0, mismatches = 0;
  for (const auto& expr : kExpressions)
    for (std::int64_t t : times) {
      PromOutcome ours = pgwarden_eval(expr, history, t);
      PromOutcome theirs = test::prometheus_instant_query(port, expr, test::prometheus_time(t));
      bool ok = test::same_outcome(ours, theirs, 1e-9);
      EXPECT_TRUE(ok) << "expr: " << expr << " at base+" << (t - base) / 1000.0 << "s\n  pgwarden:   "
                      << describe(ours) << "\n  prometheus: " << describe(theirs);
      mismatches += !ok;
      ++compared;
      with_rows += !theirs.rows.empty();
    }
  std::printf("compared %d (expression, time) pairs, %d with results, %d mismatches\n", compared, with_rows, mismatches);
  EXPECT_GE(with_rows, compared / 2);  // not a vacuous pass
}
