#include "alerts/builtin_rules.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace pgw {
namespace {

std::string num(double v) {
  char buf[64];
  if (std::floor(v) == v && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string secs(Duration d) { return num(static_cast<double>(d.count()) / 1000.0); }

// A value for a PromQL double-quoted string holding an anchored regex
// alternative of literal names.
std::string regex_alternatives(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += '|';
    for (char c : names[i]) {
      if (c == '\\') { out += "\\\\\\\\"; continue; }
      if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out += "\\\\";
      else if (c == '"') out += '\\';
      out += c;
    }
  }
  return out;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const std::string kWhere = "{{ $labels.node }} ({{ $labels.cluster }})";

struct Builder {
  std::vector<RuleDefinition> rules;
  Duration default_for;

  void add(std::string alert, std::string severity, std::string expr, Duration for_, std::string summary,
           std::string description) {
    RuleDefinition r;
    r.alert = std::move(alert);
    r.expr = std::move(expr);
    r.for_ = for_;
    r.labels["severity"] = std::move(severity);
    r.annotations["summary"] = std::move(summary);
    r.annotations["description"] = std::move(description);
    r.builtin = true;
    r.pos = SourcePos{"<builtin>", 0, 0};
    rules.push_back(std::move(r));
  }
};

// PgSyncReplicationDegraded: the configured sync standbys that report an
// async sync_state. Node-level sync_standbys are judged on their node; a
// cluster's on whichever node is its one primary now (not in recovery, and
// the cluster has exactly one primary: see checks/expectations.h). A standby
// that is not connected at all is PgStandbyNotStreaming's business.
std::string sync_degraded_expr(const Config& config) {
  std::string expr;
  auto add = [&](std::string term) { expr += (expr.empty() ? "" : " or ") + std::move(term); };
  for (const auto& c : config.clusters) {
    for (const auto& n : c.nodes) {
      if (n.sync_standbys.empty()) continue;
      add("pgwarden_replication_sync{cluster=" + quoted(c.name) + ", node=" + quoted(n.name) +
          ", application_name=~\"" + regex_alternatives(n.sync_standbys) + "\"} == 0");
    }
    if (!c.sync_standbys.empty())
      add("(pgwarden_replication_sync{cluster=" + quoted(c.name) + ", application_name=~\"" +
          regex_alternatives(c.sync_standbys) + "\"} == 0"
          " and on(cluster, node) pgwarden_pg_in_recovery == 0"
          " unless on(cluster) pgwarden_cluster_primaries != 1)");
  }
  // Without configured sync standbys the rule stays and selects nothing.
  return expr.empty() ? "pgwarden_replication_sync == 0 unless on() vector(1)" : expr;
}

}  // namespace

std::vector<RuleDefinition> builtin_rules(const Config& config) {
  const AlertsConfig& a = config.alerts;
  Builder b{{}, a.for_};
  const Duration now{0};
  const Duration f = a.for_;

  // Node down waits `for`: a single failed round is often a restart or a
  // network blip. Client nodes (laptops) are offline by design; a node with
  // role auto is not (a Patroni member down is a member down).
  b.add("PgNodeDown", "critical",
        "pgwarden_node_up == 0 unless on(cluster, node) pgwarden_node_expected_role{role=\"client\"}", f,
        "PostgreSQL on " + kWhere + " is unreachable",
        "pgwarden could not connect to PostgreSQL on node {{ $labels.node }} of cluster {{ $labels.cluster }}.");
  b.add("PgNoPrimary", "critical", "pgwarden_cluster_primaries == 0", f,
        "Cluster {{ $labels.cluster }} has no reachable primary",
        "No reachable node of cluster {{ $labels.cluster }} accepts writes.");
  // Immediate: two writable primaries diverge with every write, and the
  // condition needs two nodes both answering, so it is rarely a blip.
  b.add("PgSplitBrain", "critical", "pgwarden_cluster_primaries > 1", now,
        "Cluster {{ $labels.cluster }} has {{ $value }} primaries (split brain)",
        "More than one node of cluster {{ $labels.cluster }} is out of recovery and accepts writes.");
  // A node with role auto may be either (Patroni moves the primary).
  b.add("PgRoleMismatch", "warning",
        "pgwarden_pg_in_recovery == on(cluster, node) pgwarden_pg_expected_primary"
        " unless on(cluster, node) pgwarden_node_expected_role{role=~\"client|auto\"}",
        f, kWhere + " does not have its configured role",
        "Node {{ $labels.node }} reports pg_is_in_recovery() = {{ $value }}, which contradicts the role in the "
        "configuration (after a failover, update the configuration).");
  // Two rules under one name: seen from the primary (the series names the
  // standby in application_name) and from the standby itself (node). The
  // observed_on label keeps them distinct (promtool rejects identical ones).
  b.add("PgStandbyNotStreaming", "critical", "pgwarden_replication_expected_standby_connected == 0", f,
        "Standby {{ $labels.application_name }} is not connected to {{ $labels.node }} ({{ $labels.cluster }})",
        "A standby listed in expected_standbys has no WAL sender on this node.");
  b.rules.back().labels["observed_on"] = "primary";
  b.add("PgStandbyNotStreaming", "critical",
        "pgwarden_standby_wal_receiver_streaming == 0"
        " or pgwarden_standby_last_msg_age_seconds > " + secs(a.standby_last_msg_max_age),
        f, "Standby {{ $labels.node }} ({{ $labels.cluster }}) is not streaming from its primary",
        "The standby's WAL receiver is not streaming, or it has not heard from the primary for longer than " +
            secs(a.standby_last_msg_max_age) + "s.");
  b.rules.back().labels["observed_on"] = "standby";
  for (const auto& [severity, bytes, seconds] :
       {std::tuple{"warning", a.lag_warning_bytes, a.lag_warning_seconds},
        std::tuple{"critical", a.lag_critical_bytes, a.lag_critical_seconds}}) {
    b.add("PgReplicationLagHigh", severity,
          "pgwarden_replication_lag_bytes{stage=\"replay\"} > " + num(bytes) +
              " or pgwarden_replication_lag_seconds{stage=\"replay\"} > " + num(seconds) +
              " or pgwarden_cluster_lag_bytes > " + num(bytes),
          f, "Replication lag of {{ $labels.application_name }}{{ $labels.standby }} ({{ $labels.cluster }}) is high",
          "Replay lag is {{ $value | humanize }} (bytes, or seconds for the time-based measure); thresholds " +
              num(bytes) + " bytes / " + num(seconds) + " s.");
  }
  b.add("PgSyncReplicationDegraded", "critical", sync_degraded_expr(config), f,
        "Synchronous standby {{ $labels.application_name }} of " + kWhere + " is not synchronous",
        "A standby listed in sync_standbys reports sync_state other than sync or quorum: commits are not "
        "protected by it.");
  b.add("PgReplicationSlotInactive", "warning", "pgwarden_slot_active == 0", f,
        "Replication slot {{ $labels.slot }} on " + kWhere + " is inactive",
        "No consumer is attached to slot {{ $labels.slot }}; it retains WAL until one reconnects.");
  b.add("PgReplicationSlotMissing", "critical", "pgwarden_slot_present == 0", f,
        "Expected replication slot {{ $labels.slot }} is missing on " + kWhere,
        "The configuration expects slot {{ $labels.slot }}; without it the standby can lose needed WAL.");
  b.add("PgReplicationSlotRetainingWal", "warning",
        "pgwarden_slot_retained_bytes > " + num(a.slot_retained_warning_bytes), f,
        "Slot {{ $labels.slot }} on " + kWhere + " retains {{ $value | humanize1024 }}B of WAL",
        "Replication slot {{ $labels.slot }} holds back more than " + num(a.slot_retained_warning_bytes) +
            " bytes of WAL; the disk may fill up.");
  // Failures within the last 5 minutes while the last attempt failed: the
  // flag alone stays set on an idle node long after one old failure, the
  // window alone would keep firing 5 minutes after archiving recovered.
  b.add("PgArchiverFailing", "warning",
        "increase(pgwarden_archiver_failed_total[5m]) > 0 and on(cluster, node) pgwarden_archiver_failing == 1", f,
        "WAL archiving is failing on " + kWhere,
        "archive_command failed {{ $value | humanize }} times in the last 5 minutes.");
  // --- Slot state, vacuum horizon, wraparound, archive backlog, logical
  // replication (issue 14; series from checks/{slot_state,horizon,wal,
  // subscriptions}_check.cpp).
  // Immediate: an invalidated slot never recovers; the standby must be rebuilt.
  b.add("PgReplicationSlotInvalidated", "critical", "pgwarden_slot_invalidated == 1", now,
        "Replication slot {{ $labels.slot }} on " + kWhere + " was invalidated",
        "PostgreSQL invalidated slot {{ $labels.slot }} (reason: {{ $labels.reason }}): WAL its consumer needs "
        "is gone; rebuild the standby or subscriber and recreate the slot.");
  b.add("PgReplicationSlotWalAtRisk", "warning",
        "pgwarden_slot_wal_status{wal_status=\"unreserved\"} == 1"
        " or pgwarden_slot_safe_wal_size_bytes < " + num(a.slot_safe_wal_size_min_bytes),
        f, "Replication slot {{ $labels.slot }} on " + kWhere + " is about to lose WAL",
        "The slot's WAL is no longer reserved, or less than " + num(a.slot_safe_wal_size_min_bytes) +
            " bytes can be written before max_slot_wal_keep_size invalidates it.");
  b.add("PgLongTransaction", "warning",
        "pgwarden_pg_oldest_transaction_age_seconds > " + secs(a.long_transaction_max_age), f,
        "A transaction ({{ $labels.state }}) on " + kWhere + " is open for {{ $value | humanizeDuration }}",
        "The oldest {{ $labels.state }} transaction is older than " + secs(a.long_transaction_max_age) +
            "s; it holds locks and keeps vacuum from removing dead rows.");
  b.add("PgXminHorizonHeld", "warning",
        "pgwarden_pg_xmin_horizon_age_xids > " + num(a.xmin_horizon_max_age_xids), f,
        "The xmin horizon of " + kWhere + " is held back {{ $value }} transactions by a {{ $labels.holder }}",
        "A {{ $labels.holder }} holds the oldest xmin more than " + num(a.xmin_horizon_max_age_xids) +
            " transactions back: vacuum cannot remove newer dead rows (bloat, and eventually wraparound).");
  b.add("PgTransactionIdWraparound", "critical",
        "pgwarden_pg_database_xid_age_xids > " + num(a.wraparound_age_xids) +
            " or pgwarden_pg_database_mxid_age_xids > " + num(a.wraparound_age_xids),
        f, "Database {{ $labels.datname }} on " + kWhere + " approaches ID wraparound",
        "Its oldest unfrozen transaction or multixact ID is {{ $value }} old (limit ~2.1e9, threshold " +
            num(a.wraparound_age_xids) + "); find what blocks vacuum freezing and run VACUUM.");
  b.add("PgArchiveBacklog", "warning", "pgwarden_archiver_ready_files > " + num(a.archive_ready_files_max), f,
        "{{ $value }} WAL segments wait to be archived on " + kWhere,
        "More than " + num(a.archive_ready_files_max) +
            " .ready files in pg_wal/archive_status: archiving falls behind and pg_wal grows.");
  // The rule language has no range functions yet (increase() would say "new
  // errors lately"): the counter firing while non-zero means an operator
  // clears it after the fix with pg_stat_reset_subscription_stats().
  b.add("PgSubscriptionErrors", "warning", "pgwarden_subscription_errors_total > 0", now,
        "Subscription {{ $labels.subscription }} on " + kWhere + " has {{ $labels.kind }} errors",
        "Its {{ $labels.kind }} worker failed {{ $value }} times (see the server log: often a conflicting row). "
        "After the fix, SELECT pg_stat_reset_subscription_stats(NULL) clears the count.");
  // --- end of issue 14's rules.
  // Immediate: a timeline change is an event (a promotion); it stays
  // active for the configured window.
  b.add("PgTimelineChanged", "warning",
        "time() - pgwarden_pg_timeline_changed_timestamp_seconds < " + secs(a.timeline_changed_window), now,
        "Timeline of " + kWhere + " changed {{ $value | humanizeDuration }} ago",
        "The node switched timelines (promotion or failover) within the last " +
            secs(a.timeline_changed_window) + "s.");
  // PgFailoverNotReady: one alert per reason that blocks each standby
  // (labels standby, reason), so the notification of the cluster's group
  // lists every reason. Not while some standby could take over, and not
  // while the cluster has no primary at all (PgNoPrimary pages for that;
  // the expression itself stays quiet, beside any inhibition).
  b.add("PgFailoverNotReady", "warning",
        "pgwarden_cluster_failover_blocker == 1"
        " unless on(cluster) pgwarden_cluster_failover_ready == 1"
        " unless on(cluster) pgwarden_cluster_primaries == 0",
        f, "Cluster {{ $labels.cluster }} cannot fail over to {{ $labels.standby }}: {{ $labels.reason }}",
        "No standby of cluster {{ $labels.cluster }} could be promoted now. Standby {{ $labels.standby }} is "
        "blocked by {{ $labels.reason }} (README: failover readiness reasons); "
        "pgwarden_cluster_failover_blocker lists every reason.");
  b.add("EmbedderDown", "critical", "pgwarden_embedder_up == 0", f, "Embedding service of " + kWhere + " is down",
        "The embedder's /health endpoint did not answer healthy.");
  b.add("EmbedderDimensionMismatch", "critical",
        "pgwarden_embedder_probe_ok == 0 and on(cluster, node) pgwarden_embedder_up == 1", f,
        "Embedding service of " + kWhere + " returns vectors of the wrong dimension",
        "The /embed probe did not return a valid vector of the configured dimension while /health is healthy.");
  b.add("PatroniNoLeader", "critical", "pgwarden_cluster_has_leader == 0", f,
        "Patroni reports no leader for cluster {{ $labels.cluster }}",
        "Patroni's /cluster endpoint lists no leader member.");
  // Info while it lasts: in maintenance mode Patroni does not fail over, so
  // whoever paused it should not forget to resume.
  b.add("PatroniPaused", "info", "pgwarden_patroni_paused == 1", now,
        "Patroni on " + kWhere + " is paused (maintenance mode)",
        "Patroni does not fail over while paused (automatic failover is off); run `patronictl resume` when the "
        "maintenance is over.");
  b.add("EtcdUnhealthy", "warning", "pgwarden_etcd_healthy == 0", f,
        "etcd endpoint {{ $labels.endpoint }} ({{ $labels.cluster }}) is unhealthy",
        "The endpoint's /health did not report healthy; Patroni needs an etcd quorum to keep its leader.");
  for (const auto& [severity, ratio] :
       {std::pair{"warning", a.disk_free_warning_ratio}, std::pair{"critical", a.disk_free_critical_ratio}}) {
    b.add("HostDiskSpaceLow", severity,
          "pgwarden_host_filesystem_free_bytes / pgwarden_host_filesystem_size_bytes < " + num(ratio), f,
          "Filesystem of {{ $labels.path }} on " + kWhere + " has {{ $value | humanizePercentage }} free",
          "Free space is below " + num(ratio * 100) + "% of the filesystem.");
  }
  // Trend rules (range selectors; their history is kept by rule_history).
  // The slot loses WAL when safe_wal_size reaches zero; the trend of the
  // last 30 minutes predicts when.
  b.add("PgReplicationSlotWalLossPredicted", "critical",
        "predict_linear(pgwarden_slot_safe_wal_size_bytes[30m], " + secs(a.slot_wal_loss_horizon) + ") < 0", f,
        "Slot {{ $labels.slot }} on " + kWhere + " will lose WAL within " + format_duration(a.slot_wal_loss_horizon),
        "At the retention growth of the last 30 minutes, slot {{ $labels.slot }} passes max_slot_wal_keep_size "
        "(safe_wal_size reaches 0) within " + format_duration(a.slot_wal_loss_horizon) +
            "; its standby will then need a new base backup.");
  b.add("HostDiskFillPredicted", "warning",
        "predict_linear(pgwarden_host_filesystem_free_bytes[1h], " + secs(a.disk_fill_horizon) + ") < 0", f,
        "Filesystem of {{ $labels.path }} on " + kWhere + " fills within " + format_duration(a.disk_fill_horizon),
        "At the last hour's trend, free space on {{ $labels.path }} reaches zero within " +
            format_duration(a.disk_fill_horizon) + ".");
  b.add("BackupTooOld", "warning", "pgwarden_host_newest_file_age_seconds > " + secs(a.backup_max_age), f,
        "Newest backup on " + kWhere + " is {{ $value | humanizeDuration }} old",
        "No file matching {{ $labels.glob }} is newer than " + secs(a.backup_max_age) + "s.");
  b.add("DataDirPermissions", "warning",
        "pgwarden_host_path_mode != 448 and pgwarden_host_path_mode != 488", f,
        "Data directory {{ $labels.path }} on " + kWhere + " has unsafe permissions",
        "Mode is {{ $value }} (decimal); PostgreSQL requires 0700 (448) or 0750 (488).");
  b.add("SshHostKeyUnverified", "critical", "pgwarden_ssh_host_key_verified == 0", f,
        "SSH host key of " + kWhere + " does not match known_hosts",
        "pgwarden refused the SSH connection: the host key is unknown or changed (possible interception).");
  b.add("SyncQueueBacklog", "warning",
        "pgwarden_sync_queue_oldest_age_seconds > " + secs(a.sync_queue_max_age) +
            " and on(cluster, node) pgwarden_node_up == 1",
        f, "Write queue of " + kWhere + " has rows waiting {{ $value | humanizeDuration }}",
        "Unsynced write-queue rows are older than " + secs(a.sync_queue_max_age) +
            "s although the node is reachable.");
  b.add("CheckFailing", "warning", "pgwarden_check_success == 0", f,
        "Check {{ $labels.check }} fails on " + kWhere,
        "The check's last run failed; its metrics may be missing or stale.");
  // Always firing, with no cluster label: it belongs to the pgwarden
  // process, not to a cluster, and proves the alerting pipeline works.
  b.add("Watchdog", "none", "vector(1)", now, "pgwarden alerting pipeline is alive",
        "This alert always fires. Route it to a dead man's switch that pages when it stops arriving.");
  return std::move(b.rules);
}

}  // namespace pgw
