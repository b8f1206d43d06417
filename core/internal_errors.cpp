#include "core/internal_errors.h"

#include <map>
#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

#include "core/metric_catalog.h"
#include "core/utf8.h"

namespace pgw {
namespace {

PGW_DESCRIBE_METRICS({
    {"pgwarden_internal_errors_total", MetricType::Counter,
     "Unexpected errors caught at the top of an HTTP handler, a round, a reload or a delivery; "
     "the process went on."},
});

struct Registry {
  std::mutex mu;
  std::map<std::string, double> counts;
  std::set<std::string> logged;  // where + message, bounded below
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void report_internal_error(const std::string& where, const std::string& what) {
  auto& r = registry();
  std::string text = to_valid_utf8(what);
  bool log = false;
  {
    std::lock_guard lock(r.mu);
    r.counts[where] += 1;
    if (r.logged.size() < 1000) log = r.logged.insert(where + '\0' + text).second;
  }
  if (log) spdlog::error("internal error in {} (logged once, counted in pgwarden_internal_errors_total): {}", where, text);
}

double internal_error_count(const std::string& where) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.counts.find(where);
  return it == r.counts.end() ? 0 : it->second;
}

void InternalErrorSource::append_samples(std::vector<Sample>& out) const {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  for (const auto& [where, n] : r.counts)
    out.push_back(Sample{"pgwarden_internal_errors_total", {{"where", where}}, n});
}

}  // namespace pgw
