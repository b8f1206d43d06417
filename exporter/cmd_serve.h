// `pgwarden serve`: the long-running exporter. Runs the scheduler, the rule
// engine and alert delivery; serves HTTP; SIGHUP reloads the config (a bad
// one is rejected and the old one keeps running); SIGTERM/SIGINT drain the
// outbox briefly and exit.
#pragma once

#include <string>

namespace pgw {

struct ServeOptions {
  std::string config_path;      // "" = one node from the libpq environment
  std::string listen_override;  // "" = exporter.listen
};

// Returns the process exit code.
int run_serve(const ServeOptions& options);

}  // namespace pgw
