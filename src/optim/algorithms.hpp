#pragma once
// What distinguishes the optimizers, one traits struct per options type: their names, state
// buffers, option fields (for state dicts), validation, and the per-tensor scalars of a step,
// computed as PyTorch 1.13's single-tensor implementations compute them in Python (double).
#include <array>
#include <cmath>
#include <string_view>

#include "core/kernels/optim.hpp"
#include "nabla/optim.hpp"

namespace nabla::optim {

using ParamState = Optimizer::ParamState;

// PyTorch validates with `if not 0.0 <= x: raise ValueError("Invalid <what>: {x}")`.
void check_option(bool ok, const char* optimizer, const char* what, double value);
// Makes state buffer k for s.param when it has none (zeros, or uninitialised memory when the
// algorithm writes it before reading); true when it was made.
bool ensure_buffer(ParamState& s, int k, bool zeroed);

template <typename Options> struct Algorithm;

template <>
struct Algorithm<SGDOptions> {
  static constexpr const char* kName = "SGD";
  static constexpr OptimKind kKind = OptimKind::kSGD;
  static constexpr std::array<const char*, 3> kBuffers = {"momentum_buffer", nullptr, nullptr};
  static constexpr bool kHasStep = false;

  template <typename O, typename F>
  static void fields(O& o, F&& f) {
    f("lr", o.lr), f("momentum", o.momentum), f("dampening", o.dampening), f("weight_decay", o.weight_decay);
    f("nesterov", o.nesterov), f("maximize", o.maximize);
  }
  static void validate(const SGDOptions& o);
  static bool uses_buffer(const SGDOptions& o, int k) { return k == 0 && o.momentum != 0; }
  static OptimScalars prepare(const SGDOptions& o, ParamState& s);
};

struct AdamAlgorithm {
  static constexpr OptimKind kKind = OptimKind::kAdam;
  static constexpr std::array<const char*, 3> kBuffers = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  static constexpr bool kHasStep = true;
  static constexpr DType kStepDType = kFloat32;  // PyTorch keeps Adam's step as torch.tensor(0.)

  template <typename O, typename F>
  static void fields(O& o, F&& f) {
    f("lr", o.lr), f("betas", o.betas), f("eps", o.eps), f("weight_decay", o.weight_decay);
    f("amsgrad", o.amsgrad), f("maximize", o.maximize);
  }
  template <typename O>
  static bool uses_buffer(const O& o, int k) { return k < 2 || o.amsgrad; }
  // decoupled_decay: AdamW's param factor 1 - lr * weight_decay (then l2_weight_decay is 0).
  static OptimScalars prepare(double lr, std::pair<double, double> betas, double eps, double l2_weight_decay,
                              std::optional<double> decoupled_decay, bool amsgrad, bool maximize, ParamState& s);
  static void validate(const char* name, double lr, std::pair<double, double> betas, double eps, double weight_decay);
};

template <>
struct Algorithm<AdamOptions> : AdamAlgorithm {
  static constexpr const char* kName = "Adam";
  static void validate(const AdamOptions& o) { AdamAlgorithm::validate(kName, o.lr, o.betas, o.eps, o.weight_decay); }
  static OptimScalars prepare(const AdamOptions& o, ParamState& s) {
    return AdamAlgorithm::prepare(o.lr, o.betas, o.eps, o.weight_decay, std::nullopt, o.amsgrad, o.maximize, s);
  }
};

template <>
struct Algorithm<AdamWOptions> : AdamAlgorithm {
  static constexpr const char* kName = "AdamW";
  static void validate(const AdamWOptions& o) { AdamAlgorithm::validate(kName, o.lr, o.betas, o.eps, o.weight_decay); }
  static OptimScalars prepare(const AdamWOptions& o, ParamState& s) {
    return AdamAlgorithm::prepare(o.lr, o.betas, o.eps, 0, 1 - o.lr * o.weight_decay, o.amsgrad, o.maximize, s);
  }
};

template <>
struct Algorithm<RMSpropOptions> {
  static constexpr const char* kName = "RMSprop";
  static constexpr OptimKind kKind = OptimKind::kRMSprop;
  static constexpr std::array<const char*, 3> kBuffers = {"square_avg", "momentum_buffer", "grad_avg"};
  static constexpr bool kHasStep = true;
  static constexpr DType kStepDType = kInt64;  // PyTorch keeps RMSprop's step as a Python int

  template <typename O, typename F>
  static void fields(O& o, F&& f) {
    f("lr", o.lr), f("alpha", o.alpha), f("eps", o.eps), f("weight_decay", o.weight_decay);
    f("momentum", o.momentum), f("centered", o.centered), f("maximize", o.maximize);
  }
  static void validate(const RMSpropOptions& o);
  static bool uses_buffer(const RMSpropOptions& o, int k) {
    return k == 0 || (k == 1 && o.momentum > 0) || (k == 2 && o.centered);
  }
  static OptimScalars prepare(const RMSpropOptions& o, ParamState& s);
};

}  // namespace nabla::optim
