// `pgwarden check`: every check once, the rules once, Nagios exit codes.
#pragma once

#include <string>

namespace pgw {

struct CheckOptions {
  std::string config_path;   // "" = libpq environment
  std::string format = "nagios";  // nagios | json | prometheus | text
  std::string output;        // "" = stdout; else written atomically
  std::string state_file;    // keeps `for` timers and notification dedup across runs
  bool notify = false;       // send through the configured receivers
  std::string push_url;      // Pushgateway to send the run's samples to ("" = none)
};

// Nagios exit codes.
enum ExitCode { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

int run_check(const CheckOptions& options);

}  // namespace pgw
