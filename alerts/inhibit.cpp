#include "alerts/inhibit.h"

#include <algorithm>
#include <set>

namespace pgw {
namespace {

LabelMatcher must(const std::string& text) {
  std::string error;
  size_t offset = 0;
  return *LabelMatcher::parse(text, error, offset);  // built-in text: always valid
}

// The replication alerts that a cluster without a primary necessarily
// raises: its standbys have nothing to stream from, lag and slots are
// measured on a primary that is not there, and no failover target is "ready"
// for a primary that does not exist.
const char* const kFollowsFromNoPrimary =
    "alertname=~\"PgStandbyNotStreaming|PgReplicationLagHigh|PgSyncReplicationDegraded|"
    "PgReplicationSlotInactive|PgReplicationSlotMissing|PgFailoverNotReady\"";

bool labels_equal_but_severity(const Labels& a, const Labels& b) {
  auto strip = [](const Labels& l) {
    Labels out;
    for (const auto& kv : l)
      if (kv.first != "severity") out.push_back(kv);
    return out;
  };
  return strip(a) == strip(b);
}

bool equal_labels(const InhibitRule& rule, const Alert& source, const Alert& target) {
  if (rule.equal_all_but_severity) return labels_equal_but_severity(source.labels, target.labels);
  for (const auto& name : rule.equal)
    if (label_value(source.labels, name) != label_value(target.labels, name)) return false;
  return true;
}

bool is_active(const Alert& a) { return a.state == AlertState::Pending || a.state == AlertState::Firing; }

}  // namespace

std::vector<InhibitRule> builtin_inhibit_rules() {
  std::vector<InhibitRule> rules;
  rules.push_back({{must("alertname=\"PgNodeDown\"")},
                   {must("alertname!=\"PgNodeDown\""), must("node=~\".+\"")},
                   {"cluster", "node"},
                   false,
                   "builtin: node down"});
  rules.push_back({{must("alertname=\"PgNoPrimary\"")},
                   {must(kFollowsFromNoPrimary)},
                   {"cluster"},
                   false,
                   "builtin: no primary"});
  rules.push_back({{must("severity=\"critical\"")},
                   {must("severity=\"warning\"")},
                   {},
                   true,
                   "builtin: critical inhibits warning"});
  return rules;
}

std::vector<InhibitRule> inhibit_rules(const Config& config) {
  auto rules = builtin_inhibit_rules();
  for (const auto& rc : config.inhibit_rules) {
    InhibitRule r;
    bool ok = true;
    auto compile = [&ok](const std::vector<std::string>& in, std::vector<LabelMatcher>& out) {
      for (const auto& text : in) {
        std::string error;
        size_t offset = 0;
        if (auto m = LabelMatcher::parse(text, error, offset)) out.push_back(std::move(*m));
        else ok = false;
      }
    };
    compile(rc.source_matchers, r.source);
    compile(rc.target_matchers, r.target);
    r.equal = rc.equal;
    r.origin = rc.pos.str();
    if (ok) rules.push_back(std::move(r));
  }
  return rules;
}

void Inhibitor::apply(std::vector<Alert>& alerts) const {
  std::vector<std::string> fps(alerts.size());
  for (size_t i = 0; i < alerts.size(); ++i) fps[i] = alerts[i].fingerprint();
  std::vector<std::set<std::string>> by(alerts.size());

  for (const auto& rule : rules_) {
    std::vector<size_t> sources;
    for (size_t i = 0; i < alerts.size(); ++i)
      if (alerts[i].state == AlertState::Firing && all_match(rule.source, alerts[i].labels))
        sources.push_back(i);
    if (sources.empty()) continue;
    for (size_t t = 0; t < alerts.size(); ++t) {
      if (!is_active(alerts[t]) || !all_match(rule.target, alerts[t].labels)) continue;
      bool target_is_source = all_match(rule.source, alerts[t].labels);
      for (size_t s : sources) {
        if (s == t || fps[s] == fps[t]) continue;
        // An alert matching both sides cannot be inhibited by another alert
        // that matches both sides (Alertmanager's rule), so two such alerts
        // never silence each other.
        if (target_is_source && all_match(rule.target, alerts[s].labels)) continue;
        if (equal_labels(rule, alerts[s], alerts[t])) by[t].insert(fps[s]);
      }
    }
  }
  for (size_t i = 0; i < alerts.size(); ++i)
    alerts[i].inhibited_by.assign(by[i].begin(), by[i].end());
}

}  // namespace pgw
