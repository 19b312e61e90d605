#pragma once
// Memory for the small objects every op makes and drops (TensorImpl, StorageImpl with a small tensor's
// bytes, autograd nodes): per-thread free lists by size class, so the hot path of a small op costs a
// list pop instead of malloc's and free's bookkeeping. A block may be freed on any thread; each thread
// keeps at most a few hundred blocks per class and gives the rest back to the system allocator.
#include <cstddef>

namespace nabla {

// Blocks up to this many bytes are pooled; larger ones go straight to operator new/delete.
constexpr size_t kMaxPooledBlock = 512;

void* small_block_alloc(size_t nbytes);
// `nbytes` must be the size the block was asked for.
void small_block_free(void* block, size_t nbytes) noexcept;

// For the standard containers an op or the backward engine makes and drops every call.
template <typename T>
struct BlockAllocator {
  using value_type = T;
  BlockAllocator() = default;
  template <typename U>
  BlockAllocator(const BlockAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(small_block_alloc(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { small_block_free(p, n * sizeof(T)); }
  friend bool operator==(const BlockAllocator&, const BlockAllocator&) { return true; }
};

}  // namespace nabla
