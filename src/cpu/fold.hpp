#pragma once
// Vectorisable building blocks of the reduce, scan and softmax kernels.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "cpu/math.hpp"
#if NABLA_SLEEF_AVX2
#include <immintrin.h>
#endif

namespace nabla::cpu {

// The larger of a and b, NaN if either is NaN (torch.max's rule).
template <typename T>
inline T nan_max(T a, T b) {
  return (b > a || b != b) ? b : a;
}

// Folds elem(0..n) with kRegs x kWidth independent accumulators (so the loop vectorises, one
// 256-bit register per group), then combines the accumulators pairwise. Each group is copied in
// and out of a local whole, which keeps it in a register instead of memory.
template <typename Acc, typename Elem, typename Combine>
inline Acc fold_lanes(Acc identity, int64_t n, const Elem& elem, const Combine& combine) {
  constexpr int kWidth = sizeof(Acc) >= 32 ? 1 : int(32 / sizeof(Acc)), kRegs = 4;
  if (n < kRegs * kWidth) {  // short rows: combining the lanes would cost more than the rows
    Acc a = identity;
    for (int64_t i = 0; i < n; ++i) a = combine(a, elem(i));
    return a;
  }
  struct Group {
    Acc v[kWidth];
  };
  Group groups[kRegs];
  for (auto& g : groups) std::fill(g.v, g.v + kWidth, identity);
  int64_t i = 0;
  for (; i + kRegs * kWidth <= n; i += kRegs * kWidth) {
    for (int r = 0; r < kRegs; ++r) {
      Group g = groups[r];
      for (int k = 0; k < kWidth; ++k) g.v[k] = combine(g.v[k], elem(i + r * kWidth + k));
      groups[r] = g;
    }
  }
  Acc tail = identity;
  for (; i < n; ++i) tail = combine(tail, elem(i));
  Acc lanes[kRegs * kWidth];
  for (int r = 0; r < kRegs; ++r) std::copy(groups[r].v, groups[r].v + kWidth, lanes + r * kWidth);
  for (int w = kRegs * kWidth / 2; w > 0; w /= 2)
    for (int k = 0; k < w; ++k) lanes[k] = combine(lanes[k], lanes[k + w]);
  return combine(lanes[0], tail);
}

// y[i] = exp(x[i] - shift) over a contiguous run: eight (four) at a time through SLEEF's AVX2
// routine when the build has it, one at a time through math::exp otherwise.
template <typename T>
inline void exp_shifted(const T* x, T shift, T* y, int64_t n) {
  int64_t i = 0;
#if NABLA_SLEEF_AVX2
  if constexpr (std::is_same_v<T, float>) {
    const __m256 s = _mm256_set1_ps(shift);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_expf8_u10avx2(_mm256_sub_ps(_mm256_loadu_ps(x + i), s)));
  } else if constexpr (std::is_same_v<T, double>) {
    const __m256d s = _mm256_set1_pd(shift);
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, Sleef_expd4_u10avx2(_mm256_sub_pd(_mm256_loadu_pd(x + i), s)));
  }
#endif
  for (; i < n; ++i) y[i] = math::exp(x[i] - shift);
}

}  // namespace nabla::cpu
