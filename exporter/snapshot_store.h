// The latest result of every (cluster, node, check). Written by the
// scheduler, read by /metrics and the rule engine without waiting on checks.
// Each result is immutable once stored (shared_ptr<const CheckResult>): a
// put() replaces the pointer, so a reader holding results() reads them
// without a lock and without copying their samples.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/sample.h"
#include "core/sample_source.h"

namespace pgw {

struct CheckResult {
  std::string cluster;
  std::string node;                // empty for cluster-scope checks
  std::string check;
  bool success = false;
  std::string error;               // why it failed (no secrets)
  double duration_seconds = 0;
  double timestamp = 0;            // Unix time of this run
  double last_success_timestamp = 0;  // 0 = never succeeded
  std::vector<Sample> samples;     // empty when !success; without the pairs of `base`
  // Label pairs every sample has (the entry's cluster and node), kept once
  // per node and shared by its entries instead of held by each sample: at
  // 1,000 nodes those copies were 9 MB. Sorted by name; null when the
  // samples hold all their labels. for_each_sample() and the store's
  // readers give the samples whole again.
  std::shared_ptr<const Labels> base;
  // False for the scheduler's own per-node facts (node_up...), which are
  // not a check and get no check_success series.
  bool self_metrics = true;
};

// Visits r's samples with their whole label sets (`base` merged back in,
// through one scratch sample whose capacity is reused).
void for_each_sample(const CheckResult& r, const std::function<void(const Sample&)>& visit);

// The series every check entry adds about itself (pgwarden_check_success,
// ...), described once: the rule round and copies make samples of them,
// /metrics writes each as a whole family.
struct SelfMetric {
  const char* name;
  double (*value)(const CheckResult&);
  bool (*present)(const CheckResult&);  // no last-success series before a first success
};
// In name order.
const std::vector<SelfMetric>& self_metrics();
// The labels of an entry's self metrics (check, cluster, and node when it
// has one), normalized, into `out` (whose capacity is reused).
void self_metric_labels(const CheckResult& r, Labels& out);

class SnapshotStore : public SampleSource {
 public:
  using Key = std::tuple<std::string, std::string, std::string>;  // cluster, node, check

  // Replaces the entry for the result's key. Keeps last_success_timestamp
  // from the previous entry when this run failed.
  void put(CheckResult result);
  // Drops one entry (a check that no longer applies, or was skipped).
  void erase(const Key& key);
  // Drops every entry whose key is not in `keep` (after a config reload).
  void retain(const std::set<Key>& keep);
  // Consistent copy of all entries, sorted by key.
  std::vector<std::shared_ptr<const CheckResult>> results() const;
  // Latest successful samples of one cluster's nodes (for cluster checks).
  std::vector<Sample> cluster_node_samples(const std::string& cluster) const;
  // Latest successful samples of one cluster's cluster-scope checks other
  // than `except` (e.g. etcd health for the failover verdict).
  std::vector<Sample> cluster_scope_samples(const std::string& cluster, const std::string& except) const;
  // Increases on every put.
  uint64_t generation() const;

  // Check samples plus check_success / check_duration_seconds /
  // check_last_success_timestamp_seconds for every entry (a copy: readers
  // that only read walk results() instead).
  void append_samples(std::vector<Sample>& out) const override;
  // The same samples walked in place: the sequence holds the results of
  // this moment and makes the self metrics one at a time.
  std::unique_ptr<const SampleSequence> sequence() const override;
  // The self metrics (check_success...) of `results` only.
  static void append_self_samples(const std::vector<std::shared_ptr<const CheckResult>>& results,
                                  std::vector<Sample>& out);

 private:
  mutable std::mutex mu_;
  std::map<Key, std::shared_ptr<const CheckResult>> entries_;
  uint64_t generation_ = 0;
};

}  // namespace pgw
