#include "exporter/human_units.h"

#include <cmath>
#include <cstdio>

namespace pgw {

std::string duration_words(double s) {
  if (!std::isfinite(s) || s < 0) s = 0;
  long long v = std::llround(s);
  char buf[48];
  if (v < 60) std::snprintf(buf, sizeof buf, "%lld s", v);
  else if (v < 3600) std::snprintf(buf, sizeof buf, "%lld min", v / 60);
  else if (v < 2 * 86400) std::snprintf(buf, sizeof buf, "%lld h %lld min", v / 3600, v % 3600 / 60);
  else std::snprintf(buf, sizeof buf, "%lld d", v / 86400);
  return buf;
}

std::string bytes_words(double v) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (std::fabs(v) >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

}  // namespace pgw
