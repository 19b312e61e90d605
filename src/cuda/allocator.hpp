#pragma once
// The CUDA caching allocator (allocator.cpp): its statistics and cache control.
#include <cstddef>

namespace nabla::cuda {

struct AllocatorStats {
  size_t allocated = 0;       // bytes in blocks held by live storages
  size_t reserved = 0;        // bytes taken from the driver: allocated + cached
  size_t peak_allocated = 0;  // the peak of `allocated` since the last reset
};
AllocatorStats allocator_stats(int device);
void reset_peak_allocated(int device);
// Returns every cached block of every device to the driver.
void release_cached_blocks();

}  // namespace nabla::cuda
