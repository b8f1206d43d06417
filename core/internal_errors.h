// The last line of defence: an exception that reaches the top of an HTTP
// handler, a check round, a reload or a notification delivery is caught
// there, reported here, and the process goes on. Each distinct message is
// logged once (a bug that repeats every round must not flood the log) and
// every occurrence counts in pgwarden_internal_errors_total{where}.
#pragma once

#include <string>
#include <vector>

#include "core/sample_source.h"

namespace pgw {

// `where`: a short fixed name ("http", "round", "reload", "delivery").
// `what`: the exception's message (never a secret: our errors hold none).
void report_internal_error(const std::string& where, const std::string& what);

// How many were reported for `where` (tests).
double internal_error_count(const std::string& where);

// pgwarden_internal_errors_total{where} for every `where` seen so far.
class InternalErrorSource : public SampleSource {
 public:
  void append_samples(std::vector<Sample>& out) const override;
};

}  // namespace pgw
