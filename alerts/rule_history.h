// The short history the rules' range selectors and offsets read: samples
// of only the series some such selector can match, only as deep as the
// deepest of them needs (range + offset, plus the 5m lookback for an offset
// instant selector), one point per evaluation round. Bounded in samples:
// past the bound the oldest points go first and are counted.
// Beside the rules' needs it may keep "display needs": series a reader (the
// status page's lag graphs) wants as deep as a range selector says, under
// the same bound and through the same save/restore. A series only a display
// needs is thinned to one point per display resolution (plus the latest),
// so a short interval or many standbys cost no more than the graph can show.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/history_snapshot.h"
#include "alerts/promql_ast.h"
#include "alerts/promql_history.h"
#include "alerts/promql_series_set.h"
#include "core/sample.h"

namespace pgw {

class RuleHistory {
 public:
  explicit RuleHistory(size_t max_samples = 1000000) : max_samples_(max_samples) {}

  // Replaces what is kept with what these expressions' selectors need;
  // series no longer needed go at the next record().
  void set_needs(const std::vector<const promql::Node*>& exprs);
  // Also keeps the series these selectors match, as deep as their range
  // (plus offset), those no rule needs at most one point per
  // `resolution_ms` (0: every round) besides the latest; replaces earlier
  // display needs. Set before restore().
  void set_display_needs(const std::vector<const promql::Node*>& selectors, std::int64_t resolution_ms = 0);
  bool needed() const { return !needs_.empty(); }

  // Records the round's samples that some selector needs at `t` (ms), marks
  // needed series that vanished stale, drops what is older than needed and
  // enforces the bound.
  void record(const promql::SeriesSet& round, std::int64_t t);

  const promql::History& history() const { return history_; }
  // The series the display needs match, each with its points (and
  // staleness markers) within that need's depth of the last record().
  HistorySnapshot display_snapshot() const;
  std::uint64_t dropped_samples() const { return dropped_; }

  // For a restart or the next cron run. restore() keeps only what the
  // current needs match (and within the bound); bad input changes nothing.
  nlohmann::json save() const;
  void restore(const nlohmann::json& saved);

  // pgwarden_rule_history_series / _samples / _dropped_samples_total.
  void append_samples(std::vector<Sample>& out) const;

 private:
  struct Need {
    std::vector<promql::Matcher> matchers;
    std::int64_t keep_ms;
  };
  // Keep depth for a series: the deepest need that matches it, 0 if none.
  std::int64_t keep_for(const Labels& labels) const;
  bool rules_need(const Labels& labels) const;
  void trim(std::int64_t now);
  void enforce_bound();
  void apply_needs();  // needs_ = rule_needs_ + display_needs_, re-keeping kept series

  std::vector<Need> rule_needs_, display_needs_;
  std::vector<Need> needs_;  // both
  std::int64_t display_resolution_ms_ = 0;
  size_t max_samples_;
  promql::History history_;
  std::uint64_t round_ = 0;
  std::int64_t last_t_ = 0;
  std::uint64_t dropped_ = 0;
  size_t samples_ = 0;
};

}  // namespace pgw
