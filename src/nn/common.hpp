#pragma once
// Helpers shared by the nn sources (not public).
#include <string>

#include "core/check.hpp"
#include "nabla/tensor.hpp"

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
enum class Reduction { kNone, kMean, kSum };
Reduction parse_reduction(const std::string& reduction);
Tensor reduce_loss(const Tensor& loss, Reduction reduction);

}  // namespace nabla::nn::detail
