#include "checks/failover_readiness.h"

namespace pgw {

namespace r = failover_reason;

FailoverVerdict decide_failover(const FailoverFacts& f) {
  FailoverVerdict v;
  // Reasons that concern the whole cluster block every standby.
  std::vector<const char*> cluster_wide;
  if (f.primaries == 0) cluster_wide.push_back(r::kNoPrimary);
  if (f.primaries > 1) cluster_wide.push_back(r::kMultiplePrimaries);
  if (f.patroni_paused) cluster_wide.push_back(r::kPatroniPaused);
  if (f.has_leader && !*f.has_leader) cluster_wide.push_back(r::kNoLeader);
  if (f.etcd_unhealthy) cluster_wide.push_back(r::kEtcdUnhealthy);

  bool any_sync = false;
  for (const auto& s : f.standbys) any_sync = any_sync || s.sync;

  if (f.standbys.empty()) {
    v.blockers.push_back({"", r::kNoStandby});
    for (const char* reason : cluster_wide) v.blockers.push_back({"", reason});
  }
  for (const auto& s : f.standbys) {
    std::vector<const char*> why = cluster_wide;
    bool streaming = s.reachable ? s.receiver_streaming && s.primary_row_streaming.value_or(true)
                                 : s.primary_row_streaming.value_or(false);
    if (!streaming) why.push_back(r::kNotStreaming);
    if (s.reachable && (!s.has_replay_lsn || (s.replay_stalled && !s.replay_paused)))
      why.push_back(r::kNotReplaying);
    if (s.reachable && s.replay_paused) why.push_back(r::kReplayPaused);
    if (s.replay_lag_bytes && *s.replay_lag_bytes > f.replay_behind_bytes) why.push_back(r::kReplayBehind);
    // A synchronous setup promises that acknowledged commits are on a sync
    // standby: promoting one that is not sync may lose them. A standby that
    // is not expected to be sync is only blocked when no standby is.
    if (f.sync_configured && !s.sync && (s.expected_sync || !any_sync)) why.push_back(r::kSyncMissing);
    if (s.slot_active && !*s.slot_active) why.push_back(r::kSlotInactive);
    if (s.slot_invalidated) why.push_back(r::kSlotInvalidated);
    if (s.timeline && f.primary_timeline && *s.timeline != *f.primary_timeline)
      why.push_back(r::kTimelineMismatch);
    if (s.patroni && !s.patroni_running) why.push_back(r::kPatroniNotRunning);
    if (s.patroni && s.nofailover) why.push_back(r::kNofailover);
    if (why.empty()) v.candidates.push_back(s.node);
    for (const char* reason : why) v.blockers.push_back({s.node, reason});
  }
  v.ready = !v.candidates.empty();
  // pg_rewind needs hint bits WAL-logged (wal_log_hints or checksums) to
  // bring the old primary back as a standby; without both it must be
  // re-cloned. The failover itself still works: a warning, not a blocker.
  if (f.primaries == 1 && f.wal_log_hints && f.data_checksums && !*f.wal_log_hints && !*f.data_checksums)
    v.warnings.push_back(r::kRewindImpossible);
  return v;
}

}  // namespace pgw
