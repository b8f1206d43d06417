// Turns samples into the Prometheus text exposition format 0.0.4. /metrics
// renders the store's immutable results in place on each scrape: it copies
// no check sample and never waits on a check or a rule round.
#pragma once

#include <string>
#include <vector>

#include "core/sample_source.h"
#include "exporter/snapshot_store.h"

namespace pgw {

// A text as consecutive pieces (a large body is built and sent without
// ever being one buffer).
using TextPieces = std::vector<std::string>;
std::string joined(const TextPieces& pieces);

// Prometheus text format 0.0.4: samples grouped by metric name (HELP and
// TYPE from the metric catalog), sorted by name then labels; a repeated
// series keeps its last value.
std::string render_text(const std::vector<Sample>& samples);

// The /metrics body: the store's check samples (read in place) and self
// metrics, plus the samples of `others`, in pieces of about 256 kB. Hands
// the scratch memory of a large render back to the operating system before
// returning.
TextPieces render_metrics_pieces(const SnapshotStore& store, const std::vector<const SampleSource*>& others);
// The same body as one string.
std::string render_metrics(const SnapshotStore& store, const std::vector<const SampleSource*>& others);

}  // namespace pgw
