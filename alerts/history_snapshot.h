// A copy of some series the rule history keeps (its display needs: the
// status page's lag graphs), published for readers that must not wait for
// an evaluation round.
#pragma once

#include <cstdint>
#include <vector>

#include "core/sample.h"

namespace pgw {

struct HistorySnapshot {
  struct Point {
    std::int64_t t;  // ms since the epoch
    double v;
  };
  struct Series {
    Labels labels;  // sorted, with __name__
    std::vector<Point> points;          // ascending t
    std::vector<std::int64_t> stale;    // when the series was missing from a round, ascending
  };
  std::int64_t at_ms = 0;  // the last recorded round (0: none yet)
  std::vector<Series> series;
};

}  // namespace pgw
