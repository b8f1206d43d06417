// Alertmanager-style aggregation for one receiver: alerts are filtered by
// `match`, grouped by `group_by`, and a group is due group_wait after it
// appears, then on every group_interval tick when it changed, and again after
// repeat_interval when it did not. Resolved alerts are announced only when
// send_resolved; a group whose alerts all resolved is sent once (if
// send_resolved) and forgotten. Suppressed (inhibited or silenced) firing
// alerts are not announced, and an announced alert that becomes suppressed
// is not reported resolved: it did not end. An alert that leaves suppression
// while its group lives is held back one group_wait, as a new group would be:
// when its source resolves, the alerts it inhibited usually end within a
// round, and announcing them in that window would page for what already
// ended (the source's resolution is the notification). Pure logic with an
// injected clock: no I/O.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alert.h"
#include "alerts/payload.h"
#include "core/config.h"

namespace pgw {

// What one notification told the receiver, by alert fingerprint. This is the
// dedup state: it is saved so that a restart does not repeat a delivery.
struct SentState {
  std::set<std::string> firing;
  std::set<std::string> resolved;
  TimePoint at{};

  nlohmann::json to_json() const;
  static std::optional<SentState> from_json(const nlohmann::json& j);
};

struct DueNotification {
  Notification notification;
  SentState sent;  // becomes the group's dedup state once the notification is queued
};

// True when the alert passes the receiver's `match` label filter.
bool receiver_matches(const ReceiverConfig& receiver, const Alert& alert);

class Grouper {
 public:
  Grouper(ReceiverConfig receiver, std::string external_url);

  // Feeds the complete current alert list (firing, pending and recently
  // resolved, as RuleEngine::alerts() returns it) and returns the
  // notifications due at `now`. Returned notifications are considered sent.
  std::vector<DueNotification> update(const std::vector<Alert>& alerts, TimePoint now);

  // Dedup state and timers of every group, for persistence.
  nlohmann::json save() const;
  // Restores dedup state saved by save(); unknown or malformed entries are ignored.
  void restore(const nlohmann::json& state);
  // Records a notification recovered from the outbox as sent (if it is newer
  // than the group's recorded state).
  void mark_sent(const std::string& group_key, const SentState& sent);

  size_t group_count() const { return groups_.size(); }

 private:
  struct Group {
    Labels labels;
    std::map<std::string, Alert> alerts;  // by fingerprint
    TimePoint next_flush{};
    // Fingerprint -> when the alert left suppression (held one group_wait).
    std::map<std::string, TimePoint> released;
  };

  struct Bucket {
    Labels labels;
    std::map<std::string, Alert> alerts;  // by fingerprint
  };
  using Buckets = std::map<std::string, Bucket>;  // by group key

  // The steps of update(), in order.
  Buckets bucket(const std::vector<Alert>& alerts) const;
  void open_groups(Buckets& buckets, TimePoint now);
  void resolve_vanished(const Buckets& buckets, TimePoint now);
  void drop_stale_sent(TimePoint now);
  std::vector<DueNotification> flush_due(TimePoint now);

  Labels group_labels(const Alert& alert) const;
  std::string group_key(const Labels& group_labels) const;
  std::optional<DueNotification> flush(const std::string& key, Group& group, TimePoint now);

  ReceiverConfig receiver_;
  std::string external_url_;
  std::map<std::string, Group> groups_;
  std::map<std::string, SentState> sent_;  // by group key
  std::map<std::string, TimePoint> restored_flush_;  // timers from save(), until next update
};

}  // namespace pgw
