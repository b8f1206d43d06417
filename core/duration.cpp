#include "core/duration.h"

#include <cctype>
#include <cstdint>

namespace pgw {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t ms;
};
// Longest suffix first where one is a prefix of another ("ms" before "m").
constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000},
                           {"d", 24LL * 3600 * 1000},       {"h", 3600LL * 1000},
                           {"ms", 1},                       {"m", 60LL * 1000},
                           {"s", 1000}};
// Order in which units must appear.
int rank(std::string_view s) {
  static constexpr std::string_view order[] = {"y", "w", "d", "h", "m", "s", "ms"};
  for (int i = 0; i < 7; ++i)
    if (order[i] == s) return i;
  return -1;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) { return parse_duration(text, nullptr); }

std::optional<Duration> parse_duration(std::string_view text, std::string* error) {
  auto bad_syntax = [&]() -> std::optional<Duration> {
    if (error) *error = "is not a duration (expected e.g. 30s, 5m, 1h30m)";
    return std::nullopt;
  };
  auto too_long = [&]() -> std::optional<Duration> {
    if (error) *error = "is longer than 100y (the longest duration accepted)";
    return std::nullopt;
  };
  if (text == "0") return Duration(0);
  if (text.empty()) return bad_syntax();
  int64_t total = 0;
  bool over = false;
  int last_rank = -1;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return bad_syntax();
    int64_t n = 0;
    bool huge = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (n <= kMaxDuration.count()) n = n * 10 + (text[i] - '0');  // no overflow: n stays < 2^63
      huge |= n > kMaxDuration.count();
      ++i;
    }
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (text.substr(i, u.suffix.size()) == u.suffix) {
        unit = &u;
        break;
      }
    }
    if (!unit) return bad_syntax();
    int r = rank(unit->suffix);
    if (r <= last_rank) return bad_syntax();
    last_rank = r;
    i += unit->suffix.size();
    // Checked before multiplying, so nothing overflows; the rest of the text
    // is still checked (a syntax error is the clearer message).
    if (over || huge || n > (kMaxDuration.count() - total) / unit->ms) over = true;
    else total += n * unit->ms;
  }
  if (over) return too_long();
  return Duration(total);
}

std::string format_duration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  static constexpr Unit order[] = {{"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000},
                                   {"d", 24LL * 3600 * 1000},       {"h", 3600LL * 1000},
                                   {"m", 60LL * 1000},              {"s", 1000},
                                   {"ms", 1}};
  for (const auto& u : order) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms);
      out += u.suffix;
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace pgw
