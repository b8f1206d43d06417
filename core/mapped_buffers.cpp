#include "core/mapped_buffers.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems
#include <mutex>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace pgw {
namespace {

constexpr size_t kScopeThreshold = 16 * 1024;

std::mutex mu;
size_t usual = 0;  // 0: scopes do nothing
int depth = 0;     // scopes alive

void set_threshold(size_t bytes) {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(bytes));
#else
  (void)bytes;
#endif
}

}  // namespace

MappedBuffers::MappedBuffers() {
  std::lock_guard lock(mu);
  if (usual == 0) return;
  counted_ = true;
  if (depth++ == 0) set_threshold(kScopeThreshold);
}

MappedBuffers::~MappedBuffers() {
  std::lock_guard lock(mu);
  if (!counted_) return;
  if (--depth == 0) set_threshold(usual);
}

void MappedBuffers::set_usual_threshold(size_t bytes) {
  std::lock_guard lock(mu);
  usual = bytes;
  if (depth == 0) set_threshold(bytes);
}

}  // namespace pgw
