#include <algorithm>

#include "checks/check.h"

namespace pgw {
namespace {

struct Entry {
  std::string module;
  CheckFactory factory;
};

// Function-local static: registrations run during static initialisation of
// other translation units, in unspecified order.
std::vector<Entry>& entries() {
  static std::vector<Entry> e;
  return e;
}

}  // namespace

CheckRegistration::CheckRegistration(const char* module, CheckFactory factory) {
  entries().push_back({module, std::move(factory)});
}

std::vector<std::unique_ptr<Check>> create_checks(const Config& config) {
  auto sorted = entries();
  std::sort(sorted.begin(), sorted.end(),
            [](const Entry& a, const Entry& b) { return a.module < b.module; });
  std::vector<std::unique_ptr<Check>> out;
  for (auto& e : sorted)
    for (auto& c : e.factory(config)) {
      c->module_ = e.module;
      out.push_back(std::move(c));
    }
  return out;
}

std::vector<std::string> registered_modules() {
  std::vector<std::string> names;
  for (auto& e : entries()) names.push_back(e.module);
  std::sort(names.begin(), names.end());
  return names;
}

double CheckContext::now_seconds() const {
  return std::chrono::duration<double>(now.time_since_epoch()).count();
}

}  // namespace pgw
