#pragma once
// Loss modules: criterion(input, target) with the options of their torch.nn counterparts, e.g.
//   nb::nn::CrossEntropyLoss criterion({.ignore_index = 0, .label_smoothing = 0.1});
// `weight` and `pos_weight` are registered as buffers, as in PyTorch.
#include <string>

#include "nabla/nn/functional.hpp"
#include "nabla/nn/module.hpp"

namespace nabla::nn {

class MSELoss : public Module {
 public:
  explicit MSELoss(std::string reduction = "mean");
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  std::string reduction;
};

class L1Loss : public Module {
 public:
  explicit L1Loss(std::string reduction = "mean");
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  std::string reduction;
};

struct NLLLossOptions {
  Tensor weight;  // one per class, or undefined
  int64_t ignore_index = -100;
  std::string reduction = "mean";
};

class NLLLoss : public Module {
 public:
  explicit NLLLoss(NLLLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  NLLLossOptions options;
};

struct CrossEntropyLossOptions {
  Tensor weight;  // one per class, or undefined
  int64_t ignore_index = -100;
  std::string reduction = "mean";
  double label_smoothing = 0.0;
};

class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(CrossEntropyLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  CrossEntropyLossOptions options;
};

struct BCELossOptions {
  Tensor weight;  // broadcast against the input, or undefined
  std::string reduction = "mean";
};

class BCELoss : public Module {
 public:
  explicit BCELoss(BCELossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  BCELossOptions options;
};

struct BCEWithLogitsLossOptions {
  Tensor weight;  // broadcast against the input, or undefined
  std::string reduction = "mean";
  Tensor pos_weight;  // per class (broadcast over the last dim), or undefined
};

class BCEWithLogitsLoss : public Module {
 public:
  explicit BCEWithLogitsLoss(BCEWithLogitsLossOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target);
  Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }
  BCEWithLogitsLossOptions options;
};

}  // namespace nabla::nn
