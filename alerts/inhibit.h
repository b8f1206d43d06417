// Inhibition with Alertmanager's semantics: while a *firing* alert matches a
// rule's source matchers, every alert matching its target matchers whose
// `equal` labels carry the same values (absent = "" on both sides counts as
// equal) is inhibited. An alert never inhibits itself, and an alert that
// matches both sides of a rule is not inhibited by another such alert
// (Alertmanager's guard against mutual inhibition).
//
// The built-in rules (always on) make one fault one page:
//  - PgNodeDown inhibits every other alert of the same cluster and node
//    (CheckFailing included);
//  - PgNoPrimary inhibits the replication alerts of its cluster that follow
//    from having no primary;
//  - a critical alert inhibits the warning of the same alertname and labels.
#pragma once

#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/matcher.h"
#include "core/config.h"

namespace pgw {

struct InhibitRule {
  std::vector<LabelMatcher> source;
  std::vector<LabelMatcher> target;
  std::vector<std::string> equal;
  // Instead of `equal`: every label but severity must be equal (the
  // critical-inhibits-warning rule, which no fixed list can express).
  bool equal_all_but_severity = false;
  std::string origin;  // "builtin: ..." or "file:line:col", for debugging
};

// The built-in rules.
std::vector<InhibitRule> builtin_inhibit_rules();
// The built-in rules followed by [[inhibit_rules]] (which the loader has
// validated; an entry that does not compile is skipped).
std::vector<InhibitRule> inhibit_rules(const Config& config);

class Inhibitor {
 public:
  explicit Inhibitor(std::vector<InhibitRule> rules) : rules_(std::move(rules)) {}
  // Sets Alert::inhibited_by (sorted fingerprints of the firing alerts that
  // inhibit it) on every pending or firing alert; clears it on the others.
  void apply(std::vector<Alert>& alerts) const;

 private:
  std::vector<InhibitRule> rules_;
};

}  // namespace pgw
