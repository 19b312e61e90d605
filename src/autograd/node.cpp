// Node lifetime. A graph is a chain of nodes each owning the next, so the default destructor would
// recurse once per node and overflow the stack on a long chain: nodes whose last owner is a dying
// node are instead queued and deleted by a loop.
#include <atomic>

#include "autograd/meta.hpp"
#include "core/small_blocks.hpp"

namespace nabla {
namespace {
std::atomic<uint64_t> next_sequence_nr{0};
std::atomic<uint32_t> next_handle{1};
}  // namespace

uint32_t next_hook_handle() { return next_handle.fetch_add(1, std::memory_order_relaxed); }

Node::Node(std::vector<Edge> next_edges, uint32_t num_outputs)
    : next_edges_(std::move(next_edges)), num_outputs_(num_outputs),
      sequence_nr_(next_sequence_nr.fetch_add(1, std::memory_order_relaxed)) {}

void* Node::operator new(size_t nbytes) { return small_block_alloc(nbytes); }
void Node::operator delete(void* self, size_t nbytes) noexcept { small_block_free(self, nbytes); }

Node::~Node() {
  thread_local std::vector<Node*> orphans;
  thread_local bool draining = false;
  for (Edge& e : next_edges_) {
    if (e.fn && e.fn->use_count() == 1) orphans.push_back(e.fn.detach());
  }
  next_edges_.clear();
  if (draining) return;
  draining = true;
  while (!orphans.empty()) {
    Node* n = orphans.back();
    orphans.pop_back();
    delete n;
  }
  draining = false;
}

}  // namespace nabla
