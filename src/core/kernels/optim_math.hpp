#pragma once
// The per-element updates of the fused optimizer step (optim.hpp), written once for the CPU and CUDA
// kernels. Each is PyTorch 1.13's single-tensor algorithm (torch/optim/{sgd,adam,adamw,rmsprop}.py)
// op by op. What differs between the backends comes in as arguments:
//  - A, the arithmetic policy: A::C (the compute type), scalar, mul, div, add, sqrt, fma, maximum,
//    each rounded as optim.hpp says (the CPU uses plain IEEE operations, CUDA the _rn intrinsics, which
//    nvcc never contracts);
//  - flags: the OptimTensors' flags, as a uint32_t or as a std::integral_constant (the CPU instantiates
//    one loop per flag combination, which the compiler vectorises);
//  - [first, end) step `stride`: the elements this thread updates (the CPU: a range with stride 1; CUDA:
//    a block-stride loop).
#include <cstdint>

#include "core/kernels/optim.hpp"
#include "nabla/core/host_device.hpp"

namespace nabla {

template <typename A, typename T, typename Flags, typename Stride>
NB_HOST_DEVICE inline void sgd_update(const OptimTensors& t, Flags f, int64_t first, int64_t end, Stride stride) {
  using C = typename A::C;
  const OptimScalars& s = t.scalars;
  T* param = static_cast<T*>(t.param);
  const T* grad = static_cast<const T*>(t.grad);
  T* buf = static_cast<T*>(t.state[0]);
  const C sign = (s.flags & kOptimMaximize) ? C(-1) : C(1);  // a multiplication by -1 is exactly the negation
  const C wd = A::scalar(s.weight_decay), momentum = A::scalar(s.momentum);
  const C buf_grad_scale = A::scalar(s.buf_grad_scale), neg_lr = A::scalar(s.neg_lr);
  for (int64_t i = first; i < end; i += stride) {
    const C p = C(param[i]);
    C d = C(grad[i]) * sign;
    if (f & kOptimWeightDecay) d = A::fma(p, wd, d);
    if (f & kOptimMomentum) {
      const C b = (f & kOptimFirstStep) ? d : A::fma(d, buf_grad_scale, A::mul(C(buf[i]), momentum));
      buf[i] = T(b);
      d = (f & kOptimNesterov) ? A::fma(b, momentum, d) : b;
    }
    param[i] = T(A::fma(d, neg_lr, p));
  }
}

template <typename A, typename T, typename Flags, typename Stride>
NB_HOST_DEVICE inline void adam_update(const OptimTensors& t, Flags f, int64_t first, int64_t end, Stride stride) {
  using C = typename A::C;
  const OptimScalars& s = t.scalars;
  T* param = static_cast<T*>(t.param);
  const T* grad = static_cast<const T*>(t.grad);
  T* exp_avg = static_cast<T*>(t.state[0]);
  T* exp_avg_sq = static_cast<T*>(t.state[1]);
  T* max_exp_avg_sq = static_cast<T*>(t.state[2]);
  const C sign = (s.flags & kOptimMaximize) ? C(-1) : C(1);
  const C wd = A::scalar(s.weight_decay), decay = A::scalar(s.decay);
  const C beta1 = A::scalar(s.beta1), one_minus_beta1 = A::scalar(s.one_minus_beta1);
  const C beta2 = A::scalar(s.beta2), one_minus_beta2 = A::scalar(s.one_minus_beta2);
  const C bias_correction2_sqrt = A::scalar(s.bias_correction2_sqrt), eps = A::scalar(s.eps);
  const C neg_step_size = A::scalar(s.neg_lr);
  for (int64_t i = first; i < end; i += stride) {
    C p = C(param[i]);
    if (f & kOptimDecoupled) p = A::mul(p, decay);
    C g = C(grad[i]) * sign;
    if (f & kOptimWeightDecay) g = A::fma(p, wd, g);
    const C m = A::fma(g, one_minus_beta1, A::mul(C(exp_avg[i]), beta1));
    C v = A::fma(A::mul(one_minus_beta2, g), g, A::mul(C(exp_avg_sq[i]), beta2));
    exp_avg[i] = T(m);
    exp_avg_sq[i] = T(v);
    if (f & kOptimAmsgrad) {
      v = A::maximum(C(max_exp_avg_sq[i]), v);
      max_exp_avg_sq[i] = T(v);
    }
    const C denom = A::add(A::div(A::sqrt(v), bias_correction2_sqrt), eps);
    param[i] = T(A::add(p, A::div(A::mul(neg_step_size, m), denom)));
  }
}

template <typename A, typename T, typename Flags, typename Stride>
NB_HOST_DEVICE inline void rmsprop_update(const OptimTensors& t, Flags f, int64_t first, int64_t end,
                                           Stride stride) {
  using C = typename A::C;
  const OptimScalars& s = t.scalars;
  T* param = static_cast<T*>(t.param);
  const T* grad = static_cast<const T*>(t.grad);
  T* square_avg = static_cast<T*>(t.state[0]);
  T* buf = static_cast<T*>(t.state[1]);
  T* grad_avg = static_cast<T*>(t.state[2]);
  const C sign = (s.flags & kOptimMaximize) ? C(-1) : C(1);
  const C wd = A::scalar(s.weight_decay), momentum = A::scalar(s.momentum);
  const C alpha = A::scalar(s.beta2), one_minus_alpha = A::scalar(s.one_minus_beta2);
  const C eps = A::scalar(s.eps), neg_lr = A::scalar(s.neg_lr);
  for (int64_t i = first; i < end; i += stride) {
    const C p = C(param[i]);
    C g = C(grad[i]) * sign;
    if (f & kOptimWeightDecay) g = A::fma(p, wd, g);
    const C sq = A::fma(A::mul(one_minus_alpha, g), g, A::mul(C(square_avg[i]), alpha));
    square_avg[i] = T(sq);
    C avg;
    if (f & kOptimCentered) {
      const C ga = A::fma(g, one_minus_alpha, A::mul(C(grad_avg[i]), alpha));
      grad_avg[i] = T(ga);
      avg = A::sqrt(A::fma(-ga, ga, sq));
    } else {
      avg = A::sqrt(sq);
    }
    avg = A::add(avg, eps);
    if (f & kOptimMomentum) {
      const C b = A::add(A::mul(C(buf[i]), momentum), A::div(g, avg));
      buf[i] = T(b);
      param[i] = T(A::fma(b, neg_lr, p));
    } else {
      param[i] = T(A::add(p, A::div(A::mul(neg_lr, g), avg)));
    }
  }
}

}  // namespace nabla
