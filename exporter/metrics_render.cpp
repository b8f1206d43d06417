#include "exporter/metrics_render.h"

#include <algorithm>
#include <sstream>

#include <prometheus/text_serializer.h>

#include "exporter/metric_catalog.h"

namespace pgw {

std::vector<prometheus::MetricFamily> to_families(std::vector<Sample> samples) {
  for (auto& s : samples) normalize(s.labels);
  std::stable_sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
    if (a.name != b.name) return a.name < b.name;
    return a.labels < b.labels;
  });
  std::vector<prometheus::MetricFamily> families;
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    // A later duplicate of the same series replaces the earlier one.
    if (i + 1 < samples.size() && samples[i + 1].name == s.name && samples[i + 1].labels == s.labels)
      continue;
    if (families.empty() || families.back().name != s.name) {
      prometheus::MetricFamily f;
      f.name = s.name;
      auto info = find_metric(s.name);
      f.help = info ? info->help : "pgwarden metric " + s.name;
      f.type = info && info->type == MetricType::Counter ? prometheus::MetricType::Counter
                                                         : prometheus::MetricType::Gauge;
      families.push_back(std::move(f));
    }
    prometheus::ClientMetric m;
    m.label.reserve(s.labels.size());
    for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
    if (families.back().type == prometheus::MetricType::Counter) m.counter.value = s.value;
    else m.gauge.value = s.value;
    families.back().metric.push_back(std::move(m));
  }
  return families;
}

std::string render_text(const std::vector<Sample>& samples) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, to_families(samples));
  return out.str();
}

std::vector<Sample> collect_samples(const std::vector<const SampleSource*>& sources) {
  std::vector<Sample> all;
  for (const auto* s : sources) s->append_samples(all);
  return all;
}

std::vector<prometheus::MetricFamily> SourcesCollectable::Collect() const {
  return to_families(collect_samples(sources_));
}

}  // namespace pgw
