// [[rules]] (custom alert rules) and [alerts] (the built-in rule pack).
#include <algorithm>
#include <cmath>

#include "exporter/config_sections.h"
#include "exporter/config_values.h"

namespace pgw::config_detail {
namespace {

// DESIGN.md "Built-in alerts": the names [alerts] disabled may list.
const std::vector<std::string>& builtin_alert_names() {
  static const std::vector<std::string> names = {
      "PgNodeDown",          "PgNoPrimary",
      "PgSplitBrain",        "PgRoleMismatch",
      "PgStandbyNotStreaming", "PgReplicationLagHigh",
      "PgSyncReplicationDegraded", "PgReplicationSlotInactive",
      "PgReplicationSlotMissing", "PgReplicationSlotRetainingWal",
      "PgArchiverFailing",   "PgTimelineChanged",
      "EmbedderDown",        "EmbedderDimensionMismatch",
      "PatroniNoLeader",     "EtcdUnhealthy",
      "HostDiskSpaceLow",    "BackupTooOld",
      "DataDirPermissions",  "SshHostKeyUnverified",
      "SyncQueueBacklog",    "CheckFailing",
      "Watchdog",            "PatroniPaused",
      "PgReplicationSlotInvalidated", "PgReplicationSlotWalAtRisk",
      "PgLongTransaction",   "PgXminHorizonHeld",
      "PgTransactionIdWraparound", "PgArchiveBacklog",
      "PgSubscriptionErrors", "PgReplicationSlotWalLossPredicted",
      "HostDiskFillPredicted", "PgFailoverNotReady"};
  return names;
}

void check_label_keys(TableReader& r, std::string_view key,
                      const std::map<std::string, std::string>& values) {
  const toml::table* t = r.table().get(key)->as_table();
  for (const auto& [name, value] : values)
    if (auto err = check_label_name(name))
      r.sink().add(r.sink().pos(*t->get(name)), r.key_path(key) + "." + name + ": " + *err);
}

}  // namespace

void read_rules(TableReader& root, LoadState& st, std::vector<RuleConfig>& out) {
  auto tables = root.tables("rules");
  for (size_t i = 0; i < tables.size(); ++i) {
    const toml::table& t = *tables[i];
    TableReader r(t, "rules[" + std::to_string(i) + "]", st.sink);
    RuleConfig rule;
    rule.pos = st.sink.pos(t);
    if (r.string("alert", rule.alert, true))
      if (auto err = check_alert_name(rule.alert))
        st.sink.add(*t.get("alert"), r.key_path("alert"), *err);
    if (r.string("expr", rule.expr, true)) rule.expr_pos = st.sink.pos(*t.get("expr"));
    r.duration("for", rule.for_, true);
    r.duration("keep_firing_for", rule.keep_firing_for, true);
    if (r.string("severity", rule.severity) && rule.severity != "critical" &&
        rule.severity != "warning" && rule.severity != "info" && rule.severity != "none")
      st.sink.add(*t.get("severity"), r.key_path("severity"),
                  show(rule.severity) +
                      " is not a severity (expected critical, warning, info or none)");
    if (r.string_map("labels", rule.labels)) check_label_keys(r, "labels", rule.labels);
    r.string_map("annotations", rule.annotations);
    r.finish();
    out.push_back(std::move(rule));
  }
}

void read_alerts(TableReader& root, LoadState& st, AlertsConfig& a) {
  const toml::table* t = root.subtable("alerts");
  if (!t) return;
  TableReader r(*t, "alerts", st.sink);
  r.boolean("builtin", a.builtin);
  constexpr double kAny = HUGE_VAL;
  r.number("lag_warning_bytes", a.lag_warning_bytes, 0, kAny);
  r.number("lag_critical_bytes", a.lag_critical_bytes, 0, kAny);
  r.number("lag_warning_seconds", a.lag_warning_seconds, 0, kAny);
  r.number("lag_critical_seconds", a.lag_critical_seconds, 0, kAny);
  r.number("slot_retained_warning_bytes", a.slot_retained_warning_bytes, 0, kAny);
  r.number("failover_replay_behind_bytes", a.failover_replay_behind_bytes, 0, kAny);
  r.number("disk_free_warning_ratio", a.disk_free_warning_ratio, 0, 1);
  r.number("disk_free_critical_ratio", a.disk_free_critical_ratio, 0, 1);
  r.duration("backup_max_age", a.backup_max_age);
  r.duration("sync_queue_max_age", a.sync_queue_max_age);
  r.duration("timeline_changed_window", a.timeline_changed_window);
  r.duration("standby_last_msg_max_age", a.standby_last_msg_max_age);
  r.duration("long_transaction_max_age", a.long_transaction_max_age);
  r.number("xmin_horizon_max_age_xids", a.xmin_horizon_max_age_xids, 0, kAny);
  r.number("wraparound_age_xids", a.wraparound_age_xids, 0, kAny);
  r.number("archive_ready_files_max", a.archive_ready_files_max, 0, kAny);
  r.number("slot_safe_wal_size_min_bytes", a.slot_safe_wal_size_min_bytes, 0, kAny);
  r.duration("for", a.for_, true);
  r.duration("slot_wal_loss_horizon", a.slot_wal_loss_horizon);
  r.duration("disk_fill_horizon", a.disk_fill_horizon);
  r.number("history_max_samples", a.history_max_samples, 0, 1e9);
  if (r.strings("disabled", a.disabled)) {
    const auto* arr = t->get("disabled")->as_array();
    const auto& names = builtin_alert_names();
    for (size_t i = 0; i < a.disabled.size(); ++i) {
      if (std::find(names.begin(), names.end(), a.disabled[i]) != names.end()) continue;
      std::string hint = closest_match(a.disabled[i], names);
      std::string msg = show(a.disabled[i]) + " is not a built-in alert";
      msg += hint.empty() ? " (expected one of: " + join(names) + ")"
                          : " (did you mean \"" + hint + "\"?)";
      st.sink.add(*arr->get(i), r.key_path("disabled") + "[" + std::to_string(i) + "]", msg);
    }
  }
  r.finish();
}

}  // namespace pgw::config_detail
