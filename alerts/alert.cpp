#include "alerts/alert.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace pgw {

const char* alert_state_name(AlertState s) {
  switch (s) {
    case AlertState::Inactive: return "inactive";
    case AlertState::Pending: return "pending";
    case AlertState::Firing: return "firing";
  }
  return "inactive";
}

// FNV-1a 64 over the label pairs sorted by name, each name and value followed
// by a 0xff separator byte: the same scheme as Prometheus' LabelSet
// fingerprint, so ids match what Alertmanager shows for the same labels.
std::string Alert::fingerprint() const {
  Labels sorted = labels;
  normalize(sorted);
  constexpr std::uint64_t kOffset = 14695981039346656037ULL;
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  std::uint64_t h = kOffset;
  auto add_byte = [&](unsigned char b) {
    h ^= b;
    h *= kPrime;
  };
  auto add = [&](const std::string& s) {
    for (unsigned char c : s) add_byte(c);
    add_byte(0xff);
  };
  for (const auto& [name, value] : sorted) {
    add(name);
    add(value);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace pgw
