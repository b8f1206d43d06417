// Failover readiness of one cluster, decided from plain facts (no samples,
// no I/O) so unit tests can feed fixed situations. The "failover_readiness"
// cluster check (checks/failover_readiness_check.cpp) gathers the facts from
// the round's node samples and turns the verdict into metrics.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pgw {

// Reasons that block promoting a standby now (the `reason` label of
// pgwarden_cluster_failover_blocker; README "Failover readiness").
namespace failover_reason {
inline constexpr const char* kNoPrimary = "no_primary";
inline constexpr const char* kMultiplePrimaries = "multiple_primaries";
inline constexpr const char* kNoStandby = "no_standby";
inline constexpr const char* kNotStreaming = "not_streaming";
inline constexpr const char* kNotReplaying = "not_replaying";
inline constexpr const char* kReplayPaused = "replay_paused";
inline constexpr const char* kReplayBehind = "replay_behind";
inline constexpr const char* kSyncMissing = "sync_missing";
inline constexpr const char* kSlotInactive = "slot_inactive";
inline constexpr const char* kSlotInvalidated = "slot_invalidated";
inline constexpr const char* kTimelineMismatch = "timeline_mismatch";
inline constexpr const char* kPatroniNotRunning = "patroni_not_running";
inline constexpr const char* kNofailover = "nofailover";
inline constexpr const char* kPatroniPaused = "patroni_paused";
inline constexpr const char* kNoLeader = "no_leader";
inline constexpr const char* kEtcdUnhealthy = "etcd_unhealthy";
// Warning only (pgwarden_cluster_failover_warning): the old primary could
// not be rewound to rejoin as a standby.
inline constexpr const char* kRewindImpossible = "rewind_impossible";
}  // namespace failover_reason

struct FailoverStandbyFacts {
  std::string node;                        // pgwarden node name: the `standby` label
  bool reachable = false;                  // its PostgreSQL answered this round
  // Streaming, as the standby's WAL receiver reports it (reachable only).
  bool receiver_streaming = false;
  // The primary's pg_stat_replication row for this standby: absent when
  // there is none (or the primary is unknown), else whether it streams.
  std::optional<bool> primary_row_streaming;
  bool has_replay_lsn = true;              // false: it has replayed nothing
  bool replay_paused = false;
  bool replay_stalled = false;             // WAL waiting, replay position not moving
  std::optional<double> replay_lag_bytes;  // primary LSN - its replay LSN
  std::optional<int64_t> timeline;
  bool sync = false;                       // sync_state sync|quorum on the primary
  bool expected_sync = false;              // listed in sync_standbys
  std::optional<bool> slot_active;         // its slot on the primary; absent: no slot known
  bool slot_invalidated = false;
  bool patroni = false;                    // the node has a Patroni member
  bool patroni_running = true;             // Patroni up and its state is running
  bool nofailover = false;                 // Patroni tag nofailover: true
};

struct FailoverFacts {
  int primaries = 0;
  std::optional<int64_t> primary_timeline;
  // synchronous_standby_names set on the primary, or sync_standbys configured.
  bool sync_configured = false;
  bool patroni_paused = false;
  std::optional<bool> has_leader;          // Patroni cluster: someone holds the leader lock
  bool etcd_unhealthy = false;             // measured endpoints lack a healthy majority
  // The primary's wal_log_hints and data_checksums, when known.
  std::optional<bool> wal_log_hints;
  std::optional<bool> data_checksums;
  double replay_behind_bytes = 16.0 * 1024 * 1024;
  std::vector<FailoverStandbyFacts> standbys;
};

struct FailoverBlocker {
  std::string standby;                     // "" when the cluster has no standby at all
  std::string reason;
  bool operator==(const FailoverBlocker&) const = default;
};

struct FailoverVerdict {
  bool ready = false;
  std::vector<std::string> candidates;     // standbys with no blocker, in input order
  std::vector<FailoverBlocker> blockers;   // in input order, reasons in a fixed order
  std::vector<std::string> warnings;       // e.g. rewind_impossible
};

FailoverVerdict decide_failover(const FailoverFacts& facts);

}  // namespace pgw
