// Pure parsers of Patroni REST API bodies (GET /patroni, GET /cluster), as
// sent by Patroni 2.x-4.x. They never throw: a body that is not what Patroni
// sends yields a result whose `error` says why. Optional fields that are
// absent or of an unexpected type are left empty rather than failing the
// whole document (Patroni adds and drops fields between versions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgw {

struct PatroniStatus {
  std::string state;                    // "running", "stopped", "starting", ...
  std::string role;                     // raw: "master" (<4), "primary" (4.x), "replica", "standby_leader"
  std::optional<int64_t> timeline;
  std::optional<double> dcs_last_seen;  // Unix seconds (Patroni >= 2.1)
  bool pending_restart = false;
  bool paused = false;                  // maintenance mode ("pause": true)
  // "failsafe_mode_is_active": true. Patroni (3.0+) sends the key only while
  // failsafe is active, so its absence means false from 3.0 on and unknown
  // (nullopt) before, or when the version is not reported.
  std::optional<bool> failsafe_active;
  bool cluster_unlocked = false;        // "cluster_unlocked": no member holds the leader lock
  bool nofailover = false;              // tags.nofailover: never promoted by Patroni
  std::string error;                    // empty when the body parsed
};

struct PatroniMember {
  std::string name;
  std::string role;                     // "leader", "replica", "standby_leader", "sync_standby", ...
  std::string state;
  std::optional<int64_t> timeline;
  std::optional<double> lag_bytes;      // empty when absent or "unknown"
  std::optional<double> receive_lag_bytes;  // Patroni 4: "receive_lag"
  std::optional<double> replay_lag_bytes;   // Patroni 4: "replay_lag"
};

struct PatroniCluster {
  std::vector<PatroniMember> members;
  bool paused = false;                  // "pause": true at the top level
  std::string error;                    // empty when the body parsed
  // Whether some member holds the leader lock and is not stopped.
  bool has_leader() const;
};

PatroniStatus parse_patroni_status(std::string_view body);
PatroniCluster parse_patroni_cluster(std::string_view body);

// Whether a /cluster member role denotes the leader lock holder. Patroni
// calls it "leader" in /cluster; older versions and /patroni say "master" or
// "primary"; a standby cluster's leader is "standby_leader" and counts too.
bool is_leader_role(std::string_view role);

// Whether a /cluster member role is a synchronous standby: "sync_standby"
// (synchronous_mode) or "quorum_standby" (Patroni 4's quorum commit).
bool is_sync_role(std::string_view role);

// The role with Patroni's renames folded: "master" (before 4.0) and "leader"
// (/cluster) read "primary"; every other role is returned unchanged.
std::string_view canonical_role(std::string_view role);

}  // namespace pgw
