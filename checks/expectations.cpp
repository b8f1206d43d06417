#include "checks/expectations.h"

#include <algorithm>
#include <cstdio>

namespace pgw {
namespace {

void add_unique(std::vector<std::string>& out, const std::string& v) {
  if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
}

// Adds `from` to `out`, leaving out the entries that name `self`.
void merge(std::vector<std::string>& out, const std::vector<std::string>& from, const std::string& self,
           bool slots) {
  for (const auto& v : from) {
    if (v == self || (slots && v == patroni_slot_name(self))) continue;
    add_unique(out, v);
  }
}

}  // namespace

std::string patroni_slot_name(std::string_view member) {
  std::string out;
  for (char raw : member) {
    char c = raw >= 'A' && raw <= 'Z' ? static_cast<char>(raw - 'A' + 'a') : raw;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
      out += c;
    } else if (c == '-' || c == '.') {
      out += '_';
    } else {
      char buf[16];
      std::snprintf(buf, sizeof buf, "u%04d", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  if (out.size() > 63) out.resize(63);
  return out;
}

bool holds_cluster_expectations(const NodeConfig& node, bool in_recovery,
                                const std::set<std::string>& known_primaries) {
  if (in_recovery || node.role == Role::Client) return false;
  for (const auto& p : known_primaries)
    if (p != node.name) return false;
  return true;
}

Expectations expectations_for(const ClusterConfig& cluster, const NodeConfig& node, bool in_recovery,
                              const std::set<std::string>& known_primaries) {
  Expectations e;
  for (const auto& v : node.expected_standbys) add_unique(e.standbys, v);
  for (const auto& v : node.expected_slots) add_unique(e.slots, v);
  if (holds_cluster_expectations(node, in_recovery, known_primaries)) {
    merge(e.standbys, cluster.expected_standbys, node.name, false);
    merge(e.slots, cluster.expected_slots, node.name, true);
  }
  return e;
}

}  // namespace pgw
