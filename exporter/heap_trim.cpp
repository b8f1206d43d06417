#include "exporter/heap_trim.h"

#include "core/mapped_buffers.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace pgw {

void release_free_heap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

void tune_allocator() {
#if defined(__GLIBC__)
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 2);
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) MappedBuffers::set_usual_threshold(256 * 1024);
#endif
}

}  // namespace pgw
