// Logs a lasting failure the way a person wants to read it: one warning when
// something goes down, a reminder at most every `reminder` while it stays
// down, and one line when it recovers, instead of a line every round.
// Thread-safe (lanes of the scheduler report concurrently).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace pgw {

class OutageLog {
 public:
  using Clock = std::chrono::steady_clock;
  explicit OutageLog(std::chrono::milliseconds reminder = std::chrono::minutes(5)) : reminder_(reminder) {}

  // `key` names what failed ("aya/alpha postgres"); `what` is the error.
  // Returns true when it logged (tests).
  bool failed(const std::string& key, const std::string& what, Clock::time_point now = Clock::now());
  // Logs the recovery of `key` if it was down.
  bool recovered(const std::string& key, Clock::time_point now = Clock::now());

 private:
  struct Outage {
    Clock::time_point since, last_logged;
    std::string what;
    long long failures = 0;
  };
  std::chrono::milliseconds reminder_;
  std::mutex mu_;
  std::map<std::string, Outage> down_;
};

}  // namespace pgw
