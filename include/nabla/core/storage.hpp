#pragma once
// A reference-counted buffer on one device. Views share it; so does NumPy's array when it
// wraps a tensor's memory. The version counter lives here because every view of the same
// memory must see in-place changes made through any other view.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

#include "nabla/core/device.hpp"
#include "nabla/core/intrusive_ptr.hpp"

namespace nabla {

// Frees a buffer. `ctx` is whatever the owner needs (an allocator, a Python object, a lambda).
using DeleterFn = void (*)(void* ctx, void* data, size_t nbytes);

class StorageImpl final : public RefCounted {
 public:
  StorageImpl(void* data, size_t nbytes, Device device, DeleterFn deleter, void* ctx)
      : data_(data), nbytes_(nbytes), device_(device), deleter_(deleter), ctx_(ctx) {}
  ~StorageImpl() override {
    if (deleter_) deleter_(ctx_, data_, nbytes_);
  }
  // A small CPU buffer (up to kMaxInlineBytes) in the same block as its StorageImpl: one allocation
  // for what a small op's result needs, instead of two.
  static constexpr size_t kMaxInlineBytes = 384;
  static IntrusivePtr<StorageImpl> with_inline_data(size_t nbytes);
  static void* operator new(size_t nbytes);
  void operator delete(StorageImpl* self, std::destroying_delete_t) noexcept;  // frees the inline bytes too
  static void operator delete(void* self, size_t nbytes) noexcept;             // a constructor that threw

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool read_only() const { return read_only_; }
  void set_read_only(bool v) { read_only_ = v; }
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  size_t nbytes_;
  Device device_;
  DeleterFn deleter_;
  void* ctx_;
  bool read_only_ = false;
  uint32_t inline_bytes_ = 0;
  std::atomic<uint32_t> version_{0};
};

using Storage = IntrusivePtr<StorageImpl>;

// A fresh buffer from the device's allocator (the CPU one caches large blocks).
Storage allocate_storage(size_t nbytes, Device device);

// The CPU caching allocator's state: bytes handed out (buffers of 4 KiB and more) and held in its cache.
struct CpuAllocatorStats {
  size_t allocated_bytes, cached_bytes, cache_hits, cache_misses;
};
CpuAllocatorStats cpu_allocator_stats();
void cpu_empty_cache();

}  // namespace nabla
