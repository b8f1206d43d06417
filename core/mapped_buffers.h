// Buffers that should hold only the pages they touch. libpq gives every
// session a 16 kB input and a 16 kB output buffer for the connection's
// life; carved from a malloc arena they often land on pages the arena had
// touched before, so at 1,000 sessions about 5 MB of them was resident for
// nothing. While a MappedBuffers scope lives (on any thread), glibc maps
// each buffer of 16 kB or more on its own, where untouched pages stay
// untouched. Outside scopes the process keeps its usual threshold: mapping
// every 16 kB buffer made each /metrics scrape 15% slower.
//
// A no-op until set_usual_threshold() is called (tune_allocator does, unless
// the environment sets the threshold) and off glibc (macOS).
#pragma once

#include <cstddef>

namespace pgw {

class MappedBuffers {
 public:
  MappedBuffers();
  ~MappedBuffers();
  MappedBuffers(const MappedBuffers&) = delete;
  MappedBuffers& operator=(const MappedBuffers&) = delete;

  // The threshold outside scopes, which this process has set itself.
  static void set_usual_threshold(size_t bytes);

 private:
  bool counted_ = false;
};

}  // namespace pgw
