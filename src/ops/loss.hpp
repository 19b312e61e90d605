#pragma once
// The losses' ops below nn: the fused cross-entropy (Note [Fused cross-entropy] in
// src/core/kernels/loss.hpp). nn::functional::cross_entropy checks the arguments against PyTorch's rules
// and views the input as rows x classes around it.
#include <cstdint>

#include "nabla/tensor.hpp"

namespace nabla {

// How a loss reduces its per-element values; nn parses PyTorch's "none" / "mean" / "sum" into it.
enum class LossReduction { kNone, kMean, kSum };

// Cross-entropy of `logits` (rows x classes, floating) against class indices `target` (rows, int64):
// per row (kNone), or summed or averaged over the rows' target weights. `weight` is undefined or
// one value per class in the logits' dtype. One autograd node carries the gradient to the logits.
// IndexError for a target outside [0, classes) other than ignore_index.
Tensor cross_entropy_loss(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                          double label_smoothing, LossReduction reduction);

}  // namespace nabla
