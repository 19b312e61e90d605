#pragma once
// The CUDA random state: one Philox4x32-10 generator per device, as (seed, offset). A random kernel
// reserves a range of counter values with philox_reserve and derives every element's numbers from
// (seed, subsequence = element or thread, offset), so a draw depends only on the seed and on the draws
// before it, never on the launch configuration's timing.
#include <cstdint>

namespace nabla::cuda {

struct PhiloxState {
  uint64_t seed;
  uint64_t offset;
};

// Seeds every device's generator (nabla::manual_seed and cuda::manual_seed call this).
void seed_generators(uint64_t seed);
// The current device's state for a kernel that consumes `increment` 32-bit values per subsequence;
// advances the offset past them.
PhiloxState philox_reserve(uint64_t increment);

}  // namespace nabla::cuda
