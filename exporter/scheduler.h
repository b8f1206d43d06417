// Runs the check modules: every node's due checks on a bounded pool of
// workers, then the cluster-scope checks on the nodes' fresh samples, then a
// callback (rule evaluation). A node's PostgreSQL checks run in sequence on
// its one session; its HTTP and SSH checks each run on their own. Whatever
// still runs from the previous round (a hung server, a slow SSH login) is
// skipped, so it never delays the other nodes, the node's other checks, or
// the rules.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "checks/check.h"
#include "core/config.h"
#include "exporter/snapshot_store.h"

namespace pgw {

class WorkerPool;
struct NodeRuntime;
struct Lane;

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using RoundCallback = std::function<void()>;

  // `config` and `store` must outlive the scheduler.
  Scheduler(const Config& config, SnapshotStore& store);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts periodic rounds in the background; `on_round` runs after each
  // round's cluster checks (never concurrently with itself).
  void start(RoundCallback on_round);
  // Stops scheduling and waits for running rounds (bounded by deadlines).
  void stop();
  // Runs every applicable check once on every node, then the cluster checks.
  // Blocks until done. For the one-shot `check` command.
  void run_once();

  // Every store key this config produces (for SnapshotStore::retain).
  std::set<SnapshotStore::Key> keys() const;
  // Effective interval and timeout of a check under this config.
  Duration interval_of(const Check& check) const;
  Duration timeout_of(const Check& check) const;

 private:
  struct Round;
  struct LaneRun;
  void loop();
  void start_round(bool all_checks);
  void run_lane(Lane& lane, bool all_checks);
  bool due(const Lane& lane, const Check& check, Clock::time_point now) const;
  bool postgres_ready(NodeRuntime& rt, LaneRun& run, Duration timeout);
  void run_lane_check(Lane& lane, LaneRun& run, Check& check, Clock::time_point start);
  CheckResult connection_result(const NodeRuntime& rt) const;
  // Cluster checks, the callback, then the round's wall time as
  // pgwarden_round_duration_seconds.
  void finish_round(Clock::time_point start);
  void record_round(Clock::time_point start);
  void run_cluster_checks();
  const CheckSettings* settings_of(const Check& check) const;
  bool enabled(const Check& check) const;

  const Config& config_;
  SnapshotStore& store_;
  std::vector<std::unique_ptr<Check>> node_checks_;
  std::vector<std::unique_ptr<Check>> cluster_checks_;
  std::vector<std::unique_ptr<NodeRuntime>> nodes_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // see Lane in scheduler.cpp
  std::unique_ptr<WorkerPool> pool_;
  Duration tick_{1000};

  std::mutex round_mu_;          // serialises cluster checks + callback
  RoundCallback on_round_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int running_ = 0;              // node tasks in flight
  std::thread timer_;
};

}  // namespace pgw
