// Keeps the rule engine's range-selector history on disk under state_dir
// across restarts of `serve`: read once at start, written atomically
// (core/durable_file.h) at most every kRefresh, and always when forced
// (shutdown, reload).
#pragma once

#include <chrono>
#include <string>

#include "alerts/rule_engine.h"

namespace pgw {

class RuleHistoryFile {
 public:
  static constexpr auto kRefresh = std::chrono::seconds(60);

  explicit RuleHistoryFile(std::string path) : path_(std::move(path)) {}

  // Restores what the file holds into `rules` (an unreadable file is logged and ignored).
  void load_into(RuleEngine& rules) const;
  // Writes the history unless it was written less than kRefresh ago.
  void save_from(const RuleEngine& rules, bool force = false);

 private:
  std::string path_;
  std::chrono::steady_clock::time_point last_saved_{};
  std::string last_error_;
};

}  // namespace pgw
