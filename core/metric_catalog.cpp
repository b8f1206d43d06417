#include "core/metric_catalog.h"

#include <map>
#include <mutex>
#include <shared_mutex>

namespace pgw {
namespace {

struct Catalog {
  std::shared_mutex mu;
  std::map<std::string, MetricInfo, std::less<>> by_name;
  std::vector<std::string> conflicts;
};

// Function-local static: descriptions register during static initialisation
// of other translation units, in unspecified order.
Catalog& catalog() {
  static Catalog c;
  return c;
}

}  // namespace

std::optional<MetricInfo> find_metric(std::string_view name) {
  auto& c = catalog();
  std::shared_lock lock(c.mu);
  auto it = c.by_name.find(name);
  if (it == c.by_name.end()) return std::nullopt;
  return it->second;
}

std::vector<MetricInfo> all_metrics() {
  auto& c = catalog();
  std::shared_lock lock(c.mu);
  std::vector<MetricInfo> out;
  out.reserve(c.by_name.size());
  for (const auto& [_, m] : c.by_name) out.push_back(m);
  return out;
}

void register_metric(MetricInfo info) {
  auto& c = catalog();
  std::unique_lock lock(c.mu);
  c.by_name[info.name] = std::move(info);
}

MetricDescriptions::MetricDescriptions(std::initializer_list<MetricInfo> infos) {
  auto& c = catalog();
  std::unique_lock lock(c.mu);
  for (const auto& m : infos) {
    auto [it, added] = c.by_name.emplace(m.name, m);
    if (!added && (it->second.type != m.type || it->second.help != m.help))
      c.conflicts.push_back(m.name);
  }
}

std::vector<std::string> metric_description_conflicts() {
  auto& c = catalog();
  std::shared_lock lock(c.mu);
  return c.conflicts;
}

}  // namespace pgw
