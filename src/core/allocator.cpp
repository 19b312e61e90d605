// The CPU caching allocator. Buffers of a few hundred bytes live inside their StorageImpl's block
// (core/small_blocks.hpp: per-op overhead on small tensors is made of such allocations); the rest
// under 4 KiB come from malloc. Buffers of 16 KiB and more are kept after they are
// freed and handed out again for a request of the same rounded size, so a training loop that allocates the
// same activations every step stops paying for fresh pages (glibc serves these sizes with mmap, and
// returns them to the OS on free: every step would page-fault them in again).
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "core/check.hpp"
#include "core/dispatch.hpp"
#include "core/small_blocks.hpp"
#include "nabla/core/storage.hpp"

namespace nabla {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kSmall = 4096;  // below this, plain malloc: fast, 16-byte aligned
constexpr size_t kCacheMin = size_t(16) << 10;
constexpr size_t kCacheLimit = size_t(2) << 30;  // held bytes; beyond it frees go to the OS

// Cached sizes are rounded so that a request reuses a block of nearly the same size.
size_t round_size(size_t n) {
  if (n < kCacheMin) return (n + kAlignment - 1) / kAlignment * kAlignment;
  const size_t granule = n < (size_t(1) << 20) ? size_t(4) << 10 : size_t(64) << 10;
  return (n + granule - 1) / granule * granule;
}

struct CpuCache {
  std::mutex mutex;
  std::multimap<size_t, void*> free_blocks;
  size_t cached = 0, allocated = 0, hits = 0, misses = 0;

  void* take(size_t n) {
    std::lock_guard<std::mutex> lock(mutex);
    allocated += n;
    auto it = free_blocks.find(n);
    if (it == free_blocks.end()) {
      ++misses;
      return nullptr;
    }
    ++hits;
    void* p = it->second;
    free_blocks.erase(it);
    cached -= n;
    return p;
  }
  bool give(void* p, size_t n) {
    std::lock_guard<std::mutex> lock(mutex);
    allocated -= n;
    if (n < kCacheMin || cached + n > kCacheLimit) return false;
    free_blocks.emplace(n, p);
    cached += n;
    return true;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& [n, p] : free_blocks) std::free(p);
    free_blocks.clear();
    cached = 0;
  }
  ~CpuCache() { clear(); }
};

CpuCache& cache() {
  static CpuCache* c = new CpuCache;  // never destroyed: tensors may outlive static destruction
  return *c;
}

void cpu_free(void*, void* data, size_t nbytes) {
  if (nbytes < kSmall) return std::free(data);
  size_t n = round_size(nbytes);
  if (!cache().give(data, n)) std::free(data);
}

// Where a StorageImpl's inline bytes start: after the object, 16-byte aligned as malloc's are.
constexpr size_t kInlineDataOffset = (sizeof(StorageImpl) + 15) / 16 * 16;
static_assert(kInlineDataOffset + StorageImpl::kMaxInlineBytes <= kMaxPooledBlock);

Storage cpu_allocate(size_t nbytes, Device) {
  if (nbytes <= StorageImpl::kMaxInlineBytes) return StorageImpl::with_inline_data(nbytes);
  if (nbytes < kSmall) {
    void* p = std::malloc(nbytes == 0 ? 1 : nbytes);
    NB_CHECK(p, RuntimeError, "out of memory: failed to allocate ", nbytes, " bytes on the CPU");
    return make_intrusive<StorageImpl>(p, nbytes, Device(kCPU), &cpu_free, nullptr);
  }
  size_t n = round_size(nbytes);
  void* p = cache().take(n);
  if (!p) p = std::aligned_alloc(kAlignment, n);
  if (!p) {
    cache().clear();
    p = std::aligned_alloc(kAlignment, n);
  }
  NB_CHECK(p, RuntimeError, "out of memory: failed to allocate ", nbytes, " bytes on the CPU");
  return make_intrusive<StorageImpl>(p, nbytes, Device(kCPU), &cpu_free, nullptr);
}

}  // namespace

void* StorageImpl::operator new(size_t nbytes) { return small_block_alloc(nbytes); }
void StorageImpl::operator delete(void* self, size_t nbytes) noexcept { small_block_free(self, nbytes); }

void StorageImpl::operator delete(StorageImpl* self, std::destroying_delete_t) noexcept {
  const size_t block = self->inline_bytes_ ? kInlineDataOffset + self->inline_bytes_ : sizeof(StorageImpl);
  self->~StorageImpl();
  small_block_free(self, block);
}

Storage StorageImpl::with_inline_data(size_t nbytes) {
  const size_t stored = nbytes == 0 ? 1 : nbytes;  // every storage has an address of its own, as malloc(0)'s
  void* block = small_block_alloc(kInlineDataOffset + stored);
  auto* s = ::new (block) StorageImpl(static_cast<char*>(block) + kInlineDataOffset, nbytes, Device(kCPU), nullptr, nullptr);
  s->inline_bytes_ = uint32_t(stored);
  return Storage(s);
}

NB_REGISTER_KERNEL(allocate_kernel, kCPU, cpu_allocate);

Storage allocate_storage(size_t nbytes, Device device) { return allocate_kernel(device)(nbytes, device); }

CpuAllocatorStats cpu_allocator_stats() {
  auto& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return {c.allocated, c.cached, c.hits, c.misses};
}

void cpu_empty_cache() { cache().clear(); }

}  // namespace nabla
