#pragma once
// The fused optimizer step: one kernel call updates every parameter of every group.
// The optim layer computes, per parameter tensor, the scalars PyTorch's single-tensor
// implementation passes to its in-place ops (in double, as Python does); the kernel rounds each
// to the parameter's dtype once and applies the ops in PyTorch's order, with an FMA exactly where
// PyTorch's AVX2 kernels have one (add with alpha, addcmul), so float32 and float64 results match
// PyTorch 1.13 bit for bit. 16-bit floats are computed in float and rounded once per stored value.
#include <cstdint>
#include <span>

#include "core/dispatch.hpp"
#include "nabla/core/dtype.hpp"

namespace nabla {

enum class OptimKind : uint8_t { kSGD, kAdam, kRMSprop };

enum OptimFlag : uint32_t {
  kOptimMaximize = 1u << 0,     // negate the gradient first
  kOptimWeightDecay = 1u << 1,  // grad += weight_decay * param (L2, not AdamW's decoupled decay)
  kOptimMomentum = 1u << 2,     // SGD / RMSprop keep a momentum buffer
  kOptimNesterov = 1u << 3,     // SGD
  kOptimFirstStep = 1u << 4,    // SGD: the momentum buffer is created from this step's gradient
  kOptimAmsgrad = 1u << 5,      // Adam
  kOptimDecoupled = 1u << 6,    // AdamW: param *= decay first
  kOptimCentered = 1u << 7,     // RMSprop
};

// Per-tensor scalars. Names follow the ops they feed; unused ones are ignored.
struct OptimScalars {
  double neg_lr = 0;           // SGD, RMSprop: add_(.., alpha=-lr); Adam: addcdiv_ value=-step_size
  double weight_decay = 0;     // grad.add(param, alpha=weight_decay)
  double decay = 1;            // AdamW: param.mul_(1 - lr * weight_decay)
  double momentum = 0;         // buf.mul_(momentum)
  double buf_grad_scale = 1;   // SGD: buf.add_(grad, alpha=1 - dampening)
  double beta1 = 0, one_minus_beta1 = 0;  // Adam's exp_avg
  double beta2 = 0, one_minus_beta2 = 0;  // Adam's exp_avg_sq; RMSprop's alpha (square_avg and grad_avg)
  double bias_correction2_sqrt = 1;
  double eps = 0;
  uint32_t flags = 0;
};

// One parameter tensor and its state, all contiguous with `numel` elements of `dtype`.
// state: SGD {momentum_buffer}; Adam {exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad)};
// RMSprop {square_avg, momentum_buffer (momentum), grad_avg (centered)}. Unused slots are null.
struct OptimTensors {
  void* param = nullptr;
  const void* grad = nullptr;
  void* state[3] = {nullptr, nullptr, nullptr};
  int64_t numel = 0;
  DType dtype = kFloat32;
  OptimScalars scalars;
};

// Updates every listed tensor (all on the slot's device) in place.
using OptimStepFn = void (*)(OptimKind kind, std::span<const OptimTensors> tensors);

inline constinit KernelSlot<OptimStepFn> optim_step_kernel("optim_step");

}  // namespace nabla
