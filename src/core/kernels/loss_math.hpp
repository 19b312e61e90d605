#pragma once
// The per-row arithmetic of the fused cross-entropy (Note [Fused cross-entropy] in loss.hpp), written
// once for the CPU and CUDA kernels. V is the opmath type.
#include "core/kernels/loss.hpp"
#include "nabla/core/host_device.hpp"

namespace nabla {

template <typename V>
struct CrossEntropyRowMath {
  V one_minus_eps, eps_per_class, weight_total;
  bool smoothing;

  NB_HOST_DEVICE CrossEntropyRowMath(double label_smoothing, int64_t classes, V weight_total)
      : one_minus_eps(V(1 - label_smoothing)),
        eps_per_class(V(label_smoothing / double(classes))),
        weight_total(weight_total),
        smoothing(label_smoothing != 0) {}

  // The loss of a kept row from its stats, the target's logit x_t and weight w_t, and
  // weighted_shifted = sum_j w_j (x_j - max), which only label smoothing reads. Without smoothing it
  // is nll_loss's -(logp_t) * w_t, rounded as PyTorch rounds it.
  NB_HOST_DEVICE V loss(V max, V log_sum, V x_t, V w_t, V weighted_shifted) const {
    const V nll = -((x_t - max) - log_sum) * w_t;
    if (!smoothing) return nll;
    const V smooth = weight_total * log_sum - weighted_shifted;  // -sum_j w_j logp_j
    return one_minus_eps * nll + eps_per_class * smooth;
  }

  // grad_j = scale * exp(logp_j) - per_weight * w_j - (j == t ? at_target : 0), for upstream gradient g.
  struct Grad {
    V scale, at_target, per_weight;
  };
  NB_HOST_DEVICE Grad grad(V g, V w_t) const {
    if (!smoothing) return {g * w_t, g * w_t, V(0)};
    return {g * (one_minus_eps * w_t + eps_per_class * weight_total), g * (one_minus_eps * w_t), g * eps_per_class};
  }
};

}  // namespace nabla
