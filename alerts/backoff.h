// Retry timing for notifications: exponential backoff with jitter, and the
// server's Retry-After when it gives one.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include "core/duration.h"

namespace pgw {

struct BackoffPolicy {
  Duration initial = Duration(1000);
  Duration max = Duration(5 * 60 * 1000);
};

// Delay before retry number `attempt` (1 = after the first failure):
// initial * 2^(attempt-1), capped at max, then a random value in
// [delay/2, delay] so that many pgwarden instances don't retry in lockstep.
Duration backoff_delay(const BackoffPolicy& policy, int attempt, std::mt19937_64& rng);

// Parses a Retry-After header value: delta-seconds or an HTTP-date.
// Returns the delay from `now`, clamped to [0, max_delay]; nullopt if unparsable.
std::optional<Duration> parse_retry_after(const std::string& value,
                                          std::chrono::system_clock::time_point now,
                                          Duration max_delay);

}  // namespace pgw
