// Returns freed heap memory to the operating system. glibc keeps what a
// thread frees in that thread's arena, so without this every HTTP or worker
// thread that once rendered or evaluated tens of thousands of series would
// keep that peak resident for good. A no-op where the C library has no
// malloc_trim (macOS).
#pragma once

namespace pgw {

void release_free_heap();

}  // namespace pgw
