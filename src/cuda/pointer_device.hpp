#pragma once
// The device a raw CUDA pointer lives on, for kernels whose contract passes pointers rather than
// tensors (gemm, the optimizer step): they make that device current before touching its stream.
#include "cuda/runtime.hpp"

namespace nabla::cuda {

inline Device device_of_pointer(const void* ptr) {
  cudaPointerAttributes attr{};
  NB_CUDA_CHECK(cudaPointerGetAttributes(&attr, ptr));
  return Device(kCUDA, attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged ? attr.device : -1);
}

}  // namespace nabla::cuda
