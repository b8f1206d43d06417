#include "exporter/snapshot_store.h"

#include <algorithm>

#include "core/metric_catalog.h"

namespace pgw {

PGW_DESCRIBE_METRICS({
    {"pgwarden_check_success", MetricType::Gauge,
     "1 when the check's last run succeeded."},
    {"pgwarden_check_duration_seconds", MetricType::Gauge,
     "Duration of the check's last run."},
    {"pgwarden_check_last_success_timestamp_seconds", MetricType::Gauge,
     "When the check last succeeded (Unix time)."},
});

void for_each_sample(const CheckResult& r, const std::function<void(const Sample&)>& visit) {
  if (!r.base || r.base->empty()) {
    for (const Sample& s : r.samples) visit(s);
    return;
  }
  const Labels& base = *r.base;
  Sample scratch;
  for (const Sample& s : r.samples) {
    scratch.name = s.name;
    scratch.labels.resize(s.labels.size() + base.size());
    std::merge(s.labels.begin(), s.labels.end(), base.begin(), base.end(), scratch.labels.begin());
    scratch.value = s.value;
    visit(scratch);
  }
}

const std::vector<SelfMetric>& self_metrics() {
  static const std::vector<SelfMetric> table = {
      {"pgwarden_check_duration_seconds", [](const CheckResult& r) { return r.duration_seconds; },
       [](const CheckResult&) { return true; }},
      {"pgwarden_check_last_success_timestamp_seconds",
       [](const CheckResult& r) { return r.last_success_timestamp; },
       [](const CheckResult& r) { return r.last_success_timestamp > 0; }},
      {"pgwarden_check_success", [](const CheckResult& r) { return r.success ? 1.0 : 0.0; },
       [](const CheckResult&) { return true; }},
  };
  return table;
}

void self_metric_labels(const CheckResult& r, Labels& l) {
  l.resize(r.node.empty() ? 2 : 3);
  l[0].first = "check";
  l[0].second = r.check;
  l[1].first = "cluster";
  l[1].second = r.cluster;
  if (!r.node.empty()) {
    l[2].first = "node";
    l[2].second = r.node;
  }
  normalize(l);  // drops an empty check or cluster
}

void SnapshotStore::put(CheckResult result) {
  Key key{result.cluster, result.node, result.check};
  // Kept until the next run: without the spare capacity the vector grew
  // into (at 1,000 nodes a few MB).
  if (result.success) result.samples.shrink_to_fit();
  std::lock_guard lock(mu_);
  if (result.success) {
    result.last_success_timestamp = result.timestamp;
  } else {
    result.samples.clear();  // never export a failed check's partial samples
    auto it = entries_.find(key);
    if (it != entries_.end()) result.last_success_timestamp = it->second->last_success_timestamp;
  }
  entries_[key] = std::make_shared<const CheckResult>(std::move(result));
  ++generation_;
}

void SnapshotStore::erase(const Key& key) {
  std::lock_guard lock(mu_);
  if (entries_.erase(key)) ++generation_;
}

void SnapshotStore::retain(const std::set<Key>& keep) {
  std::lock_guard lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (keep.count(it->first)) ++it;
    else it = entries_.erase(it);
  }
  ++generation_;
}

std::vector<std::shared_ptr<const CheckResult>> SnapshotStore::results() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const CheckResult>> out;
  out.reserve(entries_.size());
  for (const auto& [_, r] : entries_) out.push_back(r);
  return out;
}

std::vector<Sample> SnapshotStore::cluster_node_samples(const std::string& cluster) const {
  // Keys sort by cluster first, so one cluster's entries are a contiguous
  // range: a round's cluster checks cost O(entries), not O(clusters x entries).
  std::vector<std::shared_ptr<const CheckResult>> mine;
  {
    std::lock_guard lock(mu_);
    for (auto it = entries_.lower_bound(Key{cluster, "", ""});
         it != entries_.end() && std::get<0>(it->first) == cluster; ++it)
      mine.push_back(it->second);
  }
  std::vector<Sample> out;
  for (const auto& r : mine)
    if (!r->node.empty() && r->success) for_each_sample(*r, [&](const Sample& s) { out.push_back(s); });
  return out;
}

std::vector<Sample> SnapshotStore::cluster_scope_samples(const std::string& cluster,
                                                         const std::string& except) const {
  std::vector<Sample> out;
  std::lock_guard lock(mu_);
  for (auto it = entries_.lower_bound(Key{cluster, "", ""});
       it != entries_.end() && std::get<0>(it->first) == cluster; ++it) {
    const auto& r = *it->second;
    if (r.node.empty() && r.success && r.check != except)
      for_each_sample(r, [&](const Sample& s) { out.push_back(s); });
  }
  return out;
}

uint64_t SnapshotStore::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

namespace {

// Visits `r`'s self metrics through `scratch`, whose strings and vector
// keep their capacity from one result to the next (no allocation per sample).
void visit_self(const CheckResult& r, Sample& scratch, const std::function<void(const Sample&)>& visit) {
  if (!r.self_metrics) return;
  self_metric_labels(r, scratch.labels);
  for (const SelfMetric& m : self_metrics()) {
    if (!m.present(r)) continue;
    scratch.name = m.name;
    scratch.value = m.value(r);
    visit(scratch);
  }
}

void append_self(const CheckResult& r, std::vector<Sample>& out) {
  Sample scratch;
  visit_self(r, scratch, [&](const Sample& s) { out.push_back(s); });
}

class StoreSequence : public SampleSequence {
 public:
  explicit StoreSequence(std::vector<std::shared_ptr<const CheckResult>> results) : results_(std::move(results)) {}
  void for_each(const std::function<void(const Sample&)>& visit) const override {
    Sample scratch;
    for (const auto& r : results_) {
      for_each_sample(*r, visit);
      visit_self(*r, scratch, visit);
    }
  }

 private:
  std::vector<std::shared_ptr<const CheckResult>> results_;
};

}  // namespace

std::unique_ptr<const SampleSequence> SnapshotStore::sequence() const {
  return std::make_unique<StoreSequence>(results());
}

void SnapshotStore::append_samples(std::vector<Sample>& out) const {
  for (const auto& r : results()) {
    for_each_sample(*r, [&](const Sample& s) { out.push_back(s); });
    append_self(*r, out);
  }
}

void SnapshotStore::append_self_samples(const std::vector<std::shared_ptr<const CheckResult>>& results,
                                        std::vector<Sample>& out) {
  for (const auto& r : results) append_self(*r, out);
}

}  // namespace pgw
