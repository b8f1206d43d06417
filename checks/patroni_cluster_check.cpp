// "patroni_cluster" cluster check: pgwarden_cluster_has_leader{cluster}.
//
// Whether a Patroni cluster has a leader is one fact per cluster, so it is a
// cluster-scope check (one series, no node label) rather than a value each
// node repeats. It asks GET /cluster of the cluster's Patroni nodes in config
// order and uses the first that answers with a valid member list; every
// member view comes from the same DCS, so one answer is enough. A member
// whose role is leader/master/primary/standby_leader and whose state is not
// stopped/crashed counts as the leader (a standby cluster's standby_leader is
// its leader).
//
// When no Patroni answers, the leader cannot be known: the check fails
// (check_success 0, CheckFailing) instead of claiming "no leader"; each
// node's pgwarden_patroni_up 0 says why.
#include <algorithm>
#include <stdexcept>

#include "checks/check.h"
#include "core/http_client.h"
#include "checks/patroni_response.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

constexpr size_t kClusterMaxBytes = 1 << 20;

class PatroniClusterCheck : public Check {
 public:
  Scope scope() const override { return Scope::Cluster; }
  bool applies_to_cluster(const ClusterConfig& c) const override {
    for (const auto& n : c.nodes)
      if (n.patroni) return true;
    return false;
  }
  bool uses_postgres() const override { return false; }

  void collect(CheckContext& ctx, SampleSink& out) override {
    if (!ctx.cluster) return;
    bool any = false;
    std::string last_error;
    for (const auto& node : ctx.cluster->nodes) {
      if (!node.patroni) continue;
      any = true;
      Deadline budget = Deadline::in(node.patroni->timeout).earlier(ctx.deadline);
      if (budget.expired()) break;
      std::string url = node.patroni->url;
      while (!url.empty() && url.back() == '/') url.pop_back();
      HttpResponse resp =
          http_get(url + "/cluster", Duration(std::max(1, budget.remaining_ms())), kClusterMaxBytes);
      if (!resp.ok()) {
        last_error = node.name + ": " + (resp.error.empty() ? "HTTP " + std::to_string(resp.status) : resp.error);
        continue;
      }
      PatroniCluster c = parse_patroni_cluster(resp.body);
      if (!c.error.empty()) {
        last_error = node.name + ": " + c.error;
        continue;
      }
      out.add("pgwarden_cluster_has_leader", {}, c.has_leader() ? 1 : 0);
      return;
    }
    if (!any) return;  // not a Patroni cluster: nothing to say
    throw std::runtime_error("no Patroni /cluster answer (last: " +
                             (last_error.empty() ? std::string("deadline exceeded") : last_error) + ")");
  }
};

}  // namespace

PGW_DESCRIBE_METRICS({
    {"pgwarden_cluster_has_leader", MetricType::Gauge,
     "1 when Patroni's /cluster reports a leader."},
});

PGW_REGISTER_CHECK("patroni_cluster", PatroniClusterCheck);

}  // namespace pgw
