#pragma once
// Autograd, define-by-run: grad mode, the backward graph's nodes, backward() and grad().
// The Tensor methods (grad(), grad_fn(), backward(), register_hook(), ...) are declared in tensor.hpp.
#include <functional>
#include <optional>
#include <vector>

#include "nabla/tensor.hpp"

namespace nabla {

// Grad mode is per thread, as in PyTorch: ops record the graph only while it is on.
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : previous_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(previous_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};
struct NoGradGuard : GradModeGuard {
  NoGradGuard() : GradModeGuard(false) {}
};
struct EnableGradGuard : GradModeGuard {
  EnableGradGuard() : GradModeGuard(true) {}
};

class Node;
// Where a gradient goes: input `input_nr` of node `fn` (the producer's grad_fn, or a leaf's accumulator).
struct Edge {
  IntrusivePtr<Node> fn;
  uint32_t input_nr = 0;
  bool valid() const { return bool(fn); }
};

// One step of the backward graph (a tensor's grad_fn): maps the gradients of its forward outputs to
// the gradients of its forward inputs, which flow on along next_edges().
class Node : public RefCounted {
 public:
  // PyTorch's name, e.g. "MulBackward0".
  virtual const char* name() const = 0;
  // grads[i] is the gradient of forward output i (undefined when none reached it); returns one
  // gradient per next edge (undefined where there is none).
  virtual std::vector<Tensor> apply(std::vector<Tensor>&& grads) = 0;
  // Frees what was saved for backward (after a backward without retain_graph).
  virtual void release_saved() {}

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  uint32_t num_outputs() const { return num_outputs_; }
  uint64_t sequence_nr() const { return sequence_nr_; }
  ~Node() override;
  static void* operator new(size_t nbytes);
  static void operator delete(void* self, size_t nbytes) noexcept;

 protected:
  Node(std::vector<Edge> next_edges, uint32_t num_outputs);

 private:
  friend struct NodeAccess;
  struct OutputHook {
    uint32_t output_nr, handle;
    Tensor::Hook fn;
  };
  std::vector<Edge> next_edges_;
  uint32_t num_outputs_;
  uint64_t sequence_nr_;
  std::vector<OutputHook> hooks_;        // tensor hooks of this node's outputs
  std::vector<Tensor> retained_grads_;   // per output, for outputs that retain_grad()
  std::vector<bool> retains_grad_;
};

namespace autograd {

// torch.autograd.backward: accumulates d(tensors)/d(leaf) into each leaf's grad().
void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
              const std::vector<Tensor>& inputs = {});

// torch.autograd.grad: returns d(outputs)/d(inputs) without touching any grad().
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                         bool create_graph = false, bool allow_unused = false);

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  bool check_second_order = false;  // also checks the gradient of the gradient (gradgradcheck)
};
// Compares the analytical gradient of `fn` at `inputs` (float64 tensors; those requiring grad are
// checked) with central finite differences. Raises RuntimeError naming the output, input and element
// where they disagree; returns true otherwise.
bool gradcheck(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& fn,
               const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace autograd
}  // namespace nabla
