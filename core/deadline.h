// A point in monotonic time by which an operation must finish.
#pragma once

#include <algorithm>
#include <chrono>

namespace pgw {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  Deadline() : at_(Clock::time_point::max()) {}
  explicit Deadline(Clock::time_point at) : at_(at) {}
  static Deadline in(std::chrono::milliseconds d) { return Deadline(Clock::now() + d); }

  Clock::time_point at() const { return at_; }
  bool expired() const { return Clock::now() >= at_; }
  // Milliseconds left, never negative; capped so it fits an int for poll().
  int remaining_ms() const {
    if (at_ == Clock::time_point::max()) return 1 << 30;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(at_ - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
  }
  Deadline earlier(Deadline other) const { return Deadline(std::min(at_, other.at_)); }

 private:
  Clock::time_point at_;
};

}  // namespace pgw
