// nn::functional: layer_norm and batch_norm, from reductions and element-wise ops.
#include "nabla/autograd.hpp"
#include "nabla/nn/functional.hpp"
#include "nabla/ops.hpp"
#include "nn/common.hpp"

namespace nabla::nn::functional {

Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  detail::check_defined(input, "layer_norm");
  const int64_t k = int64_t(normalized_shape.size()), nd = input.dim();
  bool matches = k >= 1 && nd >= k;
  for (int64_t i = 0; matches && i < k; ++i) matches = input.size(nd - k + i) == normalized_shape[i];
  NB_CHECK(matches, RuntimeError, "layer_norm: Given normalized_shape=", detail::list_str(normalized_shape),
           ", expected input with shape [*, ", detail::list_str(normalized_shape).substr(1), ", but got input of size",
           detail::list_str(input.sizes()));
  for (const Tensor* p : {&weight, &bias})
    NB_CHECK(!p->defined() || IntArrayRef(p->sizes()) == normalized_shape, RuntimeError,
             "layer_norm: weight and bias must have shape ", detail::list_str(normalized_shape), ", got ",
             detail::list_str(p->sizes()));
  DimVector dims;
  for (int64_t i = nd - k; i < nd; ++i) dims.push_back(i);
  Tensor mean = input.mean(IntArrayRef(dims), true);
  Tensor var = input.var(IntArrayRef(dims), 0, true);
  Tensor out = (input - mean) * (var + eps).rsqrt();
  if (weight.defined()) out = out * weight;
  if (bias.defined()) out = out + bias;
  return out;
}

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  detail::check_defined(input, "batch_norm");
  NB_CHECK(input.dim() >= 2, ValueError, "batch_norm: expected input of shape (N, C, ...), got ",
           detail::list_str(input.sizes()));
  const int64_t channels = input.size(1);
  const Tensor* per_channel[] = {&running_mean, &running_var, &weight, &bias};
  const char* names[] = {"running_mean", "running_var", "weight", "bias"};
  for (int i = 0; i < 4; ++i)
    NB_CHECK(!per_channel[i]->defined() || per_channel[i]->numel() == channels, RuntimeError, "batch_norm: ",
             names[i], " should contain ", channels, " elements not ", per_channel[i]->numel());
  NB_CHECK(training || (running_mean.defined() && running_var.defined()), ValueError,
           "batch_norm: running_mean and running_var must be defined in evaluation mode (training=false)");
  DimVector reduce_dims{0}, stat_shape{channels};
  for (int64_t d = 2; d < input.dim(); ++d) reduce_dims.push_back(d), stat_shape.push_back(1);
  const int64_t count = input.numel() / std::max<int64_t>(channels, 1);
  NB_CHECK(!training || count > 1, ValueError, "Expected more than 1 value per channel when training, got input size ",
           detail::list_str(input.sizes()));

  Tensor mean, var;
  if (training) {
    mean = input.mean(IntArrayRef(reduce_dims));
    var = input.var(IntArrayRef(reduce_dims), 0);
    if (running_mean.defined() && running_var.defined()) {
      NoGradGuard no_grad;
      Tensor unbiased = var.detach() * (double(count) / double(count - 1));
      Tensor(running_mean).copy_(mean.detach() * momentum + running_mean * (1 - momentum));
      Tensor(running_var).copy_(unbiased * momentum + running_var * (1 - momentum));
    }
  } else {
    mean = running_mean;
    var = running_var;
  }
  // y = x * scale + shift with per-channel scale = weight / sqrt(var + eps): two passes over x.
  Tensor scale = (var + eps).rsqrt();
  if (weight.defined()) scale = scale * weight.reshape({-1});
  Tensor shift = -mean * scale;
  if (bias.defined()) shift = shift + bias.reshape({-1});
  return input * scale.view(stat_shape) + shift.view(stat_shape);
}

}  // namespace nabla::nn::functional
