// HELP text and type of every metric pgwarden exports (DESIGN.md "Metrics").
// /metrics uses it for # HELP / # TYPE lines; tests use it to check that
// dashboards and rules reference only metrics that exist.
#pragma once

#include <initializer_list>
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

// Describes metrics next to the code that emits them (as node_exporter's
// collectors hold their descriptors), at static-initialisation time:
//   PGW_DESCRIBE_METRICS({
//       {"pgwarden_slot_active", pgw::MetricType::Gauge, "1 when the slot is in use."},
//   });
struct MetricDescriptions {
  MetricDescriptions(std::initializer_list<MetricInfo> infos) {
    for (const auto& m : infos) register_metric(m);
  }
};

}  // namespace pgw

#define PGW_METRICS_CONCAT2(a, b) a##b
#define PGW_METRICS_CONCAT(a, b) PGW_METRICS_CONCAT2(a, b)
#define PGW_DESCRIBE_METRICS(...)                                                   \
  static const ::pgw::MetricDescriptions PGW_METRICS_CONCAT(pgw_metric_descriptions_, \
                                                            __LINE__)(__VA_ARGS__)
