// Cost of rendering /metrics: a snapshot of N nodes x 200 series (10,000 at
// 50 nodes) through render_text(), the same path a scrape takes once the
// samples are copied out of the store. Names and labels mirror what the
// checks export, so string sizes and label counts are realistic.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/sample.h"
#include "exporter/metrics_render.h"

namespace {

constexpr int kSeriesPerNode = 200;

// Appends exactly kSeriesPerNode series for one node.
void add_node(std::vector<pgw::Sample>& out, const std::string& cluster, int index) {
  const std::string node = "node-" + std::to_string(index);
  size_t start = out.size();
  auto add = [&](std::string name, pgw::Labels extra, double value) {
    pgw::Labels labels = {{"cluster", cluster}, {"node", node}};
    labels.insert(labels.end(), extra.begin(), extra.end());
    pgw::normalize(labels);
    out.push_back({std::move(name), std::move(labels), value});
  };

  for (const char* name : {"pgwarden_node_up", "pgwarden_pg_in_recovery",
                           "pgwarden_pg_expected_primary", "pgwarden_pg_timeline_id",
                           "pgwarden_pg_wal_lsn_bytes", "pgwarden_pg_max_connections",
                           "pgwarden_archiver_archived_total", "pgwarden_archiver_failed_total",
                           "pgwarden_archiver_failing", "pgwarden_embedder_up"})
    add(name, {}, 1234567.0 + index);
  for (const char* state : {"active", "idle", "idle in transaction", "disabled"})
    add("pgwarden_pg_connections", {{"state", state}}, 7);

  // Four standbys per node: lag by stage (sent/write/flush/replay) plus
  // seconds, streaming, sync and reply age.
  for (int s = 0; s < 4; ++s) {
    std::string app = "standby_" + std::to_string(s);
    std::string addr = "10.0." + std::to_string(index) + "." + std::to_string(10 + s);
    for (const char* stage : {"sent", "write", "flush", "replay"})
      add("pgwarden_replication_lag_bytes",
          {{"application_name", app}, {"client_addr", addr}, {"stage", stage}}, 16384.0 * s);
    for (const char* stage : {"write", "flush", "replay"})
      add("pgwarden_replication_lag_seconds",
          {{"application_name", app}, {"client_addr", addr}, {"stage", stage}}, 0.0125 * s);
    add("pgwarden_replication_streaming", {{"application_name", app}, {"client_addr", addr}}, 1);
    add("pgwarden_replication_sync", {{"application_name", app}, {"client_addr", addr}}, s == 0);
    add("pgwarden_replication_reply_age_seconds",
        {{"application_name", app}, {"client_addr", addr}}, 0.42);
    add("pgwarden_replication_expected_standby_connected", {{"application_name", app}}, 1);
    add("pgwarden_slot_active", {{"slot", app + "_slot"}, {"slot_type", "physical"}}, 1);
    add("pgwarden_slot_retained_bytes", {{"slot", app + "_slot"}}, 8.0e6);
  }  // 4 x 14 = 56

  for (int p = 0; p < 6; ++p) {
    std::string path = "/Volumes/data" + std::to_string(p) + "/postgresql";
    add("pgwarden_host_filesystem_free_bytes", {{"path", path}}, 1.2e11);
    add("pgwarden_host_filesystem_size_bytes", {{"path", path}}, 5.0e11);
  }  // 12

  // Self metrics of ~39 checks fill the node up to kSeriesPerNode.
  for (int c = 0; out.size() - start + 3 <= kSeriesPerNode; ++c) {
    std::string check = "check_module_" + std::to_string(c);
    add("pgwarden_check_success", {{"check", check}}, 1);
    add("pgwarden_check_duration_seconds", {{"check", check}}, 0.0031);
    add("pgwarden_check_last_success_timestamp_seconds", {{"check", check}}, 1.7e9);
  }
  while (out.size() - start < kSeriesPerNode)
    add("pgwarden_pg_extension_installed",
        {{"extension", "ext" + std::to_string(out.size() - start)}, {"version", "0.8.0"}}, 1);
}

std::vector<pgw::Sample> make_snapshot(int nodes) {
  std::vector<pgw::Sample> samples;
  samples.reserve(static_cast<size_t>(nodes) * kSeriesPerNode);
  for (int n = 0; n < nodes; ++n) add_node(samples, "aya", n);
  return samples;
}

void BM_RenderText(benchmark::State& state) {
  const auto samples = make_snapshot(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = pgw::render_text(samples);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * samples.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["series"] = static_cast<double>(samples.size());
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderText)->Arg(5)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace
