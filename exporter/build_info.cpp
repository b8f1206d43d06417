#include "exporter/build_info.h"

#include "core/metric_catalog.h"

namespace pgw {

PGW_DESCRIBE_METRICS({
    {"pgwarden_build_info", MetricType::Gauge,
     "Version and revision of pgwarden."},
});

const char* version_string() { return PGWARDEN_VERSION; }
const char* revision_string() { return PGWARDEN_REVISION; }

void BuildInfoSource::append_samples(std::vector<Sample>& out) const {
  out.push_back({"pgwarden_build_info", {{"revision", revision_string()}, {"version", version_string()}}, 1});
}

}  // namespace pgw
