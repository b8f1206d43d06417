// Anything that contributes samples to /metrics and to rule evaluation:
// the snapshot store (check results and self metrics), the rule engine
// (pgwarden_alerts), the notifier (notifications_total, outbox_pending).
#pragma once

#include <memory>
#include <vector>

#include "core/sample.h"

namespace pgw {

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  // Appends the source's current samples. Must be cheap and never block on
  // I/O: it is called on every scrape.
  virtual void append_samples(std::vector<Sample>& out) const = 0;
  // The current samples as a sequence that stays valid, and unchanged, as
  // long as it is held. The default copies them (append_samples); a large
  // source overrides it to be walked in place.
  virtual std::unique_ptr<const SampleSequence> sequence() const;
};

}  // namespace pgw
