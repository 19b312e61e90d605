// The losses, functional and modules, with PyTorch 1.13's semantics (aten/src/ATen/native/Loss.cpp,
// LossNLL.cpp), and the checks the class-index losses share; cross_entropy's functional form is in
// cross_entropy.cpp.
#include "autograd/function.hpp"
#include "nabla/nn/loss.hpp"
#include "nabla/ops.hpp"
#include "nn/common.hpp"

namespace nabla::nn {
namespace detail {

Reduction parse_reduction(const std::string& reduction) {
  if (reduction == "mean") return Reduction::kMean;
  if (reduction == "sum") return Reduction::kSum;
  if (reduction == "none") return Reduction::kNone;
  throw ValueError(reduction + " is not a valid value for reduction (use \"mean\", \"sum\" or \"none\")");
}

Tensor reduce_loss(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::kMean: return loss.mean();
    case Reduction::kSum: return loss.sum();
    default: return loss;
  }
}

int64_t class_dim_of(const Tensor& input) { return input.dim() == 1 ? 0 : 1; }

Tensor class_weight_view(const Tensor& weight, const Tensor& input) {
  if (input.dim() <= 1) return weight;
  DimVector shape(size_t(input.dim()), 1);
  shape[1] = weight.numel();
  return weight.view(shape);
}

void check_class_weight(const Tensor& weight, int64_t classes, const char* op) {
  NB_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == classes), RuntimeError, op,
           ": weight tensor should be defined either for all ", classes, " classes or no classes but got weight "
           "tensor of shape: ", list_str(weight.sizes()));
}

void check_class_target_shape(const Tensor& input, const Tensor& target, const char* op) {
  NB_CHECK(input.dim() >= 1, ValueError, op, ": Expected 1 or more dimensions (got ", input.dim(), ")");
  NB_CHECK(input.is_floating_point(), RuntimeError, op, ": expected a floating point input, got ",
           dtype_name(input.dtype()));
  NB_CHECK(target.dtype() == kInt64, RuntimeError, op, ": expected scalar type Long (int64 class indices) for the "
           "target but found ", dtype_name(target.dtype()),
           target.is_floating_point() ? "; class probabilities need a target of the input's shape"
                                      : "; convert it with target.to(nabla::kInt64)");
  if (input.dim() == 1) {
    NB_CHECK(target.dim() == 0, RuntimeError, op, ": input of shape ", list_str(input.sizes()),
             " (one sample) expects a 0-d target, got target of shape ", list_str(target.sizes()));
  } else {
    NB_CHECK(target.dim() >= 1 && input.size(0) == target.size(0), ValueError, op, ": Expected input batch_size (",
             input.size(0), ") to match target batch_size (", target.dim() ? target.size(0) : 0, ").");
    DimVector expected = input.sizes();
    expected.erase(1);
    NB_CHECK(target.sizes() == expected, RuntimeError, op, ": Expected target size ", list_str(expected), ", got ",
             list_str(target.sizes()), " (input of shape ", list_str(input.sizes()), ")");
  }
}

bool check_class_targets(const Tensor& input, const Tensor& target, int64_t ignore_index, const char* op) {
  check_class_target_shape(input, target, op);
  const int64_t classes = input.size(class_dim_of(input));
  const Tensor ignored = target == ignore_index;
  const Tensor invalid = ((target < 0) | (target >= classes)) & ~ignored;
  if (invalid.any().item<bool>()) {
    const int64_t bad = target.masked_select(invalid).flatten()[0].item<int64_t>();
    throw IndexError(std::string(op) + ": Target " + std::to_string(bad) + " is out of bounds (" +
                     std::to_string(classes) + " classes).");
  }
  return ignored.any().item<bool>();
}

}  // namespace detail

namespace functional {

using detail::class_dim_of;
using detail::list_str;
using detail::Reduction;

Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  detail::check_defined(input, "mse_loss");
  detail::check_defined(target, "mse_loss", "target");
  const Reduction r = detail::parse_reduction(reduction);
  Tensor squares, loss;
  {
    NoGradGuard no_grad;
    squares = (input - target).square();
    loss = detail::reduce_loss(squares, r);
  }
  if (!grad_needed(input, target)) return loss;
  // One node, as PyTorch's MseLossBackward0: norm * (input - target) * grad, norm = 2/N for the mean over
  // the N broadcast elements and 2 otherwise; the target's gradient is the same with the roles swapped.
  const double norm = r == Reduction::kMean ? 2.0 / double(squares.numel()) : 2.0;
  auto node = make_node("MseLossBackward0", {&input, &target}, [norm](FunctionNode& n, Grads& g) -> Grads {
    const Tensor x = n.saved(0), t = n.saved(1);
    auto part = [&](const Tensor& a, const Tensor& b) { return (a - b) * norm * g[0]; };
    return {n.needs_grad(0) ? part(x, t) : Tensor(), n.needs_grad(1) ? part(t, x) : Tensor()};
  });
  node->save(input);
  node->save(target);
  set_history(loss, std::move(node));
  return loss;
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  detail::check_defined(input, "l1_loss");
  detail::check_defined(target, "l1_loss", "target");
  const Reduction r = detail::parse_reduction(reduction);
  return detail::reduce_loss((input - target).abs(), r);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                const std::string& reduction) {
  detail::check_defined(input, "nll_loss");
  detail::check_defined(target, "nll_loss", "target");
  const Reduction r = detail::parse_reduction(reduction);
  const bool any_ignored = detail::check_class_targets(input, target, ignore_index, "nll_loss");
  const int64_t class_dim = class_dim_of(input);
  detail::check_class_weight(weight, input.size(class_dim), "nll_loss");

  const Tensor kept = any_ignored ? target != ignore_index : Tensor();
  const Tensor safe_target = any_ignored ? target.masked_fill(~kept, 0) : target;
  const Tensor picked = input.gather(class_dim, safe_target.unsqueeze(class_dim)).squeeze(class_dim);
  // Per-target weights; ignored targets weigh 0.
  Tensor w;
  if (weight.defined()) w = weight.index_select(0, safe_target.reshape({-1})).view(target.sizes());
  if (any_ignored) w = w.defined() ? w * kept : kept.to(input.dtype());
  const Tensor loss = w.defined() ? -picked * w : -picked;
  switch (r) {
    case Reduction::kNone: return loss;
    case Reduction::kSum: return loss.sum();
    default: return w.defined() ? loss.sum() / w.sum() : loss.mean();
  }
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            const std::string& reduction) {
  detail::check_defined(input, "binary_cross_entropy");
  detail::check_defined(target, "binary_cross_entropy", "target");
  const Reduction r = detail::parse_reduction(reduction);
  NB_CHECK(input.sizes() == target.sizes(), ValueError, "binary_cross_entropy: Using a target size (",
           list_str(target.sizes()), ") that is different to the input size (", list_str(input.sizes()),
           ") is deprecated. Please ensure they have the same size.");
  NB_CHECK(((input >= 0) & (input <= 1)).all().item<bool>(), RuntimeError,
           "binary_cross_entropy: all elements of input should be between 0 and 1 (apply sigmoid first, or use "
           "binary_cross_entropy_with_logits)");
  // -(y log x + (1 - y) log(1 - x)) with each log clamped to >= -100.
  Tensor loss = (target - 1) * (-input).log1p().clamp(-100) - target * input.log().clamp(-100);
  if (weight.defined()) loss = loss * weight;
  return detail::reduce_loss(loss, r);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const std::string& reduction, const Tensor& pos_weight) {
  detail::check_defined(input, "binary_cross_entropy_with_logits");
  detail::check_defined(target, "binary_cross_entropy_with_logits", "target");
  const Reduction r = detail::parse_reduction(reduction);
  NB_CHECK(input.sizes() == target.sizes(), ValueError, "binary_cross_entropy_with_logits: Target size (",
           list_str(target.sizes()), ") must be the same as input size (", list_str(input.sizes()), ")");
  // (1 - y) x + l * log(1 + exp(-x)) with l = 1 + (pos_weight - 1) y, written with m = max(-x, 0) so
  // that no exp overflows: log(1 + exp(-x)) = m + log(exp(-m) + exp(-x - m)).
  const Tensor max_val = (-input).clamp(0);
  const Tensor log_term = ((-max_val).exp() + (-input - max_val).exp()).log() + max_val;
  Tensor loss = (1 - target) * input;
  loss = pos_weight.defined() ? loss + ((pos_weight - 1) * target + 1) * log_term : loss + log_term;
  if (weight.defined()) loss = loss * weight;
  return detail::reduce_loss(loss, r);
}

}  // namespace functional

MSELoss::MSELoss(std::string reduction_) : reduction(std::move(reduction_)) { detail::parse_reduction(reduction); }
Tensor MSELoss::forward(const Tensor& input, const Tensor& target) { return F::mse_loss(input, target, reduction); }

L1Loss::L1Loss(std::string reduction_) : reduction(std::move(reduction_)) { detail::parse_reduction(reduction); }
Tensor L1Loss::forward(const Tensor& input, const Tensor& target) { return F::l1_loss(input, target, reduction); }

NLLLoss::NLLLoss(NLLLossOptions options_) : options(std::move(options_)) {
  detail::parse_reduction(options.reduction);
  register_buffer("weight", options.weight);
}
Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
  return F::nll_loss(input, target, options.weight, options.ignore_index, options.reduction);
}

CrossEntropyLoss::CrossEntropyLoss(CrossEntropyLossOptions options_) : options(std::move(options_)) {
  detail::parse_reduction(options.reduction);
  NB_CHECK(options.label_smoothing >= 0 && options.label_smoothing <= 1, ValueError,
           "CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0. Got: ", options.label_smoothing);
  register_buffer("weight", options.weight);
}
Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
  return F::cross_entropy(input, target, options.weight, options.ignore_index, options.reduction,
                          options.label_smoothing);
}

BCELoss::BCELoss(BCELossOptions options_) : options(std::move(options_)) {
  detail::parse_reduction(options.reduction);
  register_buffer("weight", options.weight);
}
Tensor BCELoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy(input, target, options.weight, options.reduction);
}

BCEWithLogitsLoss::BCEWithLogitsLoss(BCEWithLogitsLossOptions options_) : options(std::move(options_)) {
  detail::parse_reduction(options.reduction);
  register_buffer("weight", options.weight);
  register_buffer("pos_weight", options.pos_weight);
}
Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
  return F::binary_cross_entropy_with_logits(input, target, options.weight, options.reduction, options.pos_weight);
}

}  // namespace nabla::nn
