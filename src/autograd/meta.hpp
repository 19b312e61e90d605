#pragma once
// The autograd state of one tensor, hung off TensorImpl::autograd_meta(), and the engine's view of
// a Node's private parts.
#include <utility>
#include <vector>

#include "nabla/autograd.hpp"

namespace nabla {

struct AutogradMeta final : AutogradMetaBase {
  Tensor grad;                          // leaves: the accumulated gradient
  IntrusivePtr<Node> grad_fn;           // non-leaves: the node that made this tensor
  Node* grad_accumulator = nullptr;     // leaves: weak; the AccumulateGrad node clears it when it dies
  uint32_t output_nr = 0;
  bool differentiable_view = false;     // a view of a tensor that required grad
  struct LeafHook {
    uint32_t handle;
    Tensor::Hook fn;
  };
  std::vector<LeafHook> hooks;          // leaves; a non-leaf's hooks live on its grad_fn
  static void* operator new(size_t nbytes);
  static void operator delete(void* self, size_t nbytes) noexcept;
};

inline AutogradMeta* meta_of(const TensorImpl& t) { return static_cast<AutogradMeta*>(t.autograd_meta()); }
AutogradMeta& ensure_meta(TensorImpl& t);

// Where the gradient of `t` flows: its grad_fn's output, or its leaf accumulator.
Edge gradient_edge(const Tensor& t);
// Makes `node` the grad_fn of `t` (output `output_nr` of it); t then requires grad.
void set_history(const Tensor& t, IntrusivePtr<Node> node, uint32_t output_nr = 0);
// Adds `incoming` to a leaf's gradient (in place outside grad mode, out of place inside it).
void accumulate_grad(TensorImpl& leaf, Tensor incoming);

struct NodeAccess {
  static std::vector<Node::OutputHook>& hooks(Node& n) { return n.hooks_; }
  static std::vector<Tensor>& retained_grads(Node& n) { return n.retained_grads_; }
  static std::vector<bool>& retains_grad(Node& n) { return n.retains_grad_; }
};

uint32_t next_hook_handle();

// Runs a gradient hook on `grad` (in place): an undefined result keeps it; a result of another size
// or dtype raises, as in PyTorch (a hook may change a gradient's values, not what it is the gradient of).
void run_hook(const Tensor::Hook& hook, Tensor& grad);

}  // namespace nabla
