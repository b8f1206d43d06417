// "cluster" module (cluster scope): how many primaries the cluster has and
// how far each standby's replay position is behind each primary, measured
// across nodes from their own pg_wal_lsn_bytes samples.
#include <algorithm>
#include <map>
#include <optional>

#include "checks/check.h"
#include "checks/cluster_summary.h"
#include "core/metric_catalog.h"

namespace pgw {

void summarize_cluster(const std::vector<Sample>& samples, SampleSink& out) {
  struct NodeState {
    std::optional<double> in_recovery;
    std::optional<double> lsn;
    bool client = false;
  };
  std::map<std::string, NodeState> nodes;  // ordered: stable output
  for (const auto& s : samples) {
    const std::string& node = label_value(s.labels, "node");
    if (node.empty()) continue;
    if (s.name == "pgwarden_pg_in_recovery") nodes[node].in_recovery = s.value;
    else if (s.name == "pgwarden_pg_wal_lsn_bytes") nodes[node].lsn = s.value;
    // A client (laptop) runs its own writable copy: not a primary of the
    // cluster, nor a standby of one.
    else if (s.name == "pgwarden_node_expected_role" && label_value(s.labels, "role") == "client")
      nodes[node].client = true;
  }
  std::erase_if(nodes, [](const auto& n) { return n.second.client; });
  double primaries = 0;
  for (const auto& [name, st] : nodes)
    if (st.in_recovery && *st.in_recovery == 0) ++primaries;
  out.add("pgwarden_cluster_primaries", {}, primaries);

  for (const auto& [p, ps] : nodes) {
    if (!ps.in_recovery || *ps.in_recovery != 0 || !ps.lsn) continue;
    for (const auto& [s, ss] : nodes) {
      if (!ss.in_recovery || *ss.in_recovery == 0 || !ss.lsn) continue;
      out.add("pgwarden_cluster_lag_bytes", {{"primary", p}, {"standby", s}},
              std::max(0.0, *ps.lsn - *ss.lsn));
    }
  }
}

namespace {

class ClusterCheck : public Check {
 public:
  Scope scope() const override { return Scope::Cluster; }
  bool uses_postgres() const override { return false; }

  void collect(CheckContext& ctx, SampleSink& out) override {
    static const std::vector<Sample> none;
    summarize_cluster(ctx.cluster_samples ? *ctx.cluster_samples : none, out);
  }
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_cluster_primaries", MetricType::Gauge,
     "Number of reachable nodes of the cluster that are not in recovery."},
    {"pgwarden_cluster_lag_bytes", MetricType::Gauge,
     "Primary's current LSN minus the standby's replay LSN, measured across nodes."},
});

PGW_REGISTER_CHECK("cluster", ClusterCheck);

}  // namespace
}  // namespace pgw
