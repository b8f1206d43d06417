// Evaluates alerting rules (the built-in pack plus [[rules]]) over the
// latest samples with Prometheus semantics: inactive -> pending -> firing,
// `for`, `keep_firing_for`, resolved alerts kept for a while and reported.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alert.h"
#include "alerts/rule_definition.h"
#include "alerts/history_snapshot.h"
#include "alerts/state_text.h"
#include "core/config.h"
#include "core/sample_source.h"

namespace pgw {

// The rules of a config: the built-in pack (unless [alerts] builtin = false,
// minus [alerts] disabled) followed by [[rules]].
std::vector<RuleDefinition> rule_definitions(const Config& config);

// Parses every rule's expression and templates. Errors carry the rule's
// position (file:line:col of its expr) and the offset within the expression.
std::vector<ConfigError> validate_rules(const Config& config);

class RuleEngine : public SampleSource {
 public:
  // The config must have passed validate_rules().
  explicit RuleEngine(const Config& config);
  ~RuleEngine() override;

  // Evaluates every rule against `samples` at `now` and advances states.
  // The samples are walked (twice when the series changed), not kept.
  void evaluate(const SampleSequence& samples, TimePoint now);
  void evaluate(const std::vector<Sample>& samples, TimePoint now) { evaluate(VectorSequence(samples), now); }
  // Pending and firing alerts, plus resolved ones not yet expired (kept
  // 15 minutes, as Prometheus does, so receivers learn of the resolution),
  // as of the last evaluate() or restore_state(): readers never wait for an
  // evaluation in progress.
  std::vector<Alert> alerts() const;
  // Active (pending/firing) alerts only, for /alerts and the status page.
  std::vector<Alert> active_alerts() const;

  // State for restart/cron persistence (pending timers, firing alerts).
  nlohmann::json save_state() const;
  // The same as JSON text, written without a document, with the digest of
  // its significant part (alerts/state_text.h).
  StateText save_state_text() const;
  void restore_state(const nlohmann::json& state);

  // The samples range selectors and offsets keep (see rule_history.h),
  // for a restart and for the next cron run. restore_history() ignores
  // (and logs) bad input.
  nlohmann::json save_history() const;
  void restore_history(const nlohmann::json& saved);

  // Also keeps, for display, the series these range selectors match (e.g.
  // "pgwarden_cluster_lag_bytes[1h]"), as deep as their range, under the
  // same bound and through the same save/restore as the rules' history;
  // those no rule needs at one point per `resolution_ms` (0: every round).
  // Call before restore_history(). Throws std::invalid_argument for a
  // selector that does not parse.
  void keep_for_display(const std::vector<std::string>& selectors, std::int64_t resolution_ms = 0);
  // Those series as of the last evaluate() or restore_history(), published
  // whole: a reader never waits for an evaluation in progress.
  std::shared_ptr<const HistorySnapshot> display_history() const;

  // pgwarden_alerts{alertname,severity,state} = 1 per active alert, and
  // the history's pgwarden_rule_history_* figures.
  void append_samples(std::vector<Sample>& out) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgw
