// Validation and per-step scalars of each optimizer (see algorithms.hpp).
#include "optim/algorithms.hpp"

#include <charconv>
#include <cstdlib>
#include <string>

#include "core/check.hpp"
#include "nabla/creation.hpp"

namespace nabla::optim {

namespace {

// Python's repr() of a float, so messages read as PyTorch's: 0.0001, 1e-05, -0.1, 100.0, 1e+16.
std::string py_float(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);  // shortest digits
  std::string sci(buf, end);
  const size_t e = sci.find('e');
  const int exponent = std::atoi(sci.c_str() + e + 1);
  std::string out, digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] == '-') out.push_back('-');
    else if (sci[i] != '.') digits.push_back(sci[i]);
  }
  const int point = exponent + 1;  // value = 0.<digits> * 10^point
  if (point <= -4 || point > 16) {
    out.append(digits, 0, 1);
    if (digits.size() > 1) out.append(".").append(digits, 1);
    const int shown = point - 1;
    out.append(shown < 0 ? "e-" : "e+");
    if (std::abs(shown) < 10) out.append("0");
    return out.append(std::to_string(std::abs(shown)));
  }
  if (point <= 0) return out.append("0.").append(size_t(-point), '0').append(digits);
  if (size_t(point) >= digits.size()) return out.append(digits).append(size_t(point) - digits.size(), '0').append(".0");
  return out.append(digits, 0, size_t(point)).append(".").append(digits, size_t(point));
}

void check_lr(const char* name, double lr) {
  NB_CHECK(!std::isnan(lr), ValueError, name,
           ": parameter group didn't specify a value of required optimization parameter lr");
  check_option(0.0 <= lr, name, "learning rate", lr);
}

uint32_t common_flags(double l2_weight_decay, bool maximize) {
  return (maximize ? kOptimMaximize : 0u) | (l2_weight_decay != 0 ? kOptimWeightDecay : 0u);
}

}  // namespace

void check_option(bool ok, const char* optimizer, const char* what, double value) {
  NB_CHECK(ok, ValueError, optimizer, ": Invalid ", what, ": ", py_float(value));
}

bool ensure_buffer(ParamState& s, int k, bool zeroed) {
  if (s.buffers[k].defined()) return false;
  const Tensor& p = s.param;
  s.buffers[k] = zeroed ? zeros(p.sizes(), p.options()) : empty(p.sizes(), p.options());
  return true;
}

void Algorithm<SGDOptions>::validate(const SGDOptions& o) {
  check_lr(kName, o.lr);
  check_option(o.momentum >= 0.0, kName, "momentum value", o.momentum);
  check_option(o.weight_decay >= 0.0, kName, "weight_decay value", o.weight_decay);
  NB_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), ValueError, kName,
           ": Nesterov momentum requires a momentum and zero dampening (got momentum=", py_float(o.momentum),
           ", dampening=", py_float(o.dampening), ")");
}

OptimScalars Algorithm<SGDOptions>::prepare(const SGDOptions& o, ParamState& s) {
  OptimScalars c;
  c.flags = common_flags(o.weight_decay, o.maximize);
  c.weight_decay = o.weight_decay;
  c.neg_lr = -o.lr;
  if (o.momentum != 0) {
    c.flags |= kOptimMomentum | (o.nesterov ? kOptimNesterov : 0u);
    // The buffer starts as a copy of the first (decayed) gradient: the kernel writes it whole.
    if (ensure_buffer(s, 0, /*zeroed=*/false)) c.flags |= kOptimFirstStep;
    c.momentum = o.momentum;
    c.buf_grad_scale = 1 - o.dampening;
  }
  return c;
}

void AdamAlgorithm::validate(const char* name, double lr, std::pair<double, double> betas, double eps,
                             double weight_decay) {
  check_lr(name, lr);
  check_option(0.0 <= eps, name, "epsilon value", eps);
  check_option(0.0 <= betas.first && betas.first < 1.0, name, "beta parameter at index 0", betas.first);
  check_option(0.0 <= betas.second && betas.second < 1.0, name, "beta parameter at index 1", betas.second);
  check_option(0.0 <= weight_decay, name, "weight_decay value", weight_decay);
}

OptimScalars AdamAlgorithm::prepare(double lr, std::pair<double, double> betas, double eps, double l2_weight_decay,
                                    std::optional<double> decoupled_decay, bool amsgrad, bool maximize,
                                    ParamState& s) {
  if (!s.buffers[0].defined()) s.step = 0;
  for (int k = 0; k < (amsgrad ? 3 : 2); ++k) ensure_buffer(s, k, /*zeroed=*/true);
  // PyTorch counts in a float32 tensor (step_t += 1) and reads it back with item().
  s.step = double(float(s.step + 1));
  const auto [beta1, beta2] = betas;
  const double bias_correction1 = 1 - std::pow(beta1, s.step);
  const double bias_correction2 = 1 - std::pow(beta2, s.step);
  const double step_size = lr / bias_correction1;

  OptimScalars c;
  c.flags = common_flags(l2_weight_decay, maximize) | (amsgrad ? kOptimAmsgrad : 0u);
  if (decoupled_decay) {
    c.flags |= kOptimDecoupled;
    c.decay = *decoupled_decay;
  }
  c.weight_decay = l2_weight_decay;
  c.beta1 = beta1;
  c.one_minus_beta1 = 1 - beta1;
  c.beta2 = beta2;
  c.one_minus_beta2 = 1 - beta2;
  c.bias_correction2_sqrt = std::sqrt(bias_correction2);
  c.eps = eps;
  c.neg_lr = -step_size;
  return c;
}

void Algorithm<RMSpropOptions>::validate(const RMSpropOptions& o) {
  check_lr(kName, o.lr);
  check_option(0.0 <= o.eps, kName, "epsilon value", o.eps);
  check_option(0.0 <= o.momentum, kName, "momentum value", o.momentum);
  check_option(0.0 <= o.weight_decay, kName, "weight_decay value", o.weight_decay);
  check_option(0.0 <= o.alpha, kName, "alpha value", o.alpha);
}

OptimScalars Algorithm<RMSpropOptions>::prepare(const RMSpropOptions& o, ParamState& s) {
  if (!s.buffers[0].defined()) s.step = 0;
  for (int k = 0; k < 3; ++k) {
    if (uses_buffer(o, k)) ensure_buffer(s, k, /*zeroed=*/true);
  }
  s.step += 1;
  OptimScalars c;
  c.flags = common_flags(o.weight_decay, o.maximize) | (o.momentum > 0 ? kOptimMomentum : 0u) |
            (o.centered ? kOptimCentered : 0u);
  c.weight_decay = o.weight_decay;
  c.beta2 = o.alpha;
  c.one_minus_beta2 = 1 - o.alpha;
  c.eps = o.eps;
  c.momentum = o.momentum;
  c.neg_lr = -o.lr;
  return c;
}

}  // namespace nabla::optim
