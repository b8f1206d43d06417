// pgwarden_build_info{version,revision} 1.
#pragma once

#include "core/sample_source.h"

namespace pgw {

const char* version_string();   // e.g. "0.1.0"
const char* revision_string();  // git revision at build time

class BuildInfoSource : public SampleSource {
 public:
  void append_samples(std::vector<Sample>& out) const override;
};

}  // namespace pgw
