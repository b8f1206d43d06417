// The human status page served at "/": nodes, roles, lag, slots, embedder,
// failing checks, active alerts (inhibited and silenced ones marked),
// silences, and each standby's lag over the last hour as inline SVG graphs.
// Self-contained HTML (no script, no external assets) that refreshes itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/history_snapshot.h"
#include "alerts/silence.h"
#include "core/config.h"
#include "exporter/snapshot_store.h"

namespace pgw {

// What the lag graphs draw: `serve` gives it to the rule engine as display
// needs (RuleEngine::keep_for_display), so the history keeps these series
// even when no rule needs them. Bytes: pgwarden_cluster_lag_bytes (the
// primary's LSN minus the standby's replay LSN, measured across nodes: it
// goes on growing while the standby's stream is down). Seconds: the
// primary's pgwarden_replication_lag_seconds{stage="replay"}, by
// application_name. A row per standby: a configured node, an expected
// standby, or any standby with a byte-lag series (not a logical subscriber).
struct StatusPageHistoryNeeds {
  std::vector<std::string> selectors;  // range selectors; the range is the window drawn
  std::int64_t resolution_ms;          // about what one pixel of a graph spans
};
const StatusPageHistoryNeeds& status_page_history_needs();

// Reads the store's immutable results without copying their samples, once:
// linear in the number of samples. `lag_history`: the engine's published
// display history (RuleEngine::display_history()); null draws no graphs.
std::string render_status_page(const Config& config,
                               const std::vector<std::shared_ptr<const CheckResult>>& results,
                               const std::vector<Alert>& alerts,
                               const std::vector<Silence>& silences = {},
                               const HistorySnapshot* lag_history = nullptr);

}  // namespace pgw
