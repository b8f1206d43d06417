// Cross-node facts computed from the latest samples of a cluster's nodes
// (the "cluster" check module), kept pure for unit tests.
#pragma once

#include <vector>

#include "core/sample.h"

namespace pgw {

// From samples labelled `node`: pgwarden_cluster_primaries (nodes whose
// pgwarden_pg_in_recovery is 0) and pgwarden_cluster_lag_bytes{primary,
// standby} = primary's pgwarden_pg_wal_lsn_bytes - standby's, clamped at 0,
// for every primary x standby pair. Nodes without pg_in_recovery (down) and
// client nodes (pgwarden_node_expected_role{role="client"}) are ignored.
void summarize_cluster(const std::vector<Sample>& samples, SampleSink& out);

}  // namespace pgw
