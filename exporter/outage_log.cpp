#include "exporter/outage_log.h"

#include <spdlog/spdlog.h>

namespace pgw {
namespace {

std::string for_how_long(OutageLog::Clock::duration d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h";
}

}  // namespace

bool OutageLog::failed(const std::string& key, const std::string& what, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto [it, fresh] = down_.try_emplace(key);
  Outage& o = it->second;
  o.failures += 1;
  if (fresh) {
    o.since = o.last_logged = now;
    o.what = what;
    spdlog::warn("{}: {}", key, what);
    return true;
  }
  if (now - o.last_logged < reminder_) {
    spdlog::debug("{}: {}", key, what);
    return false;
  }
  o.last_logged = now;
  bool changed = what != o.what;
  o.what = what;
  spdlog::warn("{}: still failing after {} ({} attempts){}{}", key, for_how_long(now - o.since), o.failures,
               changed ? ": " : "", changed ? what : "");
  return true;
}

bool OutageLog::recovered(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = down_.find(key);
  if (it == down_.end()) return false;
  spdlog::info("{}: recovered after {}", key, for_how_long(now - it->second.since));
  down_.erase(it);
  return true;
}

}  // namespace pgw
