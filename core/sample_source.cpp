#include "core/sample_source.h"

namespace pgw {

namespace {

// The default SampleSource::sequence(): a copy the sequence owns.
class OwnedSequence : public SampleSequence {
 public:
  void for_each(const std::function<void(const Sample&)>& visit) const override {
    for (const auto& s : samples) visit(s);
  }
  std::vector<Sample> samples;
};

}  // namespace

std::unique_ptr<const SampleSequence> SampleSource::sequence() const {
  auto out = std::make_unique<OwnedSequence>();
  append_samples(out->samples);
  return out;
}

}  // namespace pgw
