// HELP text and type of every metric pgwarden exports (DESIGN.md "Metrics").
// There is no central list: each metric is described next to the code that
// emits it (a check module, the scheduler, the store, the rule engine, the
// notifier) with PGW_DESCRIBE_METRICS, and [[queries]] metrics are
// registered from the config. /metrics uses the catalog for # HELP / # TYPE
// lines; tests use it to check that every emitted metric is described with
// the right type and that dashboards and rules name only metrics that exist.
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
// Every known metric (described and registered), sorted by name.
std::vector<MetricInfo> all_metrics();
// Adds a metric defined by configuration ([[queries]]). Thread-safe;
// re-registering a name replaces it.
void register_metric(MetricInfo info);

// Describes metrics next to the code that emits them (as node_exporter's
// collectors hold their descriptors), at static-initialisation time, at
// namespace scope of the emitting .cpp file:
//   PGW_DESCRIBE_METRICS({
//       {"pgwarden_slot_active", pgw::MetricType::Gauge, "1 when the slot is in use."},
//   });
// A name described twice keeps its first description; describing it twice
// differently is a mistake that metric_description_conflicts() reports (a
// unit test asserts there is none).
struct MetricDescriptions {
  MetricDescriptions(std::initializer_list<MetricInfo> infos);
};
// Names described more than once with a different type or help text.
std::vector<std::string> metric_description_conflicts();

}  // namespace pgw

#define PGW_METRICS_CONCAT2(a, b) a##b
#define PGW_METRICS_CONCAT(a, b) PGW_METRICS_CONCAT2(a, b)
#define PGW_DESCRIBE_METRICS(...)                                                   \
  static const ::pgw::MetricDescriptions PGW_METRICS_CONCAT(pgw_metric_descriptions_, \
                                                            __LINE__)(__VA_ARGS__)
