#pragma once
// Note [Fused cross-entropy]
// cross_entropy with class-index targets runs as two kernels, forward and backward, each one walk
// over the logits, instead of log_softmax + nll_loss and their two backwards (which write and read a
// rows x classes tensor of log-probabilities, and a rows x classes gradient of it). The nn layer
// (src/nn/cross_entropy.cpp) views any input as rows x classes, reduces the per-row losses and
// records one autograd node.
//
// Per row, with target t, w_j = weight[j] (1 without weight), W = sum_j w_j, eps the label
// smoothing and C classes:
//   logp_j = (x_j - max) - log(sum_k exp(x_k - max))
//   loss   = (1 - eps) * w_t * -logp_t + eps / C * -sum_j w_j logp_j    (eps = 0: just w_t * -logp_t)
//   grad_j = g * (((1 - eps) w_t + eps / C * W) * exp(logp_j) - (1 - eps) w_t [j == t] - eps / C * w_j)
// and a row whose target is ignore_index has loss 0, weight 0 and gradient 0. Arithmetic is in
// opmath (float for the 16-bit floats), one rounding per stored value.
#include "core/dispatch.hpp"
#include "nabla/core/tensor_impl.hpp"

namespace nabla {

struct CrossEntropyRows {
  const TensorImpl* logits = nullptr;        // rows x classes, contiguous, floating
  const TensorImpl* target = nullptr;        // rows, contiguous int64
  const TensorImpl* weight = nullptr;        // classes, contiguous, the logits' dtype; null: all weigh 1
  const TensorImpl* weight_total = nullptr;  // 0-d sum of weight in opmath (the stats' dtype); null without weight
  int64_t ignore_index = -100;
  double label_smoothing = 0;
};

// The stats of a row, in the logits' opmath dtype (float64 for float64 logits, else float32): its max
// and the log of its sum of exp(x - max).
inline constexpr int64_t kCrossEntropyStats = 2;

// Writes loss and row_weight (rows, the logits' dtype; row_weight is w_t, 0 for an ignored row) and
// stats (rows x kCrossEntropyStats). A target outside [0, classes) other than ignore_index: the
// smallest such row is written to bad_row (0-d int64, which holds `rows` beforehand), and the other
// outputs of that row are unspecified.
using CrossEntropyForwardFn = void (*)(const CrossEntropyRows& in, TensorImpl& loss, TensorImpl& row_weight,
                                       TensorImpl& stats, TensorImpl& bad_row);
// grad_logits (rows x classes, contiguous) from the forward's stats and grad (the logits' dtype,
// contiguous: one element for every row, or one per row).
using CrossEntropyBackwardFn = void (*)(const CrossEntropyRows& in, const TensorImpl& stats, const TensorImpl& grad,
                                        TensorImpl& grad_logits);

inline constinit KernelSlot<CrossEntropyForwardFn> cross_entropy_forward_kernel("cross_entropy_forward");
inline constinit KernelSlot<CrossEntropyBackwardFn> cross_entropy_backward_kernel("cross_entropy_backward");

}  // namespace nabla
