// The fused optimizer step on the CPU: one pass over all parameter tensors, split by elements
// across the threads (each element's update is independent, so the thread count never changes a
// result). Each update is PyTorch 1.13's single-tensor algorithm (torch/optim/{sgd,adam,adamw,
// rmsprop}.py) written per element, op by op, in src/core/kernels/optim_math.hpp (shared with CUDA);
// see src/core/kernels/optim.hpp for the rounding.
#include <cmath>
#include <type_traits>

#include "core/kernels/optim_math.hpp"
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

// The CPU's loops run over a range with unit stride, known at compile time (so they vectorise).
constexpr std::integral_constant<int64_t, 1> kUnitStride{};

template <typename T>
void update_typed(OptimKind kind, const OptimTensors& t, int64_t begin, int64_t end) {
  const uint32_t flags = t.scalars.flags;
  switch (kind) {
    case OptimKind::kSGD:
      return with_static_flags<kOptimWeightDecay | kOptimMomentum | kOptimNesterov | kOptimFirstStep>(
          flags, [&](auto f) { sgd_update<Arith<T>, T>(t, f, begin, end, kUnitStride); });
    case OptimKind::kAdam:
      return with_static_flags<kOptimWeightDecay | kOptimAmsgrad | kOptimDecoupled>(
          flags, [&](auto f) { adam_update<Arith<T>, T>(t, f, begin, end, kUnitStride); });
    case OptimKind::kRMSprop:
      return with_static_flags<kOptimWeightDecay | kOptimMomentum | kOptimCentered>(
          flags, [&](auto f) { rmsprop_update<Arith<T>, T>(t, f, begin, end, kUnitStride); });
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
