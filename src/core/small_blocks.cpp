#include "core/small_blocks.hpp"

#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define NABLA_POOL_BLOCKS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NABLA_POOL_BLOCKS 0
#endif
#endif
#ifndef NABLA_POOL_BLOCKS
#define NABLA_POOL_BLOCKS 1  // off under AddressSanitizer, so that it still sees every use after free
#endif

namespace nabla {
namespace {

constexpr size_t kGranule = 32;
constexpr size_t kClasses = kMaxPooledBlock / kGranule;
constexpr uint32_t kKeptPerClass = 512;

size_t class_of(size_t nbytes) { return (nbytes + kGranule - 1) / kGranule - 1; }
size_t class_bytes(size_t c) { return (c + 1) * kGranule; }

struct FreeBlock {
  FreeBlock* next;
};

struct ThreadBlocks {
  FreeBlock* head[kClasses] = {};
  uint32_t count[kClasses] = {};
  ~ThreadBlocks();
};

// Set when this thread's lists are gone (thread exit): blocks freed later go to the system.
thread_local bool lists_destroyed = false;
thread_local ThreadBlocks lists;

ThreadBlocks::~ThreadBlocks() {
  lists_destroyed = true;
  for (size_t c = 0; c < kClasses; ++c) {
    while (FreeBlock* b = head[c]) {
      head[c] = b->next;
      ::operator delete(b, class_bytes(c));
    }
  }
}

}  // namespace

void* small_block_alloc(size_t nbytes) {
  if (!NABLA_POOL_BLOCKS || nbytes == 0 || nbytes > kMaxPooledBlock) return ::operator new(nbytes);
  const size_t c = class_of(nbytes);
  if (!lists_destroyed) {
    ThreadBlocks& l = lists;
    if (FreeBlock* b = l.head[c]) {
      l.head[c] = b->next;
      --l.count[c];
      return b;
    }
  }
  return ::operator new(class_bytes(c));
}

void small_block_free(void* block, size_t nbytes) noexcept {
  if (!NABLA_POOL_BLOCKS || nbytes == 0 || nbytes > kMaxPooledBlock) return ::operator delete(block, nbytes);
  const size_t c = class_of(nbytes);
  if (!lists_destroyed) {
    ThreadBlocks& l = lists;
    if (l.count[c] < kKeptPerClass) {
      l.head[c] = new (block) FreeBlock{l.head[c]};
      ++l.count[c];
      return;
    }
  }
  ::operator delete(block, class_bytes(c));
}

}  // namespace nabla
