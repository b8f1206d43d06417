// An alert instance as the rule engine produces it and receivers consume it.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/sample.h"

namespace pgw {

using TimePoint = std::chrono::system_clock::time_point;

enum class AlertState { Inactive, Pending, Firing };
const char* alert_state_name(AlertState s);  // "inactive" | "pending" | "firing"

struct Alert {
  Labels labels;                                 // normalized; has alertname, severity
  std::map<std::string, std::string> annotations;
  AlertState state = AlertState::Inactive;       // Inactive = resolved
  double value = 0;
  TimePoint active_at{};                         // when it became pending
  TimePoint fired_at{};                          // when it became firing (zero if never)
  TimePoint resolved_at{};                       // zero while active
  TimePoint last_eval{};
  // Set by apply_suppression() (alerts/suppression.h): fingerprints of the
  // firing alerts that inhibit this one, ids of the silences that match it.
  // A suppressed alert is still evaluated and shown, but not notified.
  std::vector<std::string> inhibited_by;
  std::vector<std::string> silenced_by;
  bool suppressed() const { return !inhibited_by.empty() || !silenced_by.empty(); }

  // Stable hash of the label set (hex), as Alertmanager uses for dedup.
  std::string fingerprint() const;
  const std::string& name() const { return label_value(labels, "alertname"); }
  const std::string& severity() const { return label_value(labels, "severity"); }
};

}  // namespace pgw
