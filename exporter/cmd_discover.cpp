#include "exporter/cmd_discover.h"

#include <iostream>
#include <stdexcept>

#include "checks/conninfo.h"
#include "exporter/discover.h"

namespace pgw {

int run_discover(const DiscoverCommandOptions& opt) {
  if (!opt.conninfo.empty() && !opt.patroni_url.empty()) {
    std::cerr << "pgwarden discover: give either --patroni URL or a conninfo, not both\n";
    return 2;
  }
  if (!opt.conninfo.empty())
    if (auto err = check_conninfo(opt.conninfo)) {
      std::cerr << "pgwarden discover: " << *err << "\n";
      return 2;
    }
  DiscoverOptions o;
  o.conninfo = opt.conninfo;
  o.patroni_url = opt.patroni_url;
  try {
    std::cout << render_discovered_config(discover_cluster(o));
  } catch (const std::exception& e) {
    std::cerr << "pgwarden discover: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace pgw
