// The alert instances of one rule and their Prometheus state machine:
// a new instance is pending; it fires once it has been active for `for`;
// when the expression stops returning it, a pending instance is dropped and a
// firing one is resolved (kept 15 minutes as Inactive with resolved_at) unless
// `keep_firing_for` holds it firing a while longer.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alert.h"
#include "alerts/state_text.h"
#include "core/duration.h"

namespace pgw {

constexpr Duration kResolvedRetention = Duration(15LL * 60 * 1000);

// An instance the expression returned this round (final labels,
// annotations, value) and label_key(alert.labels).
struct ReturnedAlert {
  std::string key;
  Alert alert;
};

class RuleState {
 public:
  // `results` are this round's instances; their label sets must be distinct.
  void advance(std::vector<ReturnedAlert> results, TimePoint now, Duration hold, Duration keep_firing_for);

  bool empty() const { return active_.empty(); }
  // Every tracked instance: pending, firing and recently resolved.
  std::vector<Alert> alerts() const;

  nlohmann::json save() const;
  // save()'s array written as JSON text (alerts/state_text.h).
  void write(StateText& out) const;
  // Replaces the instances; throws std::invalid_argument on malformed input
  // without changing anything.
  void restore(const nlohmann::json& instances);

 private:
  struct Instance {
    Alert alert;
    TimePoint keep_firing_since{};
    bool returned = false;  // by the current advance()
  };
  std::map<std::string, Instance> active_;  // by label key
};

// A map key for a label set (sorted pairs joined with separators).
std::string label_key(const Labels& labels);

}  // namespace pgw
