// Logs a person can read (issue 13): a node that stays down logs one warning,
// then a reminder at most every few minutes, and one line when it recovers.
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "exporter/outage_log.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;

TEST(OutageLog, OneWarningThenRemindersThenOneRecoveryLine) {
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);

  OutageLog log(5min);
  auto t = OutageLog::Clock::now();
  int logged = 0;
  // Down for an hour, a round every 5 s: 720 failures.
  for (int i = 0; i < 720; ++i) logged += log.failed("node aya/alpha", "PostgreSQL unreachable: refused", t + i * 5s);
  EXPECT_EQ(logged, 12);  // the first, then one reminder every 5 minutes
  EXPECT_TRUE(log.recovered("node aya/alpha", t + 3600s));
  EXPECT_FALSE(log.recovered("node aya/alpha", t + 3605s));  // once
  EXPECT_FALSE(log.recovered("node aya/beta", t));           // never down

  spdlog::set_default_logger(previous);
  std::string text = out.str();
  size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  EXPECT_EQ(lines, 13u) << text;
  EXPECT_NE(text.find("node aya/alpha: PostgreSQL unreachable: refused"), std::string::npos) << text;
  EXPECT_NE(text.find("still failing after 5 min"), std::string::npos) << text;
  EXPECT_NE(text.find("recovered after 60 min"), std::string::npos) << text;
}

}  // namespace
}  // namespace pgw
