// The CUDA caching allocator. cudaMalloc and cudaFree synchronise the device and cost tens of
// microseconds, so freed blocks are kept, binned by rounded size, and handed to the next request of
// that size on the same device. All of a device's work runs on its one stream (runtime.hpp), in issue
// order, so a block freed by the host can be reused at once: any kernel that still reads it was queued
// before the kernels of its next owner.
#include <map>
#include <mutex>

#include "core/check.hpp"
#include "core/dispatch.hpp"
#include "cuda/allocator.hpp"
#include "cuda/runtime.hpp"

namespace nabla::cuda {
namespace {

constexpr size_t kSmallGranule = 512;            // under 1 MiB: 512-byte bins
constexpr size_t kLargeGranule = size_t(2) << 20;  // from 1 MiB: 2 MiB bins

size_t round_size(size_t n) {
  const size_t g = n < (size_t(1) << 20) ? kSmallGranule : kLargeGranule;
  return n == 0 ? g : (n + g - 1) / g * g;
}

std::string mib(size_t bytes) {
  const bool gib = bytes >= (size_t(1) << 30);
  return fixed_str(double(bytes) / double(size_t(1) << (gib ? 30 : 20)), 2) + (gib ? " GiB" : " MiB");
}

struct DeviceCache {
  std::mutex mutex;
  std::multimap<size_t, void*> free_blocks;  // rounded size -> block
  AllocatorStats stats;

  void* take(size_t n) {
    auto it = free_blocks.find(n);
    if (it == free_blocks.end()) return nullptr;
    void* p = it->second;
    free_blocks.erase(it);
    return p;
  }
  // Frees the cached blocks; the caller holds the mutex and has made this device current.
  void release_cached() {
    if (free_blocks.empty()) return;
    cudaDeviceSynchronize();  // a cached block may still be read by queued kernels of its last owner
    for (auto& [n, p] : free_blocks) {
      cudaFree(p);
      stats.reserved -= n;
    }
    free_blocks.clear();
  }
};

DeviceCache& cache(int device) {
  static auto* caches = new DeviceCache[kMaxDevices];  // blocks may be freed during static destruction
  return caches[device];
}

struct BlockContext {
  int device;
  size_t rounded;
};

void cuda_free(void* ctx, void* data, size_t) {
  auto* block = static_cast<BlockContext*>(ctx);
  DeviceCache& c = cache(block->device);
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.stats.allocated -= block->rounded;
    c.free_blocks.emplace(block->rounded, data);
  }
  delete block;
}

Storage cuda_allocate(size_t nbytes, Device device) {
  DeviceGuard guard(device);
  const int d = active_device();
  const size_t n = round_size(nbytes);
  DeviceCache& c = cache(d);
  std::lock_guard<std::mutex> lock(c.mutex);
  void* p = c.take(n);
  if (!p) {
    cudaError_t err = cudaMalloc(&p, n);
    if (err == cudaErrorMemoryAllocation) {  // give the cache back to the driver and try once more
      cudaGetLastError();
      c.release_cached();
      err = cudaMalloc(&p, n);
    }
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      size_t free_bytes = 0, total_bytes = 0;
      cudaMemGetInfo(&free_bytes, &total_bytes);
      fail<RuntimeError>("CUDA out of memory. Tried to allocate ", mib(nbytes), " (GPU ", d, "; ", mib(total_bytes),
                         " total capacity; ", mib(c.stats.allocated), " already allocated by nabla's tensors; ",
                         mib(free_bytes), " free; the cache was emptied and the allocation retried). Free tensors "
                         "you no longer need, use smaller batches, or keep some tensors on the CPU.");
    }
    NB_CUDA_CHECK(err);
    c.stats.reserved += n;
  }
  c.stats.allocated += n;
  if (c.stats.allocated > c.stats.peak_allocated) c.stats.peak_allocated = c.stats.allocated;
  return make_intrusive<StorageImpl>(p, nbytes, Device(kCUDA, d), &cuda_free, new BlockContext{d, n});
}

}  // namespace

AllocatorStats allocator_stats(int device) {
  DeviceCache& c = cache(device);
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

void reset_peak_allocated(int device) {
  DeviceCache& c = cache(device);
  std::lock_guard<std::mutex> lock(c.mutex);
  c.stats.peak_allocated = c.stats.allocated;
}

void release_cached_blocks() {
  for (int d = 0; d < gpu_count(); ++d) {
    DeviceGuard guard(Device(kCUDA, d));
    DeviceCache& c = cache(d);
    std::lock_guard<std::mutex> lock(c.mutex);
    c.release_cached();
  }
}

NB_REGISTER_KERNEL(allocate_kernel, kCUDA, cuda_allocate);

}  // namespace nabla::cuda
