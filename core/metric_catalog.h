// HELP text and type of every metric pgwarden exports (DESIGN.md "Metrics").
// /metrics uses it for # HELP / # TYPE lines; tests use it to check that
// dashboards and rules reference only metrics that exist.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgw {

enum class MetricType { Gauge, Counter };

struct MetricInfo {
  std::string name;
  MetricType type = MetricType::Gauge;
  std::string help;
};

// The description of a metric, or nullopt when unknown.
std::optional<MetricInfo> find_metric(std::string_view name);
// Every known metric (built-in and registered), sorted by name.
std::vector<MetricInfo> all_metrics();
// Adds a metric defined by configuration ([[queries]]). Thread-safe;
// re-registering a name replaces it.
void register_metric(MetricInfo info);

}  // namespace pgw
