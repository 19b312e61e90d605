#pragma once
// How an op records its backward: a FunctionNode holding what the formula needs (saved tensors,
// captured by value otherwise), with the formula itself a lambda written beside the forward op.
//
//   if (grad_needed(x)) {
//     auto node = make_node("ExpBackward0", {&x}, [](FunctionNode& n, Grads& g) -> Grads {
//       return {g[0] * n.saved(0)};
//     });
//     node->save_output(out);
//     set_history(out, node);
//   }
//
// A formula returns one gradient per input, in the input's broadcast shape; the node sums it back
// to the input's shape and casts it to the input's dtype (as PyTorch's engine does). It may return an
// undefined tensor for an input whose needs_grad(i) is false.
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "autograd/meta.hpp"
#include "core/small_blocks.hpp"
#include "nabla/core/shape.hpp"

namespace nabla {

using Grads = std::vector<Tensor>;

class FunctionNode;

// A tensor saved for backward, with the version it had then. An op's own output is kept as an alias
// without autograd state, so that saving it makes no reference cycle through the node.
class SavedTensor {
 public:
  SavedTensor(const Tensor& t, bool is_output, uint32_t output_nr);
  // Raises if the tensor was released or changed in place since it was saved; an empty slot stays empty.
  Tensor unpack(FunctionNode* owner) const;
  void release();

 private:
  Tensor data_;
  uint32_t version_;
  uint32_t output_nr_;
  bool is_output_;
  bool is_leaf_;
  bool released_ = false;
};

class FunctionNode : public Node {
 public:
  const char* name() const override { return name_; }
  void release_saved() override;

  bool needs_grad(size_t input) const { return next_edges()[input].valid(); }
  void save(const Tensor& input) { saved_.emplace_back(input, false, 0); }
  void save_output(const Tensor& output, uint32_t output_nr = 0) { saved_.emplace_back(output, true, output_nr); }
  // The i-th saved tensor; raises if the graph was freed or the tensor changed in place since.
  Tensor saved(size_t i);

 protected:
  FunctionNode(const char* name, std::span<const Tensor* const> inputs, uint32_t num_outputs);
  // Brings a formula's gradients to the inputs' shapes and dtypes.
  Grads conform(Grads grads) const;

 private:
  struct InputMeta {
    DimVector sizes;
    DType dtype;
  };
  const char* name_;
  std::vector<InputMeta, BlockAllocator<InputMeta>> inputs_;
  std::vector<SavedTensor, BlockAllocator<SavedTensor>> saved_;
};

template <typename Formula>
class LambdaNode final : public FunctionNode {
 public:
  LambdaNode(const char* name, std::span<const Tensor* const> inputs, uint32_t num_outputs, Formula f)
      : FunctionNode(name, inputs, num_outputs), formula_(std::move(f)) {}
  Grads apply(Grads&& grads) override { return conform(formula_(*this, grads)); }

 private:
  Formula formula_;
};

// Whether an op on these inputs records a node: grad mode is on and one of them requires grad.
template <typename... Ts>
bool grad_needed(const Ts&... inputs) {
  return (inputs.requires_grad() || ...) && is_grad_enabled();
}
inline bool grad_needed_any(const std::vector<Tensor>& inputs) {
  for (const Tensor& t : inputs)
    if (t.requires_grad()) return is_grad_enabled();
  return false;
}

template <typename Formula>
IntrusivePtr<LambdaNode<Formula>> make_node(const char* name, std::span<const Tensor* const> inputs, Formula formula,
                                            uint32_t num_outputs = 1) {
  return make_intrusive<LambdaNode<Formula>>(name, inputs, num_outputs, std::move(formula));
}
template <typename Formula>
IntrusivePtr<LambdaNode<Formula>> make_node(const char* name, std::initializer_list<const Tensor*> inputs,
                                            Formula formula, uint32_t num_outputs = 1) {
  return make_node(name, std::span<const Tensor* const>(inputs.begin(), inputs.size()), std::move(formula),
                   num_outputs);
}

// PyTorch's node names for an op family ("exp" -> "ExpBackward0"), indexed like `op_names`;
// `public_name` maps a kernel's name to the op users call (gelu_tanh -> gelu).
std::vector<std::string> backward_names(std::span<const char* const> op_names,
                                        std::string_view (*public_name)(std::string_view));

// Sums `grad` over the dims that broadcasting added or expanded, giving `sizes`.
Tensor sum_to(const Tensor& grad, IntArrayRef sizes);

// For in-place ops with autograd: runs the out-of-place form `compute` (which records the graph),
// writes its result into `self` and makes self's history the result's.
template <typename Compute>
Tensor& record_inplace(Tensor& self, const char* op, Compute compute);
void rebase_history(Tensor& self, const Tensor& result, const char* op);
void check_inplace_allowed(const Tensor& self, const char* op);

template <typename Compute>
Tensor& record_inplace(Tensor& self, const char* op, Compute compute) {
  check_inplace_allowed(self, op);
  Tensor result = compute();
  rebase_history(self, result, op);
  return self;
}

}  // namespace nabla
