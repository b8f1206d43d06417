// Which standbys, slots and synchronous standbys a node must see this round.
//
// Node-level expectations (a fixed topology, e.g. a cascading standby) are
// checked on their node whatever it reports. The cluster-level ones
// ([[clusters]] expected_standbys / expected_slots / sync_standbys) follow
// the primary: they are checked on a node only while
//   - PostgreSQL on it reports itself primary this round (not in recovery),
//   - it is not a client (a laptop's writable copy is no primary), and
//   - no other node of the cluster reported itself primary in its latest
//     result (the scheduler's view when the node's round starts).
// So a cluster with no primary, or with two, reports no cluster expectation
// at all (PgNoPrimary / PgSplitBrain say what is wrong) instead of every
// expectation as broken on every node; right after a switchover the new
// primary takes them over as soon as the old one stops reporting itself
// primary. Entries naming the primary itself are skipped there: it does not
// stream from itself, so a Patroni cluster lists every member (Patroni names
// application_name and slots after its members).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

namespace pgw {

// What the replication and slots checks emit expectation series for.
// (sync_standbys are judged by the PgSyncReplicationDegraded rule from
// pgwarden_replication_sync, with the same "one primary" condition.)
struct Expectations {
  std::vector<std::string> standbys;       // application_name values expected connected
  std::vector<std::string> slots;          // slots expected present
};

// `known_primaries`: names of the cluster's nodes whose latest result
// said primary (may include `node` itself, which is ignored).
Expectations expectations_for(const ClusterConfig& cluster, const NodeConfig& node, bool in_recovery,
                              const std::set<std::string>& known_primaries);

// Whether the cluster-level expectations apply to `node` this round (see above).
bool holds_cluster_expectations(const NodeConfig& node, bool in_recovery,
                                const std::set<std::string>& known_primaries);

// The slot name Patroni gives a member (lower case; '-' and '.' become '_',
// other characters outside [a-z0-9_] become u followed by 4 decimal digits of
// the code; at most 63 bytes), as patroni.postgresql.slots does.
std::string patroni_slot_name(std::string_view member);

}  // namespace pgw
