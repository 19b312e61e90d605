// Page-locked host memory for Tensor::pin_memory(): CUDA copies to and from it run as DMA without
// the driver's bounce buffer, and asynchronously with respect to the host.
#include "cuda/pinned.hpp"

#include "core/check.hpp"
#include "cuda/runtime.hpp"

namespace nabla::cuda {
namespace {

// cudaFreeHost waits for the device, so a transfer still reading the buffer finishes first.
void free_pinned(void*, void* data, size_t) { cudaFreeHost(data); }

}  // namespace

Storage allocate_pinned(size_t nbytes) {
  void* p = nullptr;
  const cudaError_t err = cudaHostAlloc(&p, nbytes == 0 ? 1 : nbytes, cudaHostAllocDefault);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    fail<RuntimeError>("pin_memory: out of page-locked host memory while allocating ", nbytes,
                       " bytes; pin smaller batches or drop pin_memory");
  }
  NB_CUDA_CHECK(err);
  return make_intrusive<StorageImpl>(p, nbytes, Device(kCPU), &free_pinned, nullptr);
}

bool is_pinned(const void* ptr) {
  cudaPointerAttributes attr{};
  if (cudaPointerGetAttributes(&attr, ptr) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attr.type == cudaMemoryTypeHost;
}

}  // namespace nabla::cuda
