// Whether check rounds are completing, for /healthz: unhealthy when no round
// has completed for three periods, so a supervisor can restart a process
// whose scheduler or rule evaluation hung. Lock-free; read on every probe.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>

namespace pgw {

class RoundWatch {
 public:
  using Clock = std::chrono::steady_clock;

  // The period a round may take: the longer of the check interval and the
  // check deadline. Also restarts the grace time (a fresh configuration
  // gets three periods for its first round).
  void start(std::chrono::milliseconds period, Clock::time_point now = Clock::now()) {
    period_ms_ = std::max<long long>(period.count(), 1);
    completed(now);
  }
  void completed(Clock::time_point now = Clock::now()) { last_ = now.time_since_epoch().count(); }
  bool healthy(Clock::time_point now = Clock::now()) const {
    auto last = Clock::time_point(Clock::duration(last_.load()));
    return now - last <= 3 * std::chrono::milliseconds(period_ms_.load());
  }

 private:
  std::atomic<Clock::rep> last_{0};
  std::atomic<long long> period_ms_{5000};
};

}  // namespace pgw
