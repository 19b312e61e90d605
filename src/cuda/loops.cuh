#pragma once
// Note [CUDA element-wise loops]
// launch_elementwise<Out, In...>(out, {&in...}, f) writes out[i] = f(in[i]...) for every element i of
// `out`, where the inputs broadcast to out's shape and every operand may have any strides. The
// functor is a __device__ lambda or functor taking the inputs' storage types (nabla::Half and
// nabla::BFloat16 convert to float on the device, as on the host) and returning Out.
//
// Two kernels carry it: when every operand is contiguous with out's shape, each thread handles kVec
// consecutive elements with one vector load per operand (16 bytes for float32: full-width memory
// transactions); otherwise dims are coalesced on the host and each element's offsets are computed
// from its linear index. Indices are 64-bit throughout, so tensors past 2^31 elements work.
#include <array>
#include <cstdint>
#include <utility>

#include "core/check.hpp"
#include "cuda/runtime.hpp"
#include "nabla/core/convert.hpp"
#include "nabla/core/tensor_impl.hpp"

namespace nabla::cuda {

constexpr int kThreads = 256;
constexpr int kVec = 4;
// Dims left after coalescing; more raises (PyTorch's limit is 25, ours is on what is left after
// merging dims that are contiguous in every operand, which a real tensor rarely exceeds).
constexpr int kMaxDims = 12;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Per-operand element offsets of the element with a given linear index (row-major over `sizes`).
template <int N>
struct OffsetCalculator {
  int ndim = 0;
  int64_t sizes[kMaxDims];       // innermost dim first
  int64_t strides[kMaxDims][N];  // in elements, 0 along broadcast dims
  __device__ void get(int64_t linear, int64_t (&offsets)[N]) const {
#pragma unroll
    for (int k = 0; k < N; ++k) offsets[k] = 0;
    for (int d = 0; d < ndim; ++d) {
      const int64_t i = linear % sizes[d];
      linear /= sizes[d];
#pragma unroll
      for (int k = 0; k < N; ++k) offsets[k] += i * strides[d][k];
    }
  }
};

// Strides of `t` viewed with `shape` (t's shape broadcast to it): 0 along broadcast dims.
inline DimVector broadcast_strides_to(const TensorImpl& t, IntArrayRef shape) {
  DimVector strides(shape.size(), 0);
  const int64_t lead = int64_t(shape.size()) - t.dim();
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.sizes()[d] != 1) strides[lead + d] = t.strides()[d];
  }
  return strides;
}

// Builds the calculator for operands already expressed in `shape`: drops size-1 dims and merges each
// dim into the next-outer one wherever every operand is contiguous across the pair.
template <int N>
OffsetCalculator<N> make_offset_calculator(IntArrayRef shape, const std::array<DimVector, N>& strides, const char* op) {
  OffsetCalculator<N> calc;
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] == 1) continue;
    if (calc.ndim > 0) {
      const int last = calc.ndim - 1;
      bool mergeable = true;
      for (int k = 0; k < N; ++k) mergeable &= strides[k][d] == calc.strides[last][k] * calc.sizes[last];
      if (mergeable) {
        calc.sizes[last] *= shape[d];
        continue;
      }
    }
    NB_CHECK(calc.ndim < kMaxDims, RuntimeError, op, ": the CUDA kernels handle at most ", kMaxDims,
             " non-mergeable dims, got a tensor of shape ", shape_str(shape), "; make it contiguous() first");
    calc.sizes[calc.ndim] = shape[d];
    for (int k = 0; k < N; ++k) calc.strides[calc.ndim][k] = strides[k][d];
    ++calc.ndim;
  }
  return calc;
}

template <typename T, int V>
struct alignas(sizeof(T) * V) VecOf {
  T v[V];
};

template <typename Out, typename F, typename... In>
__device__ __forceinline__ void apply_vec(F& f, Out* out, const VecOf<In, kVec>&... in) {
  VecOf<Out, kVec> r;
#pragma unroll
  for (int j = 0; j < kVec; ++j) r.v[j] = f(in.v[j]...);
  *reinterpret_cast<VecOf<Out, kVec>*>(out) = r;
}

template <bool kVectorized, typename Out, typename F, typename... In>
__global__ void __launch_bounds__(kThreads) contiguous_kernel(int64_t n, F f, Out* out, const In*... in) {
  const int64_t base = (int64_t(blockIdx.x) * kThreads + threadIdx.x) * kVec;
  if constexpr (kVectorized) {
    if (base + kVec <= n) {
      apply_vec<Out>(f, out + base, *reinterpret_cast<const VecOf<In, kVec>*>(in + base)...);
      return;
    }
  }
#pragma unroll
  for (int j = 0; j < kVec; ++j) {
    const int64_t i = base + j;
    if (i < n) out[i] = f(in[i]...);
  }
}

template <typename Out, typename F, typename Calc, typename... In, size_t... I>
__device__ __forceinline__ void strided_element(int64_t i, F& f, const Calc& calc, Out* out,
                                                std::index_sequence<I...>, const In*... in) {
  int64_t off[sizeof...(In) + 1];
  calc.get(i, off);
  out[off[0]] = f(in[off[I + 1]]...);
}

template <typename Out, typename F, typename Calc, typename... In>
__global__ void __launch_bounds__(kThreads) strided_kernel(int64_t n, F f, Calc calc, Out* out, const In*... in) {
  const int64_t base = int64_t(blockIdx.x) * kThreads * kVec + threadIdx.x;
#pragma unroll
  for (int j = 0; j < kVec; ++j) {
    const int64_t i = base + int64_t(j) * kThreads;
    if (i < n) strided_element(i, f, calc, out, std::index_sequence_for<In...>{}, in...);
  }
}

inline bool aligned_for_vec(const void* p, size_t itemsize) {
  return reinterpret_cast<uintptr_t>(p) % (itemsize * kVec) == 0;
}

template <typename Out, typename... In, typename F, size_t... I>
void launch_elementwise_impl(TensorImpl& out, const std::array<const TensorImpl*, sizeof...(In)>& ins, F& f,
                             const char* op, std::index_sequence<I...>) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out.device());
  const int64_t blocks = ceil_div(n, int64_t(kThreads) * kVec);
  Out* out_ptr = out.data_as<Out>();
  if (out.is_contiguous() && ((ins[I]->is_contiguous() && ins[I]->sizes() == out.sizes()) && ...)) {
    if (aligned_for_vec(out_ptr, sizeof(Out)) && (aligned_for_vec(ins[I]->data(), sizeof(In)) && ...)) {
      contiguous_kernel<true, Out><<<blocks, kThreads, 0, stream()>>>(n, f, out_ptr, ins[I]->template data_as<In>()...);
    } else {
      contiguous_kernel<false, Out>
          <<<blocks, kThreads, 0, stream()>>>(n, f, out_ptr, ins[I]->template data_as<In>()...);
    }
    NB_CUDA_LAUNCH_CHECK();
    return;
  }
  constexpr int N = int(sizeof...(In)) + 1;
  const std::array<DimVector, N> strides{out.strides(), broadcast_strides_to(*ins[I], out.sizes())...};
  const auto calc = make_offset_calculator<N>(out.sizes(), strides, op);
  strided_kernel<Out><<<blocks, kThreads, 0, stream()>>>(n, f, calc, out_ptr, ins[I]->template data_as<In>()...);
  NB_CUDA_LAUNCH_CHECK();
}

template <typename Out, typename... In, typename F>
void launch_elementwise(TensorImpl& out, std::array<const TensorImpl*, sizeof...(In)> ins, F f,
                        const char* op = "elementwise") {
  launch_elementwise_impl<Out, In...>(out, ins, f, op, std::index_sequence_for<In...>{});
}

}  // namespace nabla::cuda
