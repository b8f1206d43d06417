// The built-in rule pack at 3, 100 and 1,000 nodes: what its history keeps
// in memory and what a whole evaluation round costs in steady state
// (bench/RESULTS.md "Rule history at 3 / 100 / 1,000 nodes").
//
// A round's samples are real: bench/history_bench_metrics.txt is the
// /metrics body of one `pgwarden serve` watching a healthy scripts/pgcluster
// (primary alpha, standbys beta/gamma/delta with slots and
// max_slot_wal_keep_size set, every node with SSH host probes of two
// filesystems, a backup glob and the embedder stub), with its paths replaced
// by neutral ones. Every cluster of the benchmark is a relabelled copy
// (cluster="cN"); a cluster of fewer than four nodes drops the series of the
// missing ones. The values move from round to round (counters and WAL
// positions grow, free space shrinks, safe_wal_size saw-tooths, lag
// jitters), so rate/increase/predict_linear compute on real numbers while
// the cluster stays healthy.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <benchmark/benchmark.h>

#include "alerts/promql_parser.h"
#include "alerts/promql_series_set.h"
#include "alerts/rule_engine.h"
#include "alerts/rule_history.h"
#include "core/config.h"
#include "tests/fixtures/exposition.h"

using namespace pgw;

namespace {

constexpr std::chrono::seconds kInterval{15};  // etc/aya.toml's interval
// The deepest selector of the pack is HostDiskFillPredicted's [1h]: 241
// points at 15 s. Fill well past it so the point buffers have reached the
// size they keep (they compact once half of them is dead).
constexpr int kFillRounds = 2 * 241 + 10;

const char* const kNodeNames[] = {"alpha", "beta", "gamma", "delta"};

// Heap bytes in use (glibc; -1 where unknown, e.g. macOS).
double heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 mi = mallinfo2();
  return static_cast<double>(mi.uordblks + mi.hblkhd);
#else
  return -1;
#endif
}

// As bench/scale's config: n/4 clusters c0, c1, ... of four entries (alpha
// the primary, the others its standbys), the last one smaller when n is not
// a multiple of four; each node with the host probes of the capture.
Config make_config(int n) {
  Config c;
  c.exporter.interval = Duration(std::chrono::duration_cast<std::chrono::milliseconds>(kInterval).count());
  for (int j = 0; j < n; j += 4) {
    int k = std::min(4, n - j);
    ClusterConfig cl;
    cl.name = "c" + std::to_string(j / 4);
    for (int i = 0; i < k; ++i) {
      NodeConfig node;
      node.name = kNodeNames[i];
      node.role = i == 0 ? Role::Primary : Role::Standby;
      node.conninfo = "host=" + cl.name + "-" + node.name + " dbname=postgres user=pgwarden";
      node.embedder = EmbedderConfig{"http://" + cl.name + "-" + node.name + ":8765", "health probe", 768};
      node.ssh = SshConfig{cl.name + "-" + node.name, 22, "monitor", "id_ed25519", "known_hosts"};
      node.data_dir = "/var/lib/postgresql/15/main";
      node.disk_paths = {node.data_dir, "/"};
      node.backup_glob = "/var/backups/postgresql/db_*.sql";
      if (i > 0) {
        cl.expected_standbys.push_back(node.name);
        cl.expected_slots.push_back(node.name + "_slot");
      }
      cl.nodes.push_back(std::move(node));
    }
    c.clusters.push_back(std::move(cl));
  }
  return c;
}

std::string read_fixture() {
  const std::string path = std::string(PGWARDEN_SOURCE_DIR) + "/bench/history_bench_metrics.txt";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// How a series' value moves from round to round.
enum class Motion { Constant, Counter, Shrinking, SawTooth, Jitter };

Motion motion_of(const std::string& name) {
  auto ends_with = [&](std::string_view s) { return name.size() >= s.size() && name.ends_with(s); };
  if (name.find("failed") != std::string::npos || name.find("errors") != std::string::npos) return Motion::Constant;
  if (ends_with("_total") || ends_with("_lsn_bytes")) return Motion::Counter;
  if (name == "pgwarden_host_filesystem_free_bytes") return Motion::Shrinking;
  if (name == "pgwarden_slot_safe_wal_size_bytes") return Motion::SawTooth;
  if (name.find("lag_bytes") != std::string::npos || name.find("retained_bytes") != std::string::npos)
    return Motion::Jitter;
  return Motion::Constant;
}

// One round's input for n nodes, in the same order every round (as the
// snapshot store delivers it), with the base value of each sample.
struct Round {
  std::vector<Sample> samples;
  std::vector<double> base;
  std::vector<Motion> motion;

  void advance(std::int64_t r) {
    for (size_t i = 0; i < samples.size(); ++i) {
      double b = base[i];
      double k = static_cast<double>(i % 5 + 1);
      double& v = samples[i].value;
      switch (motion[i]) {
        case Motion::Constant: v = b; break;
        case Motion::Counter: v = b + static_cast<double>(r) * k * (b > 1e6 ? 65536 : 1); break;
        case Motion::Shrinking: v = b - static_cast<double>(r) * k * 65536 + static_cast<double>((r * 7 + i) % 5) * 4096; break;
        case Motion::SawTooth: v = b - static_cast<double>(r % 40) * 1048576; break;
        case Motion::Jitter: v = b + static_cast<double>((r + i) % 3) * 8192; break;
      }
    }
  }
};

Round make_round(int n) {
  auto expo = test::parse_exposition(read_fixture());
  Round round;
  auto push = [&](std::string name, Labels labels, double v) {
    normalize(labels);
    round.motion.push_back(motion_of(name));
    round.base.push_back(v);
    round.samples.push_back(Sample{std::move(name), std::move(labels), v});
  };
  // The rule engine's input is the store plus build_info (exporter/
  // alert_round.cpp); the process's other series are not.
  for (const auto& s : expo.samples)
    if (s.name == "pgwarden_build_info") push(s.name, Labels(s.labels.begin(), s.labels.end()), s.value);
  for (int j = 0; j < n; j += 4) {
    int k = std::min(4, n - j);
    std::set<std::string> missing;  // names of the capture's nodes this cluster lacks
    for (int i = k; i < 4; ++i) {
      missing.insert(kNodeNames[i]);
      missing.insert(std::string(kNodeNames[i]) + "_slot");
    }
    const std::string cluster = "c" + std::to_string(j / 4);
    for (const auto& s : expo.samples) {
      if (!s.labels.count("cluster")) continue;
      bool skip = false;
      for (const auto& [name, value] : s.labels) skip = skip || missing.count(value);
      if (skip) continue;
      Labels labels(s.labels.begin(), s.labels.end());
      for (auto& [name, value] : labels)
        if (name == "cluster") value = cluster;
      push(s.name, std::move(labels), s.value);
    }
  }
  return round;
}

TimePoint start_time() { return TimePoint(std::chrono::seconds(1'800'000'000)); }

std::int64_t ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The rule engine for n nodes filled to steady state, kept between the
// repetitions of one size (filling 1,000 nodes takes a while).
struct Steady {
  int nodes = 0;
  Round round;
  std::unique_ptr<RuleEngine> engine;
  TimePoint now = start_time();
  std::int64_t r = 0;
  double engine_heap = -1;  // heap growth from before the first round to steady state
  double history_series = 0, history_samples = 0;

  void step() {
    round.advance(++r);
    now += kInterval;
    engine->evaluate(round.samples, now);
  }
  void read_history_counters() {
    std::vector<Sample> out;
    engine->append_samples(out);
    for (const auto& s : out) {
      if (s.name == "pgwarden_rule_history_series") history_series = s.value;
      if (s.name == "pgwarden_rule_history_samples") history_samples = s.value;
    }
  }
};

Steady& steady(int n) {
  static std::unique_ptr<Steady> current;
  if (current && current->nodes == n) return *current;
  current.reset();
  auto s = std::make_unique<Steady>();
  s->nodes = n;
  s->round = make_round(n);
  Config config = make_config(n);
  double before = heap_in_use();
  s->engine = std::make_unique<RuleEngine>(config);
  for (int i = 0; i < kFillRounds; ++i) s->step();
  double after = heap_in_use();
  if (before >= 0) s->engine_heap = after - before;
  s->read_history_counters();
  current = std::move(s);
  return *current;
}

// The history alone, with the needs of the same pack, fed the same rounds:
// its heap is what the history costs (labels, index, points).
struct HistoryOnly {
  double heap = -1;
  double series = 0, samples = 0;
  std::unique_ptr<RuleHistory> history;
  std::unique_ptr<promql::SeriesSet> set;
  std::vector<promql::NodePtr> exprs;
  Round round;
  TimePoint now = start_time();
  std::int64_t r = 0;

  void step() {
    round.advance(++r);
    now += kInterval;
    if (!set->refresh(round.samples)) set = std::make_unique<promql::SeriesSet>(round.samples);
    history->record(*set, ms(now));
  }
};

HistoryOnly& history_only(int n) {
  static std::unique_ptr<HistoryOnly> current;
  static int current_n = 0;
  if (current && current_n == n) return *current;
  current.reset();
  auto h = std::make_unique<HistoryOnly>();
  Config config = make_config(n);
  for (const auto& def : rule_definitions(config)) h->exprs.push_back(promql::parse(def.expr));
  std::vector<const promql::Node*> needs;
  for (const auto& e : h->exprs) needs.push_back(e.get());
  h->round = make_round(n);
  h->set = std::make_unique<promql::SeriesSet>(h->round.samples);
  double before = heap_in_use();
  h->history = std::make_unique<RuleHistory>(static_cast<size_t>(config.alerts.history_max_samples));
  h->history->set_needs(needs);
  for (int i = 0; i < kFillRounds; ++i) h->step();
  double after = heap_in_use();
  if (before >= 0) h->heap = after - before;
  h->series = static_cast<double>(h->history->history().series_count());
  h->samples = static_cast<double>(h->history->history().sample_count());
  current = std::move(h);
  current_n = n;
  return *current;
}

// One steady-state round of the whole pack: RuleEngine::evaluate (series
// refresh, history record, every rule, alert states).
void BM_BuiltinPackRound(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Steady& s = steady(n);
  for (auto _ : state) {
    state.PauseTiming();
    s.round.advance(++s.r);
    s.now += kInterval;
    state.ResumeTiming();
    s.engine->evaluate(s.round.samples, s.now);
  }
  s.read_history_counters();
  state.counters["nodes"] = n;
  state.counters["input_series"] = static_cast<double>(s.round.samples.size());
  state.counters["alerts"] = static_cast<double>(s.engine->active_alerts().size());
  state.counters["history_series"] = s.history_series;
  state.counters["history_samples"] = s.history_samples;
  if (s.engine_heap >= 0) state.counters["engine_heap_growth_bytes"] = s.engine_heap;
  else state.SetLabel("heap: n/a (no mallinfo2)");
}
BENCHMARK(BM_BuiltinPackRound)->Arg(3)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

// RuleHistory::record alone in steady state, and the history's own heap.
void BM_HistoryRecord(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  HistoryOnly& h = history_only(n);
  for (auto _ : state) {
    state.PauseTiming();
    h.round.advance(++h.r);
    h.now += kInterval;
    if (!h.set->refresh(h.round.samples)) h.set = std::make_unique<promql::SeriesSet>(h.round.samples);
    state.ResumeTiming();
    h.history->record(*h.set, ms(h.now));
  }
  state.counters["nodes"] = n;
  state.counters["history_series"] = h.series;
  state.counters["history_samples"] = h.samples;
  if (h.heap >= 0) {
    state.counters["history_heap_bytes"] = h.heap;
    state.counters["bytes_per_sample"] = h.samples > 0 ? h.heap / h.samples : 0;
  } else {
    state.SetLabel("heap: n/a (no mallinfo2)");
  }
}
BENCHMARK(BM_HistoryRecord)->Arg(3)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

// SeriesSet::refresh alone: what every round pays to check that the
// input's series are the last round's and take their values. Its heap is
// the engine's copy of the round (the rest of engine_heap_growth_bytes
// beside the history).
void BM_SeriesRefresh(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Round round = make_round(n);
  double before = heap_in_use();
  promql::SeriesSet set(round.samples);
  double set_heap = heap_in_use() - before;
  std::int64_t r = 0;
  for (auto _ : state) {
    state.PauseTiming();
    round.advance(++r);
    state.ResumeTiming();
    if (!set.refresh(round.samples)) state.SkipWithError("the series changed");
  }
  state.counters["nodes"] = n;
  state.counters["input_series"] = static_cast<double>(round.samples.size());
  if (before >= 0) state.counters["series_set_heap_bytes"] = set_heap;
}
BENCHMARK(BM_SeriesRefresh)->Arg(3)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
