// The fused cross-entropy as an op (Note [Fused cross-entropy]): the kernels of src/cpu/loss.cpp and
// src/cuda/loss.cu, and the gradient.
#include "ops/loss.hpp"

#include "autograd/function.hpp"
#include "core/kernels/loss.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

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

}  // namespace

Tensor cross_entropy_loss(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                          double label_smoothing, LossReduction r) {
  NB_CHECK(!weight.defined() || weight.dtype() == input.dtype(), RuntimeError, "cross_entropy: expected a weight of ",
           dtype_name(input.dtype()), " (the input's dtype), got ", dtype_name(weight.dtype()),
           "; convert it with weight.to(input.dtype())");
  check_same_device(input, target, "cross_entropy");
  if (weight.defined()) check_same_device(input, weight, "cross_entropy");
  const Tensor logits = input.contiguous();
  const int64_t rows = logits.size(0), classes = logits.size(1);
  ClassTargets c{target.contiguous(), weight.defined() ? weight.contiguous() : Tensor(), Tensor(), ignore_index,
                 label_smoothing};

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
      case LossReduction::kNone: loss = losses; break;
      case LossReduction::kSum: loss = losses.sum(); break;
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
    Tensor per_row = r == LossReduction::kMean ? g[0] / denominator : g[0];
    if (is_grad_enabled()) return {grad_as_ops(x, c, per_row.expand({x.size(0)}))};
    per_row = per_row.contiguous();
    Tensor dx = empty(x.sizes(), x.options());
    cross_entropy_backward_kernel(x.device())(c.rows(x), *stats.impl(), *per_row.impl(), *dx.impl());
    return {dx};
  });
  for (const Tensor& t : {logits, stats, denominator, c.target, c.weight, c.weight_total}) node->save(t);
  set_history(loss, std::move(node));
  return loss;
}

}  // namespace nabla
