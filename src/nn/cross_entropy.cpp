// cross_entropy with PyTorch 1.13's semantics (aten/src/ATen/native/LossNLL.cpp): class-index targets
// through the fused kernels (Note [Fused cross-entropy] in src/core/kernels/loss.hpp), class
// probabilities as log_softmax and sums.
#include "autograd/function.hpp"
#include "core/kernels/loss.hpp"
#include "nabla/nn/functional.hpp"
#include "nabla/ops.hpp"
#include "nn/common.hpp"
#include "ops/common.hpp"

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

// What the fused kernels read besides the logits; the backward gets it back from the saved tensors.
struct ClassTargets {
  Tensor target;        // rows, contiguous int64
  Tensor weight;        // classes, contiguous, or undefined
  Tensor weight_total;  // weight.sum() in opmath, or undefined
  int64_t ignore_index;
  double label_smoothing;

  CrossEntropyRows rows(const Tensor& logits) const {
    return {logits.impl(), target.impl(), weight.defined() ? weight.impl() : nullptr,
            weight.defined() ? weight_total.impl() : nullptr, ignore_index, label_smoothing};
  }
};

// The gradient as forward ops, for a backward that records a graph (create_graph): the note's formula
// with exp(logp) from log_softmax, which is itself differentiable. g holds one value per row.
Tensor grad_as_ops(const Tensor& logits, const ClassTargets& c, const Tensor& g) {
  const int64_t classes = logits.size(1);
  const Tensor kept = c.target != c.ignore_index;
  const Tensor safe_target = c.target.masked_fill(~kept, 0).unsqueeze(1);
  const Tensor w_t = c.weight.defined() ? c.weight.index_select(0, safe_target.squeeze(1)).unsqueeze(1)
                                        : ones({logits.size(0), 1}, logits.options());
  const Tensor at_target = zeros_like(logits).scatter(1, safe_target, 1.0);
  const double eps = c.label_smoothing, eps_per_class = eps / double(classes);
  const Tensor total = c.weight.defined() ? c.weight_total : full({}, double(classes), logits.options());
  const Tensor g_kept = (g * kept).unsqueeze(1);
  Tensor d = (w_t * (1 - eps) + total * eps_per_class) * logits.log_softmax(1).exp() - w_t * (1 - eps) * at_target;
  if (eps != 0) d = d - (c.weight.defined() ? c.weight.unsqueeze(0) : ones({1, classes}, logits.options())) * eps_per_class;
  return g_kept * d;
}

Tensor class_targets(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     Reduction r, double label_smoothing) {
  detail::check_class_target_shape(input, target, "cross_entropy");
  const int64_t class_dim = detail::class_dim_of(input), classes = input.size(class_dim);
  detail::check_class_weight(weight, classes, "cross_entropy");
  NB_CHECK(!weight.defined() || weight.dtype() == input.dtype(), RuntimeError, "cross_entropy: expected a weight of ",
           dtype_name(input.dtype()), " (the input's dtype), got ", dtype_name(weight.dtype()),
           "; convert it with weight.to(input.dtype())");
  check_same_device(input, target, "cross_entropy");
  if (weight.defined()) check_same_device(input, weight, "cross_entropy");

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
  logits = logits.contiguous();
  const int64_t rows = logits.size(0);
  ClassTargets c{target.reshape({-1}).contiguous(), weight.defined() ? weight.contiguous() : Tensor(), Tensor(),
                 ignore_index, label_smoothing};

  Tensor losses, row_weight, stats, loss, denominator;
  {
    NoGradGuard no_grad;
    const TensorOptions opts = logits.options();
    const DType opmath = input.dtype() == kFloat64 ? kFloat64 : kFloat32;
    if (c.weight.defined()) c.weight_total = c.weight.sum(opmath);
    losses = empty({rows}, opts);
    row_weight = empty({rows}, opts);
    stats = empty({rows, kCrossEntropyStats}, opts.dtype(opmath));
    const Tensor bad_row = full({}, rows, opts.dtype(kInt64));
    cross_entropy_forward_kernel(input.device())(c.rows(logits), *losses.impl(), *row_weight.impl(), *stats.impl(),
                                                 *bad_row.impl());
    const int64_t bad = bad_row.item<int64_t>();
    NB_CHECK(bad == rows, IndexError, "cross_entropy: Target ", c.target[bad].item<int64_t>(), " is out of bounds (",
             classes, " classes).");
    switch (r) {
      case Reduction::kNone: loss = losses.view(target.sizes()); break;
      case Reduction::kSum: loss = losses.sum(); break;
      default:
        denominator = row_weight.sum();
        loss = losses.sum() / denominator;
    }
  }
  if (!grad_needed(logits)) return loss;

  auto node = make_node("CrossEntropyLossBackward0", {&logits},
                        [r, ignore_index, label_smoothing](FunctionNode& n, Grads& g) -> Grads {
    const Tensor x = n.saved(0), stats = n.saved(1), denominator = n.saved(2);
    const ClassTargets c{n.saved(3), n.saved(4), n.saved(5), ignore_index, label_smoothing};
    Tensor per_row = r == Reduction::kNone ? g[0].reshape({-1}) : r == Reduction::kMean ? g[0] / denominator : g[0];
    if (is_grad_enabled()) return {grad_as_ops(x, c, per_row.expand({x.size(0)}))};
    per_row = per_row.contiguous();
    Tensor dx = empty(x.sizes(), x.options());
    cross_entropy_backward_kernel(x.device())(c.rows(x), *stats.impl(), *per_row.impl(), *dx.impl());
    return {dx};
  });
  for (const Tensor* t : {&logits, &stats, &denominator, &c.target, &c.weight, &c.weight_total}) node->save(*t);
  set_history(loss, std::move(node));
  return loss;
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
