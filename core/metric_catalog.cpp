#include "core/metric_catalog.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace pgw {
namespace {

using T = MetricType;

// The contract of DESIGN.md, one line per metric.
const std::vector<MetricInfo>& builtins() {
  static const std::vector<MetricInfo> v = {
      {"pgwarden_node_up", T::Gauge, "1 when PostgreSQL on the node was reachable this round."},
      {"pgwarden_node_expected_role", T::Gauge, "1 for the role the configuration expects of the node (primary, standby, client or auto)."},
      {"pgwarden_pg_in_recovery", T::Gauge, "1 when the node is a standby (in recovery), 0 on a primary."},
      {"pgwarden_pg_expected_primary", T::Gauge, "1 when the configuration says the node is a primary."},
      {"pgwarden_pg_timeline_id", T::Gauge, "Current timeline of the node."},
      {"pgwarden_pg_timeline_changed_timestamp_seconds", T::Gauge, "When pgwarden last saw the node's timeline change (Unix time)."},
      {"pgwarden_pg_wal_lsn_bytes", T::Gauge, "Current WAL LSN (primary) or replay LSN (standby) in bytes."},
      {"pgwarden_replication_lag_bytes", T::Gauge, "Bytes between the primary's current LSN and the standby's position at each stage."},
      {"pgwarden_replication_lag_seconds", T::Gauge, "Replication lag reported by pg_stat_replication for each stage."},
      {"pgwarden_replication_streaming", T::Gauge, "1 when the WAL sender to the standby is in state streaming."},
      {"pgwarden_replication_sync", T::Gauge, "1 when the standby's sync_state is sync or quorum."},
      {"pgwarden_replication_reply_age_seconds", T::Gauge, "Seconds since the standby last replied to the primary."},
      {"pgwarden_replication_expected_standby_connected", T::Gauge, "1 when a configured standby is connected to this node, else 0."},
      {"pgwarden_standby_receive_replay_lag_bytes", T::Gauge, "Bytes received by the standby but not yet replayed."},
      {"pgwarden_standby_wal_receiver_streaming", T::Gauge, "1 when the standby's WAL receiver is streaming."},
      {"pgwarden_standby_last_msg_age_seconds", T::Gauge, "Seconds since the standby last received a message from the primary."},
      {"pgwarden_standby_replay_age_seconds", T::Gauge, "Seconds since the last replayed transaction's commit time (grows on an idle primary)."},
      {"pgwarden_standby_replay_paused", T::Gauge, "1 when WAL replay is paused on the standby."},
      {"pgwarden_cluster_primaries", T::Gauge, "Number of reachable nodes of the cluster that are not in recovery."},
      {"pgwarden_cluster_lag_bytes", T::Gauge, "Primary's current LSN minus the standby's replay LSN, measured across nodes."},
      {"pgwarden_slot_present", T::Gauge, "1 when a configured replication slot exists."},
      {"pgwarden_slot_active", T::Gauge, "1 when the replication slot is in use."},
      {"pgwarden_slot_retained_bytes", T::Gauge, "WAL bytes the replication slot holds back."},
      {"pgwarden_slot_safe_wal_size_bytes", T::Gauge, "Bytes that can still be written before the slot is in danger of losing WAL."},
      {"pgwarden_archiver_archived_total", T::Counter, "WAL files archived successfully."},
      {"pgwarden_archiver_failed_total", T::Counter, "Failed attempts to archive WAL files."},
      {"pgwarden_archiver_last_archived_age_seconds", T::Gauge, "Seconds since the last successful archive."},
      {"pgwarden_archiver_failing", T::Gauge, "1 when the last archive failure is newer than the last success."},
      {"pgwarden_pg_connections", T::Gauge, "Client backends by state."},
      {"pgwarden_pg_max_connections", T::Gauge, "The max_connections setting."},
      {"pgwarden_pg_extension_installed", T::Gauge, "1 for each extension installed in the monitored database."},
      {"pgwarden_embedder_up", T::Gauge, "1 when the embedding service's /health answered healthy."},
      {"pgwarden_embedder_health_duration_seconds", T::Gauge, "Duration of the /health request."},
      {"pgwarden_embedder_probe_ok", T::Gauge, "1 when an /embed probe returned a valid vector of the expected dimension."},
      {"pgwarden_embedder_probe_dimension", T::Gauge, "Length of the vector returned by the /embed probe."},
      {"pgwarden_embedder_probe_duration_seconds", T::Gauge, "Duration of the /embed probe."},
      {"pgwarden_embedder_cache_entries", T::Gauge, "Entries in the embedding service's cache (from /stats)."},
      {"pgwarden_patroni_up", T::Gauge, "1 when the Patroni REST API answered."},
      {"pgwarden_patroni_role", T::Gauge, "1 for the role Patroni reports for the node."},
      {"pgwarden_patroni_timeline", T::Gauge, "Timeline reported by Patroni."},
      {"pgwarden_patroni_dcs_last_seen_age_seconds", T::Gauge, "Seconds since Patroni last reached its DCS."},
      {"pgwarden_patroni_pending_restart", T::Gauge, "1 when Patroni reports a pending restart."},
      {"pgwarden_cluster_has_leader", T::Gauge, "1 when Patroni's /cluster reports a leader."},
      {"pgwarden_etcd_healthy", T::Gauge, "1 when the etcd endpoint's /health reports healthy."},
      {"pgwarden_ssh_up", T::Gauge, "1 when an SSH session to the node could be opened and authenticated."},
      {"pgwarden_ssh_host_key_verified", T::Gauge, "1 when the node's SSH host key matched known_hosts."},
      {"pgwarden_host_filesystem_free_bytes", T::Gauge, "Free bytes on the filesystem holding the path (available to non-root)."},
      {"pgwarden_host_filesystem_size_bytes", T::Gauge, "Size in bytes of the filesystem holding the path."},
      {"pgwarden_host_newest_file_age_seconds", T::Gauge, "Age of the newest file matching the glob."},
      {"pgwarden_host_path_mode", T::Gauge, "Permission bits of the path (e.g. 448 = 0700)."},
      {"pgwarden_sync_queue_pending", T::Gauge, "Rows of the write queue not yet synced."},
      {"pgwarden_sync_queue_oldest_age_seconds", T::Gauge, "Age of the oldest unsynced write-queue row."},
      {"pgwarden_check_success", T::Gauge, "1 when the check's last run succeeded."},
      {"pgwarden_check_duration_seconds", T::Gauge, "Duration of the check's last run."},
      {"pgwarden_check_last_success_timestamp_seconds", T::Gauge, "When the check last succeeded (Unix time)."},
      {"pgwarden_round_duration_seconds", T::Gauge, "Wall time of the last completed round: node checks, cluster checks and rule evaluation."},
      {"pgwarden_alerts", T::Gauge, "Active alerts by name, severity and state (pending or firing)."},
      {"pgwarden_build_info", T::Gauge, "Version and revision of pgwarden."},
  };
  return v;
}

struct Catalog {
  std::shared_mutex mu;
  std::map<std::string, MetricInfo, std::less<>> by_name;
  Catalog() {
    for (const auto& m : builtins()) by_name[m.name] = m;
  }
};

Catalog& catalog() {
  static Catalog c;
  return c;
}

}  // namespace

std::optional<MetricInfo> find_metric(std::string_view name) {
  auto& c = catalog();
  std::shared_lock lock(c.mu);
  auto it = c.by_name.find(name);
  if (it == c.by_name.end()) return std::nullopt;
  return it->second;
}

std::vector<MetricInfo> all_metrics() {
  auto& c = catalog();
  std::shared_lock lock(c.mu);
  std::vector<MetricInfo> out;
  for (const auto& [_, m] : c.by_name) out.push_back(m);
  return out;
}

void register_metric(MetricInfo info) {
  auto& c = catalog();
  std::unique_lock lock(c.mu);
  c.by_name[info.name] = std::move(info);
}

}  // namespace pgw
