// The layer modules: parameters, PyTorch 1.13's reset_parameters(), forward through functional.
#include "nabla/nn/modules.hpp"

#include <cmath>

#include "nabla/autograd.hpp"
#include "nabla/creation.hpp"
#include "nabla/nn/init.hpp"
#include "nn/common.hpp"

namespace nabla::nn {
namespace {

// Python's repr of an int or a 2-tuple: "3" or "(3, 3)"; `as_tuple` forces the tuple form.
std::string pair_repr(IntPair p, bool as_tuple) {
  if (!as_tuple && p.h == p.w) return std::to_string(p.h);
  std::string s = "(";  // appended piecewise: GCC 12 misreports "(" + std::to_string(...) (-Wrestrict)
  s += std::to_string(p.h) + ", " + std::to_string(p.w) + ")";
  return s;
}

void check_non_negative(int64_t value, const char* module, const char* what) {
  NB_CHECK(value >= 0, ValueError, module, ": ", what, " must be non-negative, got ", value);
}

// The default initialisation of Linear and Conv2d: kaiming_uniform_(a = sqrt(5)) for the weight,
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias.
void reset_weight_and_bias(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (!bias.defined()) return;
  const int64_t fan_in = init::calculate_fan_in_and_fan_out(weight).first;
  const double bound = fan_in > 0 ? 1 / std::sqrt(double(fan_in)) : 0;
  init::uniform_(bias, -bound, bound);
}

}  // namespace

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias)
    : in_features(in_features), out_features(out_features) {
  check_non_negative(in_features, "Linear", "in_features");
  check_non_negative(out_features, "Linear", "out_features");
  weight = register_parameter("weight", empty({out_features, in_features}));
  if (with_bias) bias = register_parameter("bias", empty({out_features}));
  reset_parameters();
}

void Linear::reset_parameters() { reset_weight_and_bias(weight, bias); }

Tensor Linear::forward(const Tensor& input) { return F::linear(input, weight, bias); }

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
         ", bias=" + detail::py_bool(bias.defined());
}

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) push_back(m);
}

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& m : modules) push_back(m);
}

void Sequential::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
}

const std::shared_ptr<Module>& Sequential::operator[](size_t index) const {
  NB_CHECK(index < layers_.size(), IndexError, "Sequential: index ", index, " is out of range for ", layers_.size(),
           " modules");
  return layers_[index];
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& layer : layers_) x = layer->forward(x);
  return x;
}

Tensor ReLU::forward(const Tensor& input) { return F::relu(input); }
Tensor Sigmoid::forward(const Tensor& input) { return F::sigmoid(input); }
Tensor Tanh::forward(const Tensor& input) { return F::tanh(input); }

GELU::GELU(std::string approximate_) : approximate(std::move(approximate_)) {
  NB_CHECK(approximate == "none" || approximate == "tanh", ValueError, "GELU: approximate must be 'none' or 'tanh', got '",
           approximate, "'");
}
Tensor GELU::forward(const Tensor& input) { return F::gelu(input, approximate); }
std::string GELU::extra_repr() const { return "approximate='" + approximate + "'"; }

Tensor Softmax::forward(const Tensor& input) { return F::softmax(input, dim); }
std::string Softmax::extra_repr() const { return "dim=" + std::to_string(dim); }
Tensor LogSoftmax::forward(const Tensor& input) { return F::log_softmax(input, dim); }
std::string LogSoftmax::extra_repr() const { return "dim=" + std::to_string(dim); }

Dropout::Dropout(double p_) : p(p_) {
  NB_CHECK(p >= 0 && p <= 1, ValueError, "dropout probability has to be between 0 and 1, but got ", p);
}
Tensor Dropout::forward(const Tensor& input) { return F::dropout(input, p, is_training()); }
std::string Dropout::extra_repr() const { return "p=" + detail::py_float(p) + ", inplace=False"; }

Tensor Flatten::forward(const Tensor& input) { return input.flatten(start_dim, end_dim); }
std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim, std::optional<int64_t> padding_idx_)
    : num_embeddings(num_embeddings), embedding_dim(embedding_dim), padding_idx(padding_idx_) {
  check_non_negative(num_embeddings, "Embedding", "num_embeddings");
  check_non_negative(embedding_dim, "Embedding", "embedding_dim");
  if (padding_idx) {
    NB_CHECK(*padding_idx >= -num_embeddings && *padding_idx < num_embeddings, ValueError,
             "Embedding: padding_idx must be within num_embeddings (", num_embeddings, "), got ", *padding_idx);
    if (*padding_idx < 0) *padding_idx += num_embeddings;
  }
  weight = register_parameter("weight", empty({num_embeddings, embedding_dim}));
  reset_parameters();
}

void Embedding::reset_parameters() {
  init::normal_(weight);
  if (padding_idx) {
    NoGradGuard no_grad;
    weight.select(0, *padding_idx).fill_(0);
  }
}

Tensor Embedding::forward(const Tensor& input) { return F::embedding(input, weight, padding_idx); }

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
  if (padding_idx) s += ", padding_idx=" + std::to_string(*padding_idx);
  return s;
}

LayerNorm::LayerNorm(std::vector<int64_t> shape, double eps, bool elementwise_affine)
    : normalized_shape(std::move(shape)), eps(eps), elementwise_affine(elementwise_affine) {
  NB_CHECK(!normalized_shape.empty(), ValueError, "LayerNorm: normalized_shape must have at least one dim");
  for (int64_t s : normalized_shape) check_non_negative(s, "LayerNorm", "normalized_shape");
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape));
    bias = register_parameter("bias", zeros(normalized_shape));
  }
}

Tensor LayerNorm::forward(const Tensor& input) {
  return F::layer_norm(input, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  std::string shape = "(";
  for (size_t i = 0; i < normalized_shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(normalized_shape[i]);
  shape += normalized_shape.size() == 1 ? ",)" : ")";
  return shape + ", eps=" + detail::py_float(eps) + ", elementwise_affine=" + detail::py_bool(elementwise_affine);
}

BatchNorm1d::BatchNorm1d(int64_t num_features, double eps, std::optional<double> momentum, bool affine,
                         bool track_running_stats)
    : num_features(num_features), eps(eps), momentum(momentum), affine(affine),
      track_running_stats(track_running_stats) {
  check_non_negative(num_features, "BatchNorm1d", "num_features");
  if (affine) {
    weight = register_parameter("weight", ones({num_features}));
    bias = register_parameter("bias", zeros({num_features}));
  }
  if (track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}));
    running_var = register_buffer("running_var", ones({num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
}

Tensor BatchNorm1d::forward(const Tensor& input) {
  NB_CHECK(input.dim() == 2 || input.dim() == 3, ValueError, "expected 2D or 3D input (got ", input.dim(),
           "D input)");
  const bool update_stats = is_training() && track_running_stats;
  // momentum = nullopt: the cumulative moving average, factor 1 / (batches seen, this one included).
  double factor = momentum.value_or(0.0);
  if (update_stats && !momentum) factor = 1.0 / double(num_batches_tracked.item<int64_t>() + 1);
  const bool use_batch_stats = is_training() || !track_running_stats;
  Tensor out = F::batch_norm(input, running_mean, running_var, weight, bias, use_batch_stats, factor, eps);
  if (update_stats) {
    NoGradGuard no_grad;
    num_batches_tracked.add_(1);
  }
  return out;
}

std::string BatchNorm1d::extra_repr() const {
  return std::to_string(num_features) + ", eps=" + detail::py_float(eps) +
         ", momentum=" + (momentum ? detail::py_float(*momentum) : std::string("None")) +
         ", affine=" + detail::py_bool(affine) + ", track_running_stats=" + detail::py_bool(track_running_stats);
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, IntPair kernel_size, IntPair stride, IntPair padding,
               IntPair dilation, int64_t groups, bool with_bias)
    : in_channels(in_channels), out_channels(out_channels), kernel_size(kernel_size), stride(stride),
      padding(padding), dilation(dilation), groups(groups) {
  NB_CHECK(groups > 0, ValueError, "groups must be a positive integer");
  NB_CHECK(in_channels % groups == 0, ValueError, "in_channels must be divisible by groups");
  NB_CHECK(out_channels % groups == 0, ValueError, "out_channels must be divisible by groups");
  NB_CHECK(kernel_size.h > 0 && kernel_size.w > 0 && stride.h > 0 && stride.w > 0 && dilation.h > 0 &&
               dilation.w > 0 && padding.h >= 0 && padding.w >= 0,
           ValueError, "Conv2d: kernel_size, stride and dilation must be positive and padding non-negative");
  weight = register_parameter("weight", empty({out_channels, in_channels / groups, kernel_size.h, kernel_size.w}));
  if (with_bias) bias = register_parameter("bias", empty({out_channels}));
  reset_parameters();
}

void Conv2d::reset_parameters() { reset_weight_and_bias(weight, bias); }

Tensor Conv2d::forward(const Tensor& input) {
  return F::conv2d(input, weight, bias, stride, padding, dilation, groups);
}

std::string Conv2d::extra_repr() const {
  std::string s = std::to_string(in_channels) + ", " + std::to_string(out_channels) +
                  ", kernel_size=" + pair_repr(kernel_size, true) + ", stride=" + pair_repr(stride, true);
  if (!(padding == IntPair(0))) s += ", padding=" + pair_repr(padding, true);
  if (!(dilation == IntPair(1))) s += ", dilation=" + pair_repr(dilation, true);
  if (groups != 1) s += ", groups=" + std::to_string(groups);
  if (!bias.defined()) s += ", bias=False";
  return s;
}

MaxPool2d::MaxPool2d(IntPair kernel_size, std::optional<IntPair> stride, IntPair padding, IntPair dilation)
    : kernel_size(kernel_size), stride(stride.value_or(kernel_size)), padding(padding), dilation(dilation) {}

Tensor MaxPool2d::forward(const Tensor& input) {
  return F::max_pool2d(input, kernel_size, stride, padding, dilation);
}

std::string MaxPool2d::extra_repr() const {
  return "kernel_size=" + pair_repr(kernel_size, false) + ", stride=" + pair_repr(stride, false) +
         ", padding=" + pair_repr(padding, false) + ", dilation=" + pair_repr(dilation, false) + ", ceil_mode=False";
}

}  // namespace nabla::nn
