#include "exporter/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace pgw {

bool setup_logging(const std::string& level) {
  static bool initialised = false;
  if (!initialised) {
    auto logger = spdlog::stderr_logger_mt("pgwarden");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    initialised = true;
  }
  auto lvl = spdlog::level::from_str(level);
  bool known = level == "debug" || level == "info" || level == "warn" || level == "error";
  spdlog::set_level(known ? lvl : spdlog::level::info);
  spdlog::flush_on(spdlog::level::info);
  return known;
}

}  // namespace pgw
