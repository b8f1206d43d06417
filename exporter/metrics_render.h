// Turns samples into Prometheus metric families and the text exposition
// format. /metrics is served from a Collectable over the SampleSources, so
// a scrape only copies what the store already holds.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "exporter/sample_source.h"

namespace pgw {

// Groups samples by metric name (HELP/TYPE from the metric catalog), sorted
// by name then labels; a repeated series keeps its last value.
std::vector<prometheus::MetricFamily> to_families(std::vector<Sample> samples);

// Prometheus text format 0.0.4.
std::string render_text(const std::vector<Sample>& samples);

// Samples of all sources, in order.
std::vector<Sample> collect_samples(const std::vector<const SampleSource*>& sources);

// A prometheus-cpp Collectable over a fixed list of sources.
class SourcesCollectable : public prometheus::Collectable {
 public:
  explicit SourcesCollectable(std::vector<const SampleSource*> sources)
      : sources_(std::move(sources)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::vector<const SampleSource*> sources_;
};

}  // namespace pgw
