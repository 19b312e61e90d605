// The fused optimizer step on the CPU: one pass over all parameter tensors, split by elements
// across the threads (each element's update is independent, so the thread count never changes a
// result). Each update is PyTorch 1.13's single-tensor algorithm (torch/optim/{sgd,adam,adamw,
// rmsprop}.py) written per element, op by op; see src/core/kernels/optim.hpp for the rounding.
#include <cmath>
#include <type_traits>

#include "core/kernels/optim.hpp"
#include "cpu/parallel.hpp"
#include "nabla/core/half.hpp"

namespace nabla {

namespace cpu {
namespace {

// Arithmetic as PyTorch's kernels round it: float and double ops are single IEEE operations and
// add-with-alpha / addcmul are FMAs (what GCC makes of ATen's AVX2 code); 16-bit floats round to
// T after every op, as c10::Half arithmetic does.
template <typename T>
struct Arith {
  using C = opmath_t<T>;
  static constexpr bool kNative = std::is_same_v<T, C>;
  static C round(C x) {
    if constexpr (kNative) return x;
    else return C(T(x));
  }
  static C scalar(double s) { return round(C(s)); }
  static C mul(C a, C b) { return round(a * b); }
  static C div(C a, C b) { return round(a / b); }
  static C add(C a, C b) { return round(a + b); }
  static C sqrt(C a) { return round(std::sqrt(a)); }
  static C fma(C a, C b, C c) {
    if constexpr (kNative) return std::fma(a, b, c);
    else return round(round(a * b) + c);
  }
  static C maximum(C a, C b) { return (a > b || std::isnan(a)) ? a : b; }  // NaN propagates
};

// Calls fn(std::integral_constant<uint32_t, flags & Mask>), so that each combination of the flags
// in Mask gets its own branch-free (vectorisable) loop.
template <uint32_t Mask, uint32_t Fixed = 0, typename Fn>
[[gnu::always_inline]] inline void with_static_flags(uint32_t flags, const Fn& fn) {
  if constexpr (Mask == 0) {
    fn(std::integral_constant<uint32_t, Fixed>{});
  } else {
    constexpr uint32_t bit = Mask & (~Mask + 1);
    if (flags & bit) with_static_flags<Mask & ~bit, Fixed | bit>(flags, fn);
    else with_static_flags<Mask & ~bit, Fixed>(flags, fn);
  }
}

// The gradient after maximize's negation (a multiplication by -1 is exactly the negation).
template <typename C>
C grad_sign(uint32_t flags) {
  return (flags & kOptimMaximize) ? C(-1) : C(1);
}

// Each update is a loop specialised on its flags (F), called through with_static_flags.
template <typename T, uint32_t F>
void sgd(const OptimTensors& t, int64_t begin, int64_t end) {
  using A = Arith<T>;
  using C = typename A::C;
  const OptimScalars& s = t.scalars;
  T* param = static_cast<T*>(t.param);
  const T* grad = static_cast<const T*>(t.grad);
  T* buf = static_cast<T*>(t.state[0]);
  const C sign = grad_sign<C>(s.flags), wd = A::scalar(s.weight_decay), momentum = A::scalar(s.momentum);
  const C buf_grad_scale = A::scalar(s.buf_grad_scale), neg_lr = A::scalar(s.neg_lr);
  for (int64_t i = begin; i < end; ++i) {
    const C p = C(param[i]);
    C d = C(grad[i]) * sign;
    if constexpr (F & kOptimWeightDecay) d = A::fma(p, wd, d);
    if constexpr (F & kOptimMomentum) {
      C b;
      if constexpr (F & kOptimFirstStep) b = d;
      else b = A::fma(d, buf_grad_scale, A::mul(C(buf[i]), momentum));
      buf[i] = T(b);
      if constexpr (F & kOptimNesterov) d = A::fma(b, momentum, d);
      else d = b;
    }
    param[i] = T(A::fma(d, neg_lr, p));
  }
}

template <typename T, uint32_t F>
void adam(const OptimTensors& t, int64_t begin, int64_t end) {
  using A = Arith<T>;
  using C = typename A::C;
  const OptimScalars& s = t.scalars;
  T* param = static_cast<T*>(t.param);
  const T* grad = static_cast<const T*>(t.grad);
  T* exp_avg = static_cast<T*>(t.state[0]);
  T* exp_avg_sq = static_cast<T*>(t.state[1]);
  T* max_exp_avg_sq = static_cast<T*>(t.state[2]);
  const C sign = grad_sign<C>(s.flags), wd = A::scalar(s.weight_decay), decay = A::scalar(s.decay);
  const C beta1 = A::scalar(s.beta1), one_minus_beta1 = A::scalar(s.one_minus_beta1);
  const C beta2 = A::scalar(s.beta2), one_minus_beta2 = A::scalar(s.one_minus_beta2);
  const C bias_correction2_sqrt = A::scalar(s.bias_correction2_sqrt), eps = A::scalar(s.eps);
  const C neg_step_size = A::scalar(s.neg_lr);
  for (int64_t i = begin; i < end; ++i) {
    C p = C(param[i]);
    if constexpr (F & kOptimDecoupled) p = A::mul(p, decay);
    C g = C(grad[i]) * sign;
    if constexpr (F & kOptimWeightDecay) g = A::fma(p, wd, g);
    const C m = A::fma(g, one_minus_beta1, A::mul(C(exp_avg[i]), beta1));
    C v = A::fma(A::mul(one_minus_beta2, g), g, A::mul(C(exp_avg_sq[i]), beta2));
    exp_avg[i] = T(m);
    exp_avg_sq[i] = T(v);
    if constexpr (F & kOptimAmsgrad) {
      v = A::maximum(C(max_exp_avg_sq[i]), v);
      max_exp_avg_sq[i] = T(v);
    }
    const C denom = A::add(A::div(A::sqrt(v), bias_correction2_sqrt), eps);
    param[i] = T(A::add(p, A::div(A::mul(neg_step_size, m), denom)));
  }
}

template <typename T, uint32_t F>
void rmsprop(const OptimTensors& t, int64_t begin, int64_t end) {
  using A = Arith<T>;
  using C = typename A::C;
  const OptimScalars& s = t.scalars;
  T* param = static_cast<T*>(t.param);
  const T* grad = static_cast<const T*>(t.grad);
  T* square_avg = static_cast<T*>(t.state[0]);
  T* buf = static_cast<T*>(t.state[1]);
  T* grad_avg = static_cast<T*>(t.state[2]);
  const C sign = grad_sign<C>(s.flags), wd = A::scalar(s.weight_decay), momentum = A::scalar(s.momentum);
  const C alpha = A::scalar(s.beta2), one_minus_alpha = A::scalar(s.one_minus_beta2);
  const C eps = A::scalar(s.eps), neg_lr = A::scalar(s.neg_lr);
  for (int64_t i = begin; i < end; ++i) {
    const C p = C(param[i]);
    C g = C(grad[i]) * sign;
    if constexpr (F & kOptimWeightDecay) g = A::fma(p, wd, g);
    const C sq = A::fma(A::mul(one_minus_alpha, g), g, A::mul(C(square_avg[i]), alpha));
    square_avg[i] = T(sq);
    C avg;
    if constexpr (F & kOptimCentered) {
      const C ga = A::fma(g, one_minus_alpha, A::mul(C(grad_avg[i]), alpha));
      grad_avg[i] = T(ga);
      avg = A::sqrt(A::fma(-ga, ga, sq));
    } else {
      avg = A::sqrt(sq);
    }
    avg = A::add(avg, eps);
    if constexpr (F & kOptimMomentum) {
      const C b = A::add(A::mul(C(buf[i]), momentum), A::div(g, avg));
      buf[i] = T(b);
      param[i] = T(A::fma(b, neg_lr, p));
    } else {
      param[i] = T(A::add(p, A::div(A::mul(neg_lr, g), avg)));
    }
  }
}

template <typename T>
void update_typed(OptimKind kind, const OptimTensors& t, int64_t begin, int64_t end) {
  const uint32_t flags = t.scalars.flags;
  switch (kind) {
    case OptimKind::kSGD:
      return with_static_flags<kOptimWeightDecay | kOptimMomentum | kOptimNesterov | kOptimFirstStep>(
          flags, [&](auto f) { sgd<T, decltype(f)::value>(t, begin, end); });
    case OptimKind::kAdam:
      return with_static_flags<kOptimWeightDecay | kOptimAmsgrad | kOptimDecoupled>(
          flags, [&](auto f) { adam<T, decltype(f)::value>(t, begin, end); });
    case OptimKind::kRMSprop:
      return with_static_flags<kOptimWeightDecay | kOptimMomentum | kOptimCentered>(
          flags, [&](auto f) { rmsprop<T, decltype(f)::value>(t, begin, end); });
  }
}

void update_range(OptimKind kind, const OptimTensors& t, int64_t begin, int64_t end) {
  switch (t.dtype) {
    case kFloat32: return update_typed<float>(kind, t, begin, end);
    case kFloat64: return update_typed<double>(kind, t, begin, end);
    case kFloat16: return update_typed<Half>(kind, t, begin, end);
    case kBFloat16: return update_typed<BFloat16>(kind, t, begin, end);
    default: return;  // the optim layer admits floating dtypes only
  }
}

void optim_step(OptimKind kind, std::span<const OptimTensors> tensors) {
  int64_t total = 0;
  for (const OptimTensors& t : tensors) total += t.numel;
  // Elements [begin, end) of all tensors laid end to end.
  parallel_for(total, kGrainSize, [&](int64_t begin, int64_t end) {
    int64_t offset = 0;
    for (const OptimTensors& t : tensors) {
      const int64_t lo = begin > offset ? begin : offset;
      const int64_t hi = end < offset + t.numel ? end : offset + t.numel;
      if (lo < hi) update_range(kind, t, lo - offset, hi - offset);
      offset += t.numel;
      if (offset >= end) break;
    }
  });
}

}  // namespace
}  // namespace cpu

NB_REGISTER_KERNEL(optim_step_kernel, kCPU, cpu::optim_step);

}  // namespace nabla
