#include "core/small_blocks.hpp"

#include <cstdint>
#include <new>

#include "core/sanitizers.hpp"

namespace nabla {
namespace {

// Off under AddressSanitizer, so that it still sees every use after free.
constexpr bool kPoolBlocks = !kAddressSanitizer;

constexpr size_t kGranule = 32;
constexpr size_t kClasses = kMaxPooledBlock / kGranule;
constexpr uint32_t kKeptPerClass = 512;

size_t class_of(size_t nbytes) { return (nbytes + kGranule - 1) / kGranule - 1; }
size_t class_bytes(size_t c) { return (c + 1) * kGranule; }

struct FreeBlock {
  FreeBlock* next;
};

// Trivially destructible, so that it stays usable until the thread ends, from any later destructor;
// and one thread-local access (not two) on the hot path.
struct ThreadBlocks {
  FreeBlock* head[kClasses];
  uint32_t count[kClasses];
  bool reaper_armed;
  bool reaped;  // the thread is ending: blocks freed from now on go to the system
};
constinit thread_local ThreadBlocks lists{};

// Gives a thread's kept blocks back when the thread ends; armed by the first block the thread keeps.
struct Reaper {
  bool armed = false;
  ~Reaper() {
    lists.reaped = true;
    for (size_t c = 0; c < kClasses; ++c) {
      while (FreeBlock* b = lists.head[c]) {
        lists.head[c] = b->next;
        ::operator delete(b);
      }
      lists.count[c] = 0;
    }
  }
};
thread_local Reaper reaper;

}  // namespace

void* small_block_alloc(size_t nbytes) {
  if (!kPoolBlocks || nbytes == 0 || nbytes > kMaxPooledBlock) return ::operator new(nbytes);
  const size_t c = class_of(nbytes);
  ThreadBlocks& l = lists;
  if (FreeBlock* b = l.head[c]) {
    l.head[c] = b->next;
    --l.count[c];
    return b;
  }
  return ::operator new(class_bytes(c));
}

void small_block_free(void* block, size_t nbytes) noexcept {
  if (!kPoolBlocks || nbytes == 0 || nbytes > kMaxPooledBlock) return ::operator delete(block);
  const size_t c = class_of(nbytes);
  ThreadBlocks& l = lists;
  if (l.count[c] < kKeptPerClass && !l.reaped) {
    if (!l.reaper_armed) {
      l.reaper_armed = true;
      reaper.armed = true;  // constructs the thread's Reaper, so its destructor runs at thread exit
    }
    l.head[c] = new (block) FreeBlock{l.head[c]};
    ++l.count[c];
    return;
  }
  ::operator delete(block);
}

}  // namespace nabla
