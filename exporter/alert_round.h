// The alerting step shared by `serve` (after every check round) and `check`
// (once): the round's samples -> rule engine -> notifier, and the alert state
// file that carries `for` timers and firing alerts across restarts and cron
// runs.
//
// The rules' input is the same in both commands: every check result and self
// metric in the store, pgwarden_build_info, and — when there is a notifier —
// its own pgwarden_notifications_total / pgwarden_outbox_pending (so a rule
// can page about failing deliveries through another receiver). It is not the
// rule engine's own pgwarden_alerts.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/notifier.h"
#include "alerts/rule_engine.h"
#include "alerts/suppression.h"
#include "core/duration.h"
#include "core/sample_source.h"

namespace pgw {

// Evaluates the rules on the samples of `inputs` (and `notifier`'s, when
// given) at `now`, then hands the resulting alerts to `notifier`. Delivery
// (network I/O) is the caller's: Notifier::deliver().
// `suppressor` (optional) marks inhibited and silenced alerts, which the
// notifier then does not announce.
void run_alert_round(const std::vector<const SampleSource*>& inputs, RuleEngine& rules,
                     Notifier* notifier, TimePoint now, const Suppressor* suppressor = nullptr);

// The alert state file: RuleEngine::save_state()'s document,
// {"version": 1, "rules": [...]}, written atomically with mode 0600.
class AlertStateFile {
 public:
  explicit AlertStateFile(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  // The saved state, or null when there is none or it cannot be read (a
  // warning is logged). Also reads the format `check --state-file` wrote
  // before the two commands shared one ({"rules": {"version": 1, ...}}).
  nlohmann::json load() const;
  // Writes the engine's state when it changed. Every instance's lastEval
  // (and often its value) changes on every round; rewriting and fsyncing the
  // file for those alone was a quarter of pgwarden's CPU at a short interval
  // (bench/compare). So unless `force`, a change of only those is written at
  // most every kRefresh; any other change (a state, a timer, labels, an
  // alert appearing or going) is written at once. Returns "" or the error
  // (logged once per distinct error).
  std::string save(const RuleEngine& rules, bool force);

  static constexpr auto kRefresh = std::chrono::seconds(30);

 private:
  std::string path_;
  // Digests of what was last written, not the text: at 1,000 nodes the
  // state can be megabytes (alerts/state_text.h).
  std::uint64_t last_digest_ = 0;
  std::uint64_t last_significant_digest_ = 0;
  std::chrono::steady_clock::time_point last_saved_at_{};
  std::string last_error_;
};

// Restores an engine from a document AlertStateFile::load() returned (either
// format); null restores nothing.
void restore_alert_state(RuleEngine& rules, const nlohmann::json& state);

}  // namespace pgw
