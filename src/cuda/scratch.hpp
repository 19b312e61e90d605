#pragma once
// Temporary device memory for kernels and the CUB calls they make, and the one prefix sum that
// nonzero (index.cu) and unique (order.cu) share: it is defined in index.cu, so that CUB's scan is
// compiled once.
#include <algorithm>
#include <cstdint>

#include "nabla/core/storage.hpp"

namespace nabla::cuda {

// n elements of T from the caching allocator. It is stream-ordered: the buffer may go out of scope
// right after the work that uses it has been enqueued on cuda::stream().
template <typename T>
struct ScratchBuffer {
  ScratchBuffer(int64_t n, Device device)
      : storage(allocate_storage(size_t(std::max<int64_t>(n, 1)) * sizeof(T), device)),
        data(static_cast<T*>(storage->data())) {}
  Storage storage;
  T* data;
};

// out[i] = in[0] + ... + in[i] over device memory, on cuda::stream() of the current device.
void inclusive_sum(const int64_t* in, int64_t* out, int64_t n, Device device);

}  // namespace nabla::cuda
