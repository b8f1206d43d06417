// The failover verdict of one cluster in words, from the samples of the
// failover_readiness check: "ready: beta can take over, RPO 0 B / 0 s" or
// "not ready: beta replay paused 12 min". Shared by the status page and
// `pgwarden check --format text`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/sample.h"
#include "exporter/snapshot_store.h"

namespace pgw {

// "" when the samples hold no verdict for the cluster (check not run yet).
std::string failover_verdict_line(const std::vector<Sample>& samples, const std::string& cluster);
// The same from the store's results (copies only the few samples it reads).
std::string failover_verdict_line(const std::vector<std::shared_ptr<const CheckResult>>& results,
                                  const std::string& cluster);

}  // namespace pgw
