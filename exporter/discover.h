// `pgwarden discover`: looks at a live cluster (from one node's conninfo, or
// from Patroni's REST API) and describes what it finds, then renders that as
// a commented starting config. Never asks for or writes a secret: the
// password comes from the libpq environment (PGPASSFILE, PGPASSWORD).
#pragma once

#include <string>
#include <vector>

#include "core/duration.h"

namespace pgw {

struct DiscoveredNode {
  std::string name;
  std::string host;                 // host name, address or socket directory
  int port = 5432;
  std::string role;                 // primary | standby | auto
  std::string patroni_url;          // REST API base URL, when under Patroni
  std::string embedder_url;         // an embedder answered /health here
  bool verified = true;             // pgwarden connected to it with these settings
  std::vector<std::string> notes;   // comment lines written above the node
};

struct DiscoveredCluster {
  std::string name = "main";
  std::string source;               // what discovery started from (no secrets)
  std::string dbname, user;         // the monitoring role's database and user
  std::string conninfo_extra;       // e.g. "sslmode=verify-full connect_timeout=5"
  std::vector<DiscoveredNode> nodes;
  std::vector<std::string> expected_standbys, expected_slots, sync_standbys;
  std::vector<std::string> etcd;    // endpoint URLs that answered /health
  std::vector<std::string> notes;   // comment lines at the top
};

struct DiscoverOptions {
  std::string conninfo;             // any node; "" with patroni_url set
  std::string patroni_url;          // a Patroni REST API base URL
  Duration timeout = Duration(5000);  // per connection or request
  int embedder_port = 8765;         // probed on every node's host
  int etcd_port = 2379;             // probed on every Patroni member's host
};

// Throws std::runtime_error (without secrets) when the starting point
// cannot be reached at all; anything else unseen becomes a note.
DiscoveredCluster discover_cluster(const DiscoverOptions& options);

// The commented TOML config for `c`.
std::string render_discovered_config(const DiscoveredCluster& c);

}  // namespace pgw
