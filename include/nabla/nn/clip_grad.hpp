#pragma once
// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_): rescales or clamps the
// grad() of the given parameters in place; parameters without a grad are skipped.
#include <vector>

#include "nabla/tensor.hpp"

namespace nabla::nn::utils {

// Scales all grads by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the norm_type
// norm (INFINITY for the max norm) of all grads taken together. Returns total_norm (a 0-d tensor;
// tensor(0.) when no parameter has a grad). error_if_nonfinite: raise RuntimeError instead of
// scaling when total_norm is NaN or infinite.
Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type = 2,
                       bool error_if_nonfinite = false);
Tensor clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type = 2,
                       bool error_if_nonfinite = false);

// Clamps every grad element into [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value);
void clip_grad_value_(const Tensor& parameter, double clip_value);

}  // namespace nabla::nn::utils
