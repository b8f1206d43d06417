// The step between the rule engine and everything downstream: marks each
// alert inhibited (alerts/inhibit.h) and silenced (alerts/silence.h).
// Suppressed alerts stay in the list (for /alerts, the status page and the
// `alertmanager` receiver, which inhibits on its own); grouped receivers and
// `check`'s exit code skip them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/inhibit.h"
#include "alerts/silence.h"
#include "core/config.h"

namespace pgw {

// Where the silences of a config live: state_dir/silences.json, shared by
// `serve` (api/v2) and `pgwarden silence` (for cron `check` runs).
inline std::string silences_path(const Config& config) {
  return (std::filesystem::path(config.exporter.state_dir) / "silences.json").string();
}

class Suppressor {
 public:
  // `silences` may be null (no silences); it must outlive the Suppressor.
  Suppressor(const Config& config, SilenceStore* silences)
      : inhibitor_(inhibit_rules(config)), silences_(silences) {}

  // Returns `alerts` with inhibited_by and silenced_by set.
  std::vector<Alert> apply(std::vector<Alert> alerts, TimePoint now) const;

 private:
  Inhibitor inhibitor_;
  SilenceStore* silences_;
};

}  // namespace pgw
