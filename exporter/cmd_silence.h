// `pgwarden silence add|list|expire -c FILE ...`: the silences of the
// config's state_dir, for cron `check --notify` runs (serve offers the same
// store through the Alertmanager API v2 that amtool speaks).
#pragma once

#include <string>
#include <vector>

namespace pgw {

struct SilenceOptions {
  std::string action;              // add | list | expire
  std::string config_path;
  std::vector<std::string> args;   // add/list: matchers ('alertname="X"', alertname=X); expire: ids
  std::string duration = "1h";     // add: how long (Prometheus duration), unless --end
  std::string start;               // add: RFC 3339; default now
  std::string end;                 // add: RFC 3339
  std::string author;              // add: createdBy; default $USER
  std::string comment;             // add: required, as amtool requires it
  bool expired = false;            // list: include expired silences
  bool quiet = false;              // add/list: ids only
};

// 0 on success, 2 on bad input or an unloadable config, 1 when the store
// cannot be written or an id is unknown.
int run_silence(const SilenceOptions& options);

}  // namespace pgw
