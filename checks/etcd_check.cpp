// "etcd" cluster check: pgwarden_etcd_healthy{endpoint} for each
// [[clusters.etcd]] URL, from GET <url>/health. An endpoint that does not
// answer, answers non-2xx (etcd says 503 when unhealthy) or sends an
// unexpected body is unhealthy (0) — a measurement, not a check failure, so
// EtcdUnhealthy fires. The endpoint label is scheme://host:port only: no
// credentials or path.
#include <algorithm>
#include <stdexcept>

#include "checks/check.h"
#include "checks/etcd_response.h"
#include "core/http_client.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

constexpr size_t kHealthMaxBytes = 64 * 1024;

class EtcdCheck : public Check {
 public:
  Scope scope() const override { return Scope::Cluster; }
  bool applies_to_cluster(const ClusterConfig& c) const override { return !c.etcd.empty(); }
  bool uses_postgres() const override { return false; }

  void collect(CheckContext& ctx, SampleSink& out) override {
    if (!ctx.cluster) return;
    for (const auto& ep : ctx.cluster->etcd) {
      Deadline budget = Deadline::in(ep.timeout).earlier(ctx.deadline);
      // Out of time: fail rather than report endpoints never asked as unhealthy.
      if (budget.expired())
        throw std::runtime_error("etcd: round deadline passed before " + endpoint_label(ep.url) + " was asked");
      std::string url = ep.url;
      while (!url.empty() && url.back() == '/') url.pop_back();
      HttpResponse resp =
          http_get(url + "/health", Duration(std::max(1, budget.remaining_ms())), kHealthMaxBytes);
      bool healthy = resp.ok() && parse_etcd_health(resp.body).healthy;
      out.add("pgwarden_etcd_healthy", {{"endpoint", endpoint_label(ep.url)}}, healthy ? 1 : 0);
    }
  }
};

}  // namespace

PGW_DESCRIBE_METRICS({
    {"pgwarden_etcd_healthy", MetricType::Gauge,
     "1 when the etcd endpoint's /health reports healthy."},
});

PGW_REGISTER_CHECK("etcd", EtcdCheck);

}  // namespace pgw
