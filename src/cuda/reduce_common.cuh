#pragma once
// Pieces shared by the reduce, scan, softmax and cross-entropy kernels on CUDA (Note [Reduction
// kernels]): warp shuffles of any accumulator type, NaN-propagating max, reductions over a group of
// threads, and the host-side layout of "lines" (every 1-D run along one dim) used by scan and softmax.
#include <algorithm>
#include <cmath>
#include <array>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "cuda/loops.cuh"

namespace nabla::cuda {

inline int64_t pow2_at_least(int64_t n) {
  int64_t p = 1;
  while (p < n) p *= 2;
  return p;
}

// __shfl_down_sync (kXor false) or __shfl_xor_sync (true) of any trivially copyable value, 32 bits at
// a time.
template <bool kXor, typename T>
__device__ __forceinline__ T shuffle(T v, int lane_arg) {
  constexpr int kWords = (sizeof(T) + 3) / 4;
  unsigned words[kWords];
  memcpy(words, &v, sizeof(T));
#pragma unroll
  for (int k = 0; k < kWords; ++k) {
    words[k] = kXor ? __shfl_xor_sync(0xffffffffu, words[k], lane_arg)
                    : __shfl_down_sync(0xffffffffu, words[k], lane_arg);
  }
  memcpy(&v, words, sizeof(T));
  return v;
}
template <typename T>
__device__ __forceinline__ T shfl_down(T v, int delta) {
  return shuffle<false>(v, delta);
}
template <typename T>
__device__ __forceinline__ T shfl_xor(T v, int mask) {
  return shuffle<true>(v, mask);
}

// The larger of a and b, NaN if either is NaN (torch.max's rule; cpu/fold.hpp's nan_max).
template <typename T>
__device__ __forceinline__ T nan_max(T a, T b) {
  return (b > a || b != b) ? b : a;
}

// Lines up to this many elements are taken by a warp each; longer ones by a whole block.
constexpr int64_t kWarpLine = 1024;

// max or sum over the G threads of a group, the result in every one of them (the butterfly gives
// every thread the same bits). Every thread of the block must call it.
template <int G, typename V, typename Op>
__device__ V group_allreduce(V v, Op op) {
  if constexpr (G > 1) {
#pragma unroll
    for (int mask = (G < 32 ? G : 32) / 2; mask > 0; mask /= 2) v = op(v, shfl_xor(v, mask));
  }
  if constexpr (G > 32) {
    static_assert(G == kThreads, "a group wider than a warp is the whole block");
    __shared__ V warp_results[kThreads / 32];
    if (threadIdx.x % 32 == 0) warp_results[threadIdx.x / 32] = v;
    __syncthreads();
    v = warp_results[0];
    for (int w = 1; w < kThreads / 32; ++w) v = op(v, warp_results[w]);
    __syncthreads();  // the next call rewrites warp_results
  }
  return v;
}

// A line's max (NaN-propagating) and the sum of exp(x - max) over it, in every thread of its group of
// G: at(i) reads element i in opmath, n is the line's length (0 for a group past the end, whose threads
// must still call this).
template <typename V>
struct MaxAndExpSum {
  V max, sum;
};
template <int G, typename At>
__device__ auto line_max_and_exp_sum(const At& at, int64_t n, int lane) {
  using V = decltype(at(int64_t(0)));
  V max = -std::numeric_limits<V>::infinity();
  for (int64_t i = lane; i < n; i += G) max = nan_max(max, at(i));
  max = group_allreduce<G>(max, [](V a, V b) { return nan_max(a, b); });
  V sum = 0;
  for (int64_t i = lane; i < n; i += G) sum += std::exp(at(i) - max);
  sum = group_allreduce<G>(sum, [](V a, V b) { return a + b; });
  return MaxAndExpSum<V>{max, sum};
}

// Sorts dims by decreasing |stride| of the first stride set (stable), so that the offset
// calculator's innermost dim is the one closest together in memory.
template <int N>
void sort_by_stride(DimVector& sizes, std::array<DimVector, N>& strides) {
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return std::abs(strides[0][a]) > std::abs(strides[0][b]); });
  DimVector s;
  std::array<DimVector, N> st;
  for (size_t i : order) {
    s.push_back(sizes[i]);
    for (int k = 0; k < N; ++k) st[k].push_back(strides[k][i]);
  }
  sizes = std::move(s);
  strides = std::move(st);
}

// The lines along `dim` of in and out (same shape): line l starts at lines.get(l) = {in, out}
// offsets and steps by in_step / out_step.
struct LineLayout {
  OffsetCalculator<2> lines;
  int64_t num_lines = 1, len, in_step, out_step;
  bool lanes;  // another dim is closer together in memory than the line's own: lines are best walked side by side
};

inline LineLayout make_line_layout(const TensorImpl& in, const TensorImpl& out, int64_t dim, const char* op) {
  LineLayout l;
  l.len = in.sizes()[dim];
  l.in_step = in.strides()[dim];
  l.out_step = out.strides()[dim];
  DimVector sizes;
  std::array<DimVector, 2> strides;
  for (int64_t d = 0; d < in.dim(); ++d) {
    if (d == dim) continue;
    sizes.push_back(in.sizes()[d]);
    strides[0].push_back(in.strides()[d]);
    strides[1].push_back(out.strides()[d]);
    l.num_lines *= in.sizes()[d];
  }
  sort_by_stride<2>(sizes, strides);
  l.lines = make_offset_calculator<2>(sizes, strides, op);
  l.lanes = l.lines.ndim > 0 && l.len > 1 && std::abs(l.lines.strides[0][0]) < std::abs(l.in_step);
  return l;
}

// Offsets of element i < the calculator's numel; skips the divisions when there is one dim.
template <int N>
__device__ __forceinline__ void offsets_of(const OffsetCalculator<N>& c, int64_t i, int64_t (&off)[N]) {
  if (c.ndim <= 1) {
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = c.ndim == 0 ? 0 : i * c.strides[0][k];
  } else {
    c.get(i, off);
  }
}

}  // namespace nabla::cuda
