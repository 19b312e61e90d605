// Gradient clipping, as torch/nn/utils/clip_grad.py (1.13) computes it, op for op.
#include "nabla/nn/clip_grad.hpp"

#include <cmath>
#include <string>

#include "core/check.hpp"
#include "nabla/autograd.hpp"
#include "nabla/creation.hpp"
#include "nabla/ops.hpp"

namespace nabla::nn::utils {

namespace {

std::vector<Tensor> defined_grads(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters) {
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

}  // namespace

Tensor clip_grad_norm_(const std::vector<Tensor>& parameters, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  NoGradGuard no_grad;
  std::vector<Tensor> grads = defined_grads(parameters);
  if (grads.empty()) return full({}, 0.0, kFloat32);
  const Device device = grads[0].device();
  Tensor total_norm;
  if (std::isinf(norm_type) && norm_type > 0) {
    std::vector<Tensor> norms;
    for (const Tensor& g : grads) norms.push_back(g.abs().max().to(device));
    total_norm = norms.size() == 1 ? norms[0] : stack(norms).max();
  } else {
    std::vector<Tensor> norms;
    for (const Tensor& g : grads) norms.push_back(norm(g, norm_type).to(device));
    total_norm = norm(stack(norms), norm_type);
  }
  if (error_if_nonfinite) {
    const double value = total_norm.item<double>();
    NB_CHECK(std::isfinite(value), RuntimeError, "clip_grad_norm_: The total norm of order ", norm_type,
             " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and "
             "scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=false`");
  }
  const Tensor clip_coef = max_norm / (total_norm + 1e-6);
  const Tensor clip_coef_clamped = clamp(clip_coef, std::nullopt, 1.0);
  for (Tensor& g : grads) g.mul_(clip_coef_clamped.to(g.device()));
  return total_norm;
}

Tensor clip_grad_norm_(const Tensor& parameter, double max_norm, double norm_type, bool error_if_nonfinite) {
  return clip_grad_norm_(std::vector<Tensor>{parameter}, max_norm, norm_type, error_if_nonfinite);
}

void clip_grad_value_(const std::vector<Tensor>& parameters, double clip_value) {
  NoGradGuard no_grad;
  for (Tensor& g : defined_grads(parameters)) g.clamp_(-clip_value, clip_value);
}

void clip_grad_value_(const Tensor& parameter, double clip_value) {
  clip_grad_value_(std::vector<Tensor>{parameter}, clip_value);
}

}  // namespace nabla::nn::utils
