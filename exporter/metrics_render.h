// Turns samples into the Prometheus text exposition format 0.0.4. /metrics
// renders the SampleSources on each scrape, so a scrape only copies what the
// store already holds and never waits on a check.
#pragma once

#include <string>
#include <vector>

#include "core/sample_source.h"

namespace pgw {

// Prometheus text format 0.0.4: samples grouped by metric name (HELP and
// TYPE from the metric catalog), sorted by name then labels; a repeated
// series keeps its last value.
std::string render_text(const std::vector<Sample>& samples);

// Samples of all sources, in order.
std::vector<Sample> collect_samples(const std::vector<const SampleSource*>& sources);

// The /metrics body: render_text over the sources. Hands the scratch memory
// of a large render back to the operating system before returning.
std::string render_sources(const std::vector<const SampleSource*>& sources);

}  // namespace pgw
