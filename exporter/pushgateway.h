// `check --push URL`: sends a run's samples to a Prometheus Pushgateway with
// prometheus-cpp's push library, one group per cluster
// (job="pgwarden", cluster="<name>"), replacing that group's previous push
// (HTTP PUT). The push is a side channel: failures are reported, never fatal.
#pragma once

#include <string>
#include <vector>

#include "core/duration.h"
#include "core/sample.h"

namespace pgw {

// Pushes `samples` grouped by their cluster label (samples without one, such
// as build_info, go into every group). Returns one message per failed group;
// empty when every push succeeded. Messages never contain credentials from
// the URL. Gives up waiting after `timeout`.
std::vector<std::string> push_to_gateway(const std::string& url, const std::vector<Sample>& samples,
                                         Duration timeout);

// The grouping-key path segment for a label value: "/name/value", or
// "/name@base64/<base64url>" when the value is empty or not URL-safe
// (the Pushgateway's own encoding).
std::string grouping_segment(const std::string& name, const std::string& value);

}  // namespace pgw
