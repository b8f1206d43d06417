// Turns samples into the Prometheus text exposition format 0.0.4. /metrics
// renders the store's immutable results in place on each scrape: it copies
// no check sample and never waits on a check or a rule round.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/sample_source.h"
#include "exporter/snapshot_store.h"

namespace pgw {

// Prometheus text format 0.0.4: samples grouped by metric name (HELP and
// TYPE from the metric catalog), sorted by name then labels; a repeated
// series keeps its last value.
std::string render_text(const std::vector<Sample>& samples);

// A body written a part at a time, so that a large one can be sent while it
// is written instead of being held whole (at 1,000 nodes /metrics is 7.7 MB).
class Exposition {
 public:
  virtual ~Exposition() = default;
  // Appends the next whole lines to `out`, at least `bytes` of them unless
  // fewer are left; false once everything is written (nothing appended).
  virtual bool write(std::string& out, size_t bytes) = 0;
};

// The /metrics body: the store's check samples (read in place) and self
// metrics, plus the samples of `others` (copied now: the exposition needs
// neither `store` nor `others` afterwards). After a large body it gives the
// render's scratch memory back to the operating system when destroyed.
std::unique_ptr<Exposition> expose_metrics(const SnapshotStore& store, const std::vector<const SampleSource*>& others);
// The same body as one string.
std::string render_metrics(const SnapshotStore& store, const std::vector<const SampleSource*>& others);

}  // namespace pgw
