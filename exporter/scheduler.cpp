#include "exporter/scheduler.h"
#include "core/internal_errors.h"
#include "exporter/outage_log.h"

#include <algorithm>
#include <atomic>
#include <map>

#include <spdlog/spdlog.h>

#include "core/metric_catalog.h"
#include "exporter/heap_trim.h"
#include "exporter/worker_pool.h"

namespace pgw {

PGW_DESCRIBE_METRICS({
    {"pgwarden_node_up", MetricType::Gauge,
     "1 when PostgreSQL on the node was reachable this round."},
    {"pgwarden_node_expected_role", MetricType::Gauge,
     "1 for the role the configuration expects of the node (primary, standby, client or auto)."},
    {"pgwarden_round_duration_seconds", MetricType::Gauge,
     "Wall time of the last completed round: node checks, cluster checks and rule evaluation."},
});

// What the scheduler keeps for one node between rounds.
struct NodeRuntime {
  const ClusterConfig* cluster = nullptr;
  const NodeConfig* node = nullptr;
  std::unique_ptr<PgSession> pg;
  std::shared_ptr<const Labels> labels;  // cluster and node: every result's base
};

// A sequence of a node's checks that run one after another in one task. The
// checks on the node's PostgreSQL session share one lane (they share the
// session); every other check (HTTP, SSH) has a lane of its own, so a slow
// SSH login never holds back the node's PostgreSQL checks, nor they it.
// Each lane skips a round while its previous one still runs.
struct Lane {
  NodeRuntime* rt = nullptr;
  bool postgres = false;
  std::vector<Check*> checks;
  std::map<std::string, std::map<std::string, double>> memory;  // per check
  std::map<std::string, Scheduler::Clock::time_point> next_run;  // per check
  std::atomic<bool> busy{false};

  std::string describe() const {
    return postgres ? std::string("PostgreSQL checks") : "check " + checks.front()->name();
  }
};

// Counts the lane tasks of one round; the last one to finish runs the
// cluster checks and the callback.
struct Scheduler::Round {
  std::atomic<int> remaining{0};
  Scheduler::Clock::time_point start = Scheduler::Clock::now();
};

namespace {

constexpr const char* kConnectionCheck = "connection";
// Store key (cluster and node empty) of the scheduler's round timing.
constexpr const char* kRoundEntry = "round";

double unix_now(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// The labels every sample of a node's check carries (CheckResult::base).
Labels node_labels(const ClusterConfig& c, const NodeConfig& n) {
  Labels l{{"cluster", c.name}, {"node", n.name}};
  normalize(l);
  return l;
}

// One warning when a node or check goes down, a reminder every few minutes,
// one line when it recovers. Shared across reloads (keys name the node).
OutageLog& outage_log() {
  static OutageLog log;
  return log;
}

// Runs `fn`; an exception is reported as an internal error of the round.
template <class F>
void guarded(F&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    report_internal_error("round", e.what());
  } catch (...) {
    report_internal_error("round", "unknown exception");
  }
}

// Runs one check and records its outcome, samples and duration in `result`.
void collect_into(Check& check, CheckContext& ctx, VectorSink& sink, CheckResult& result,
                  Scheduler::Clock::time_point start) {
  try {
    check.collect(ctx, sink);
    result.success = true;
    result.samples = std::move(sink.samples());
  } catch (const std::exception& e) {
    result.success = false;
    result.error = e.what();
  }
  std::string key = "check " + result.check + " on " + result.cluster + "/" +
                    (result.node.empty() ? "(cluster)" : result.node);
  if (result.success) outage_log().recovered(key);
  else outage_log().failed(key, "failed: " + result.error);
  result.duration_seconds =
      std::chrono::duration<double>(Scheduler::Clock::now() - start).count();
}

}  // namespace

Scheduler::Scheduler(const Config& config, SnapshotStore& store) : config_(config), store_(store) {
  for (auto& c : create_checks(config)) {
    if (!enabled(*c)) continue;
    (c->scope() == Scope::Node ? node_checks_ : cluster_checks_).push_back(std::move(c));
  }
  for (const auto& cluster : config.clusters) {
    if (!cluster.expected_standbys.empty() || !cluster.expected_slots.empty()) track_primaries_ = true;
    for (const auto& node : cluster.nodes) {
      auto rt = std::make_unique<NodeRuntime>();
      rt->cluster = &cluster;
      rt->node = &node;
      rt->pg = std::make_unique<PgSession>(node.conninfo, node.password);
      rt->labels = std::make_shared<const Labels>(node_labels(cluster, node));
      auto pg_lane = std::make_unique<Lane>();
      pg_lane->rt = rt.get();
      pg_lane->postgres = true;
      for (const auto& c : node_checks_) {
        if (!c->applies_to(node)) continue;
        if (c->uses_postgres()) {
          pg_lane->checks.push_back(c.get());
          continue;
        }
        auto lane = std::make_unique<Lane>();
        lane->rt = rt.get();
        lane->checks.push_back(c.get());
        lanes_.push_back(std::move(lane));
      }
      if (!pg_lane->checks.empty()) lanes_.push_back(std::move(pg_lane));
      nodes_.push_back(std::move(rt));
    }
  }
  // The tick is the shortest interval; longer ones run on the ticks at which
  // they are due.
  tick_ = config.exporter.interval;
  for (const auto& c : node_checks_) tick_ = std::min(tick_, interval_of(*c));
  tick_ = std::max(tick_, Duration(100));
  pool_ = std::make_unique<WorkerPool>(
      std::clamp<int>(static_cast<int>(lanes_.size()), 1, std::max(1, config.exporter.workers)));
}

Scheduler::~Scheduler() {
  stop();
  pool_.reset();  // joins workers after their queued tasks
}

// [checks.MODULE] of a check, or null.
const CheckSettings* Scheduler::settings_of(const Check& check) const {
  auto it = config_.checks.find(check.module());
  return it == config_.checks.end() ? nullptr : &it->second;
}

bool Scheduler::enabled(const Check& check) const {
  const CheckSettings* s = settings_of(check);
  return !s || s->enabled;
}

Duration Scheduler::interval_of(const Check& check) const {
  if (auto own = check.own_interval()) return *own;
  if (const CheckSettings* s = settings_of(check); s && s->interval) return *s->interval;
  return check.interval().value_or(config_.exporter.interval);
}

Duration Scheduler::timeout_of(const Check& check) const {
  if (auto own = check.own_timeout()) return *own;
  if (const CheckSettings* s = settings_of(check); s && s->timeout) return *s->timeout;
  return check.timeout().value_or(config_.exporter.timeout);
}

std::set<SnapshotStore::Key> Scheduler::keys() const {
  std::set<SnapshotStore::Key> keys;
  for (const auto& n : nodes_) {
    keys.insert({n->cluster->name, n->node->name, kConnectionCheck});
    for (const auto& c : node_checks_)
      if (c->applies_to(*n->node)) keys.insert({n->cluster->name, n->node->name, c->name()});
  }
  for (const auto& cluster : config_.clusters)
    for (const auto& c : cluster_checks_)
      if (c->applies_to_cluster(cluster)) keys.insert({cluster.name, "", c->name()});
  keys.insert({"", "", kRoundEntry});
  return keys;
}

void Scheduler::start(RoundCallback on_round) {
  on_round_ = std::move(on_round);
  timer_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
  {
    std::unique_lock lock(mu_);
    if (stopping_ && !timer_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return running_ == 0; });
}

void Scheduler::loop() {
  auto next = Clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    start_round(false);
    lock.lock();
    next += tick_;
    auto now = Clock::now();
    if (next < now) next = now;  // a slow round skips ticks instead of bursting
    cv_.wait_until(lock, next, [this] { return stopping_; });
  }
}

std::shared_ptr<const Scheduler::Primaries> Scheduler::latest_primaries() const {
  if (!track_primaries_) return nullptr;
  auto primaries = std::make_shared<Primaries>();
  for (const auto& r : store_.results()) {
    if (r->check != "recovery" || r->node.empty() || !r->success) continue;
    for (const auto& s : r->samples)
      if (s.name == "pgwarden_pg_in_recovery" && s.value == 0) (*primaries)[r->cluster].insert(r->node);
  }
  // A client (laptop) runs its own writable copy: it is no primary of the cluster.
  for (const auto& n : nodes_)
    if (n->node->role == Role::Client) {
      auto it = primaries->find(n->cluster->name);
      if (it != primaries->end()) it->second.erase(n->node->name);
    }
  return primaries;
}

void Scheduler::run_once() {
  auto primaries = latest_primaries();
  std::mutex done_mu;
  std::condition_variable done_cv;
  int left = static_cast<int>(lanes_.size());
  for (auto& l : lanes_) {
    Lane* lane = l.get();
    pool_->submit([&, lane] {
      run_lane(*lane, true, primaries.get());
      std::lock_guard lock(done_mu);
      if (--left == 0) done_cv.notify_all();
    });
  }
  std::unique_lock lock(done_mu);
  done_cv.wait(lock, [&] { return left == 0; });
  lock.unlock();
  run_cluster_checks();
}

void Scheduler::start_round(bool all_checks) {
  std::vector<Lane*> ready;
  for (auto& l : lanes_) {
    bool expected = false;
    if (l->busy.compare_exchange_strong(expected, true)) ready.push_back(l.get());
    else spdlog::warn("node {}/{}: {} still running from the previous round, skipped",
                      l->rt->cluster->name, l->rt->node->name, l->describe());
  }
  if (ready.empty() && !lanes_.empty()) return;
  auto round = std::make_shared<Round>();
  round->remaining = static_cast<int>(ready.size());
  auto primaries = latest_primaries();
  if (ready.empty()) {
    finish_round(round->start);
    return;
  }
  {
    std::lock_guard lock(mu_);
    running_ += static_cast<int>(ready.size());
  }
  for (Lane* lane : ready) {
    pool_->submit([this, lane, round, all_checks, primaries] {
      // Nothing may escape into the worker thread (std::terminate), and the
      // round must still complete.
      guarded([&] { run_lane(*lane, all_checks, primaries.get()); });
      lane->busy = false;
      if (--round->remaining == 0) guarded([&] { finish_round(round->start); });
      std::lock_guard lock(mu_);
      if (--running_ == 0) cv_.notify_all();
    });
  }
}

void Scheduler::finish_round(Clock::time_point start) {
  std::lock_guard lock(round_mu_);
  run_cluster_checks();
  if (on_round_) {
    try {
      on_round_();
    } catch (const std::exception& e) {
      report_internal_error("round", e.what());
    } catch (...) {
      report_internal_error("round", "unknown exception");
    }
  }
  record_round(start);
  release_free_heap();  // the round's sample copies live in this worker's arena
}

void Scheduler::record_round(Clock::time_point start) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  spdlog::debug("round of {} node(s) took {:.3f} s", nodes_.size(), seconds);
  CheckResult r;
  r.check = kRoundEntry;
  r.success = true;
  r.self_metrics = false;
  r.timestamp = unix_now(std::chrono::system_clock::now());
  r.samples.push_back({"pgwarden_round_duration_seconds", {}, seconds});
  store_.put(std::move(r));
}

// One pass over a lane: its due checks in order, sharing the node's facts
// and one connection attempt.
struct Scheduler::LaneRun {
  NodeFacts facts;
  const std::set<std::string>* known_primaries = nullptr;  // of the node's cluster
  bool pg_attempted = false;
  std::string pg_error;
};

void Scheduler::run_lane(Lane& lane, bool all_checks, const Primaries* primaries) {
  LaneRun run;
  if (primaries)
    if (auto it = primaries->find(lane.rt->cluster->name); it != primaries->end())
      run.known_primaries = &it->second;
  std::set<const Check*> ran;
  for (Check* check : lane.checks) {
    auto start = Clock::now();
    if (!all_checks && !due(lane, *check, start)) continue;
    lane.next_run[check->name()] = start + interval_of(*check);
    run_lane_check(lane, run, *check, start);
    ran.insert(check);
  }
  // PostgreSQL unreachable: its checks that were not due yet (horizon and
  // wal run every 30 s) fail now as well, so a down node's series do not
  // linger until their next run, and every one of them is due again on the
  // next pass, so they come back as soon as the node does.
  if (run.pg_attempted && !lane.rt->pg->connected()) {
    for (Check* check : lane.checks) {
      if (!check->uses_postgres()) continue;
      if (!ran.count(check)) run_lane_check(lane, run, *check, Clock::now());
      lane.next_run.erase(check->name());
    }
  }
  // The node's own facts: reachability and what the config expects of it.
  if (run.pg_attempted) store_.put(connection_result(*lane.rt));
}

bool Scheduler::due(const Lane& lane, const Check& check, Clock::time_point now) const {
  auto it = lane.next_run.find(check.name());
  // Half a tick of slack absorbs timer jitter.
  return it == lane.next_run.end() || now + tick_ / 2 >= it->second;
}

// Connects the node's session once per lane run; whether it is connected.
bool Scheduler::postgres_ready(NodeRuntime& rt, LaneRun& run, Duration timeout) {
  if (!run.pg_attempted) {
    run.pg_attempted = true;
    const std::string key = "node " + rt.cluster->name + "/" + rt.node->name;
    try {
      rt.pg->ensure_connected(Deadline::in(timeout));
      outage_log().recovered(key);
    } catch (const std::exception& e) {
      run.pg_error = e.what();
      outage_log().failed(key, "PostgreSQL unreachable: " + run.pg_error);
    }
  }
  return rt.pg->connected();
}

void Scheduler::run_lane_check(Lane& lane, LaneRun& run, Check& check, Clock::time_point start) {
  NodeRuntime& rt = *lane.rt;
  const ClusterConfig& cluster = *rt.cluster;
  const NodeConfig& node = *rt.node;
  const std::string name = check.name();
  const Duration timeout = timeout_of(check);

  CheckResult result;
  result.cluster = cluster.name;
  result.node = node.name;
  result.check = name;
  auto wall = std::chrono::system_clock::now();
  result.timestamp = unix_now(wall);

  if (check.uses_postgres() && !postgres_ready(rt, run, timeout)) {
    // A client node (a laptop) is offline by design: its PostgreSQL checks
    // are skipped rather than failed.
    if (node.role == Role::Client) {
      store_.erase({cluster.name, node.name, name});
      return;
    }
    result.success = false;
    result.error = run.pg_error.empty() ? "connection lost earlier in this round"
                                        : "PostgreSQL unreachable: " + run.pg_error;
    store_.put(std::move(result));
    return;
  }

  VectorSink sink;  // the node's labels are kept once, in result.base
  result.base = rt.labels;
  CheckContext ctx;
  ctx.cluster = &cluster;
  ctx.node = &node;
  ctx.pg = check.uses_postgres() ? rt.pg.get() : nullptr;
  ctx.facts = &run.facts;
  ctx.known_primaries = run.known_primaries;
  ctx.memory = &lane.memory[name];
  ctx.deadline = Deadline::in(timeout);
  ctx.now = wall;
  collect_into(check, ctx, sink, result, start);
  store_.put(std::move(result));
}

CheckResult Scheduler::connection_result(const NodeRuntime& rt) const {
  CheckResult conn;
  conn.cluster = rt.cluster->name;
  conn.node = rt.node->name;
  conn.check = kConnectionCheck;
  conn.success = true;
  conn.self_metrics = false;
  conn.timestamp = unix_now(std::chrono::system_clock::now());
  VectorSink sink;
  conn.base = rt.labels;
  sink.add("pgwarden_node_up", {}, rt.pg->connected() ? 1 : 0);
  sink.add("pgwarden_node_expected_role", {{"role", role_name(rt.node->role)}}, 1);
  conn.samples = std::move(sink.samples());
  return conn;
}

void Scheduler::run_cluster_checks() {
  for (const auto& cluster : config_.clusters) {
    const std::vector<Sample> samples = store_.cluster_node_samples(cluster.name);
    Labels cluster_pair{{"cluster", cluster.name}};
    normalize(cluster_pair);
    const auto cluster_labels = std::make_shared<const Labels>(std::move(cluster_pair));
    for (const auto& check : cluster_checks_) {
      if (!check->applies_to_cluster(cluster)) continue;
      auto start = Clock::now();
      auto wall = std::chrono::system_clock::now();
      CheckResult result;
      result.cluster = cluster.name;
      result.check = check->name();
      result.timestamp = unix_now(wall);
      VectorSink sink;
      result.base = cluster_labels;
      CheckContext ctx;
      ctx.cluster = &cluster;
      // Some also see the other cluster checks' latest results (those that
      // ran earlier in this round are already fresh).
      std::vector<Sample> with_cluster;
      if (check->reads_cluster_results()) {
        with_cluster = samples;
        auto scope = store_.cluster_scope_samples(cluster.name, check->name());
        with_cluster.insert(with_cluster.end(), scope.begin(), scope.end());
      }
      ctx.cluster_samples = check->reads_cluster_results() ? &with_cluster : &samples;
      ctx.deadline = Deadline::in(timeout_of(*check));
      ctx.now = wall;
      collect_into(*check, ctx, sink, result, start);
      store_.put(std::move(result));
    }
  }
}

}  // namespace pgw
