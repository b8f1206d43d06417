// `pgwarden discover [--patroni URL | conninfo]`: prints a starting config
// for a live cluster on stdout (exporter/discover.h does the looking).
#pragma once

#include <string>

namespace pgw {

struct DiscoverCommandOptions {
  std::string conninfo;      // any node; "" = the libpq environment
  std::string patroni_url;
};

// 0 on success; 1 when the starting point could not be reached (message on stderr).
int run_discover(const DiscoverCommandOptions& options);

}  // namespace pgw
