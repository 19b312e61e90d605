// cross_entropy with PyTorch 1.13's semantics (aten/src/ATen/native/LossNLL.cpp): class-index targets
// through the fused op (src/ops/loss.hpp), class probabilities as log_softmax and sums.
#include "nabla/nn/functional.hpp"
#include "nabla/ops.hpp"
#include "nn/common.hpp"
#include "ops/loss.hpp"

namespace nabla::nn::functional {
namespace {

using detail::list_str;
using detail::Reduction;

Tensor probability_targets(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction r,
                           double label_smoothing) {
  const int64_t class_dim = detail::class_dim_of(input), classes = input.size(class_dim);
  const Tensor t = label_smoothing > 0 ? target * (1 - label_smoothing) + label_smoothing / double(classes) : target;
  Tensor terms = input.log_softmax(class_dim) * t;
  if (weight.defined()) terms = terms * detail::class_weight_view(weight, input);
  switch (r) {
    case Reduction::kNone: return -terms.sum(class_dim);
    case Reduction::kSum: return -terms.sum();
    default: return -terms.sum() / double(input.numel() / std::max<int64_t>(classes, 1));
  }
}

Tensor class_targets(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     Reduction r, double label_smoothing) {
  detail::check_class_target_shape(input, target, "cross_entropy");
  const int64_t class_dim = detail::class_dim_of(input), classes = input.size(class_dim);
  detail::check_class_weight(weight, classes, "cross_entropy");
  // Rows x classes: the class dim moved last.
  Tensor logits = input;
  if (input.dim() == 1) {
    logits = input.unsqueeze(0);
  } else if (input.dim() > 2) {
    DimVector order{0};
    for (int64_t d = 2; d < input.dim(); ++d) order.push_back(d);
    order.push_back(1);
    logits = input.permute(order).reshape({-1, classes});
  }
  const Tensor loss = cross_entropy_loss(logits, target.reshape({-1}), weight, ignore_index, label_smoothing, r);
  return r == Reduction::kNone ? loss.view(target.sizes()) : loss;
}

}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     const std::string& reduction, double label_smoothing) {
  detail::check_defined(input, "cross_entropy");
  detail::check_defined(target, "cross_entropy", "target");
  const Reduction r = detail::parse_reduction(reduction);
  NB_CHECK(label_smoothing >= 0 && label_smoothing <= 1, ValueError,
           "cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  NB_CHECK(input.dim() >= 1, ValueError, "cross_entropy: Expected 1 or more dimensions (got ", input.dim(), ")");
  if (input.sizes() != target.sizes()) {
    NB_CHECK(!target.is_floating_point(), RuntimeError, "cross_entropy: a ", dtype_name(target.dtype()),
             " target holds class probabilities and must have the input's shape ", list_str(input.sizes()), ", got ",
             list_str(target.sizes()), "; class indices must be int64 without the class dim");
    return class_targets(input, target, weight, ignore_index, r, label_smoothing);
  }
  NB_CHECK(target.is_floating_point(), RuntimeError,
           "cross_entropy: Expected floating point type for target with class probabilities, got ",
           dtype_name(target.dtype()), " (a target of the input's shape ", list_str(input.sizes()),
           " holds probabilities; class indices have no class dim)");
  NB_CHECK(ignore_index < 0, RuntimeError, "cross_entropy: ignore_index is not supported for floating point target");
  detail::check_class_weight(weight, input.size(detail::class_dim_of(input)), "cross_entropy");
  return probability_targets(input, target, weight, r, label_smoothing);
}

}  // namespace nabla::nn::functional
