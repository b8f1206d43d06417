// The human status page served at "/": nodes, roles, lag, slots, embedder,
// failing checks, active alerts (inhibited and silenced ones marked) and
// silences. Self-contained HTML (no external
// assets) that refreshes itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/silence.h"
#include "core/config.h"
#include "exporter/snapshot_store.h"

namespace pgw {

// Reads the store's immutable results without copying their samples, once:
// linear in the number of samples.
std::string render_status_page(const Config& config,
                               const std::vector<std::shared_ptr<const CheckResult>>& results,
                               const std::vector<Alert>& alerts,
                               const std::vector<Silence>& silences = {});

}  // namespace pgw
