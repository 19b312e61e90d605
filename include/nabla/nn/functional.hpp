#pragma once
// nn::functional (alias nn::F): the stateless forms of the layers and losses, as
// torch.nn.functional. Each is built from differentiable core ops, so gradients flow through it.
#include <optional>
#include <string>

#include "nabla/tensor.hpp"

namespace nabla::nn {

// A 2-D size given as one int (both dims) or as {h, w}: kernel sizes, strides, paddings.
struct IntPair {
  int64_t h, w;
  IntPair(int64_t both) : h(both), w(both) {}
  IntPair(int64_t h_, int64_t w_) : h(h_), w(w_) {}
  bool operator==(const IntPair&) const = default;
};

namespace functional {

// Activations.
Tensor relu(const Tensor& input);
Tensor gelu(const Tensor& input, const std::string& approximate = "none");  // "none" or "tanh"
Tensor sigmoid(const Tensor& input);
Tensor tanh(const Tensor& input);
Tensor softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype = std::nullopt);

// input @ weight.T + bias; weight is (out_features, in_features), bias (out_features) or undefined.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
// Zeroes each element with probability p and scales the rest by 1/(1-p), when training.
Tensor dropout(const Tensor& input, double p = 0.5, bool training = true);
Tensor flatten(const Tensor& input, int64_t start_dim = 0, int64_t end_dim = -1);
// Rows of `weight` picked by the integer `input`; no gradient reaches row padding_idx.
Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx = std::nullopt);
// Normalises over the trailing dims `normalized_shape`, then applies weight and bias when defined.
Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);
// input is (N, C, ...). Training normalises with the batch's statistics and, when running_mean and
// running_var are defined, updates them in place (running_var with the unbiased variance);
// evaluation normalises with the running statistics.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false, double momentum = 0.1,
                  double eps = 1e-5);
// Constant padding of the trailing dims: pad = {left, right} for the last dim, then {top, bottom}
// for the one before, ... (negative values crop), as torch.nn.functional.pad(mode="constant").
Tensor pad(const Tensor& input, IntArrayRef pad, double value = 0);
// input (N, C, H, W) or (C, H, W); weight (out_channels, C / groups, kH, kW); im2col + one batched GEMM.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntPair stride = 1,
              IntPair padding = 0, IntPair dilation = 1, int64_t groups = 1);
// stride defaults to kernel_size; padding (at most half the kernel) counts as -infinity.
Tensor max_pool2d(const Tensor& input, IntPair kernel_size, std::optional<IntPair> stride = std::nullopt,
                  IntPair padding = 0, IntPair dilation = 1);

// Losses. reduction is "mean" (the default), "sum" or "none".
Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");
Tensor l1_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");
// input: log-probabilities (N, C), (C) or (N, C, d1, ...); target: int64 class indices of the
// input's shape without the class dim. "mean" divides by the summed weights of non-ignored targets.
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = {}, int64_t ignore_index = -100,
                const std::string& reduction = "mean");
// input: unnormalised scores, as for nll_loss; target: class indices, or class probabilities of the
// input's shape (floating). label_smoothing in [0, 1] mixes the target with the uniform distribution.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                     int64_t ignore_index = -100, const std::string& reduction = "mean",
                     double label_smoothing = 0.0);
// input: probabilities in [0, 1]; logs are clamped to >= -100 as in PyTorch.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                            const std::string& reduction = "mean");
// input: logits; the numerically stable form. pos_weight scales the positive term per class.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                        const std::string& reduction = "mean", const Tensor& pos_weight = {});

}  // namespace functional

namespace F = functional;

}  // namespace nabla::nn
