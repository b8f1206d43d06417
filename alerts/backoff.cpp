#include "alerts/backoff.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <iomanip>
#include <sstream>

namespace pgw {

Duration backoff_delay(const BackoffPolicy& policy, int attempt, std::mt19937_64& rng) {
  long long delay = std::max<long long>(policy.initial.count(), 1);
  for (int i = 1; i < attempt && delay < policy.max.count(); ++i) delay *= 2;
  delay = std::min<long long>(delay, policy.max.count());
  std::uniform_int_distribution<long long> jitter(delay / 2, delay);
  return Duration(jitter(rng));
}

namespace {

// timegm is not POSIX; compute days from civil date instead (portable).
long long days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<long long>(era) * 146097 + static_cast<long long>(doe) - 719468;
}

}  // namespace

std::optional<Duration> parse_retry_after(const std::string& value,
                                          std::chrono::system_clock::time_point now,
                                          Duration max_delay) {
  std::string v = value;
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(0, 1);
  if (v.empty()) return std::nullopt;
  max_delay = std::clamp(max_delay, Duration(0), kMaxDuration);
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) return max_delay;
    return std::min(Duration(std::stoll(v) * 1000), max_delay);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  std::tm tm{};
  std::istringstream in(v);
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
  if (in.fail()) return std::nullopt;
  long long secs = days_from_civil(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                                   static_cast<unsigned>(tm.tm_mday)) * 86400LL +
                   tm.tm_hour * 3600LL + tm.tm_min * 60LL + tm.tm_sec;
  // In seconds: a date centuries away must not overflow the clock's
  // nanoseconds.
  long long now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  long long max_s = max_delay.count() / 1000 + 1;
  long long delta = std::clamp(secs - now_s, -1LL, max_s);
  if (delta < 0) return Duration(0);
  auto sub = std::chrono::duration_cast<Duration>(now.time_since_epoch() % std::chrono::seconds(1));
  return std::clamp(Duration(delta * 1000) - sub, Duration(0), max_delay);
}

}  // namespace pgw
