// RuleEngine::evaluate with 500 rules over 10,000 series (bench/RESULTS.md).
#include <algorithm>

#include <benchmark/benchmark.h>

#include "alerts/rule_engine.h"

using namespace pgw;

namespace {

// 100 metrics x 100 series (cluster c0..c4 x node n0..n19).
std::vector<Sample> make_samples() {
  std::vector<Sample> s;
  for (int m = 0; m < 100; ++m)
    for (int i = 0; i < 100; ++i)
      s.push_back({"bench_metric_" + std::to_string(m),
                   {{"cluster", "c" + std::to_string(i % 5)}, {"node", "n" + std::to_string(i / 5)}},
                   static_cast<double>((i * 37 + m) % 100)});
  return s;
}

// 500 rules of the shapes the built-in pack uses: threshold, ratio with
// matching, `unless` join, aggregation.
Config make_config() {
  Config c;
  c.alerts.builtin = false;
  for (int r = 0; r < 500; ++r) {
    RuleConfig rule;
    rule.alert = "Bench" + std::to_string(r);
    std::string a = "bench_metric_" + std::to_string(r % 100), b = "bench_metric_" + std::to_string((r + 1) % 100);
    switch (r % 4) {
      case 0: rule.expr = a + " > 90"; break;
      case 1: rule.expr = a + " / on(cluster, node) " + b + " > 2"; break;
      case 2: rule.expr = a + " == 0 unless on(cluster, node) " + b + "{cluster=\"c0\"}"; break;
      case 3: rule.expr = "sum by (cluster) (" + a + ") > 1000"; break;
    }
    rule.for_ = Duration(60000);
    rule.annotations["summary"] = "{{ $labels.node }} is {{ $value | humanize }}";
    c.rules.push_back(rule);
  }
  return c;
}

void BM_Evaluate500RulesOver10kSeries(benchmark::State& state) {
  auto samples = make_samples();
  RuleEngine engine(make_config());
  auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    now += std::chrono::seconds(5);
    engine.evaluate(samples, now);
  }
  state.counters["alerts"] = static_cast<double>(engine.alerts().size());
}
BENCHMARK(BM_Evaluate500RulesOver10kSeries)->Unit(benchmark::kMillisecond);

// The same rounds when the series set is rebuilt every time: the samples
// alternate between two orders, so the last round's index never applies.
void BM_Evaluate500RulesOver10kSeriesRebuilt(benchmark::State& state) {
  std::vector<Sample> orders[2] = {make_samples(), make_samples()};
  std::reverse(orders[1].begin(), orders[1].end());
  RuleEngine engine(make_config());
  auto now = std::chrono::system_clock::now();
  size_t round = 0;
  for (auto _ : state) {
    now += std::chrono::seconds(5);
    engine.evaluate(orders[round++ % 2], now);
  }
  state.counters["alerts"] = static_cast<double>(engine.alerts().size());
}
BENCHMARK(BM_Evaluate500RulesOver10kSeriesRebuilt)->Unit(benchmark::kMillisecond);

}  // namespace
