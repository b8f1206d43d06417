// Returns freed heap memory to the operating system. glibc keeps what a
// thread frees in that thread's arena, so without this every HTTP or worker
// thread that once rendered or evaluated tens of thousands of series would
// keep that peak resident for good. A no-op where the C library has no
// malloc_trim (macOS).
#pragma once

namespace pgw {

void release_free_heap();

// Sets glibc's allocator for a long-running process with many threads and
// large short-lived buffers (call first thing in main, before any thread):
// - at most 2 arenas: glibc gives each thread that allocates an arena of
//   its own (up to 8 per core), and samples made on 8 workers and freed by
//   the next round fragmented them all: at 1,000 nodes 140 MB resident for
//   83 MB in use (bench/RESULTS.md);
// - buffers of 256 kB and more (a round's index arrays, /metrics parts)
//   are mapped and unmapped on their own instead of left in an arena after
//   use; a fixed threshold also stops glibc raising it after each free.
//   While a session connects, 16 kB (core/mapped_buffers.h says why).
// MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ in the environment win. A no-op
// on other C libraries.
void tune_allocator();

}  // namespace pgw
