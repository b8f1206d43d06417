#include "alerts/rule_history_file.h"

#include <spdlog/spdlog.h>

#include "core/durable_file.h"

namespace pgw {

void RuleHistoryFile::load_into(RuleEngine& rules) const {
  std::string text;
  if (!read_file(path_, text)) return;
  try {
    rules.restore_history(nlohmann::json::parse(text));
  } catch (const std::exception&) {
    spdlog::warn("ignoring unreadable rule history {}", path_);
  }
}

void RuleHistoryFile::save_from(const RuleEngine& rules, bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && last_saved_ != std::chrono::steady_clock::time_point{} && now - last_saved_ < kRefresh) return;
  std::string err = write_file_atomically(path_, rules.save_history().dump(), 0600);
  if (!err.empty()) {
    if (err != last_error_) spdlog::warn("cannot save rule history: {}", err);  // once per distinct failure
    last_error_ = err;
    return;
  }
  last_error_.clear();
  last_saved_ = now;
}

}  // namespace pgw
