#pragma once
// Helpers shared by the nn sources (not public).
#include <string>

#include "core/check.hpp"
#include "nabla/tensor.hpp"
#include "ops/loss.hpp"

namespace nabla::nn::detail {

// "[2, 3]": how nn's messages write a shape (PyTorch prints torch.Size([2, 3]) or [2, 3]).
std::string list_str(IntArrayRef values);

// How Python's repr writes a float ("1e-05", "0.1", "1.0") and a bool ("True"), for extra_repr.
std::string py_float(double value);
inline const char* py_bool(bool value) { return value ? "True" : "False"; }

// Raises ValueError naming `op` and the argument when a tensor it needs is undefined (nabla::Tensor{}),
// before anything reads its shape.
inline void check_defined(const Tensor& t, const char* op, const char* argument = "input") {
  NB_CHECK(t.defined(), ValueError, op, ": got an undefined tensor for '", argument, "'");
}

// The reduction names the losses accept: "none", "mean" or "sum"; ValueError otherwise.
using Reduction = LossReduction;
Reduction parse_reduction(const std::string& reduction);
Tensor reduce_loss(const Tensor& loss, Reduction reduction);

// The class-index losses (nll_loss, cross_entropy) take classes along dim 1, or dim 0 of a 1-D input.
int64_t class_dim_of(const Tensor& input);
// weight viewed to broadcast along the class dim of `input`.
Tensor class_weight_view(const Tensor& weight, const Tensor& input);
// RuntimeError unless weight is undefined or 1-D with one value per class.
void check_class_weight(const Tensor& weight, int64_t classes, const char* op);
// Checks the dims, dtypes and shapes of class-index targets against the input (not their values).
void check_class_target_shape(const Tensor& input, const Tensor& target, const char* op);
// check_class_target_shape, then IndexError for a target outside [0, classes) other than ignore_index;
// returns whether any target equals ignore_index. Reads the values on the host (a sync on CUDA).
bool check_class_targets(const Tensor& input, const Tensor& target, int64_t ignore_index, const char* op);

}  // namespace nabla::nn::detail
