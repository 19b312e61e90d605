// Indexing kernels on CUDA: element offsets from index tensors, gather and put by offsets, nonzero.
#include <cub/device/device_scan.cuh>

#include <optional>
#include <type_traits>

#include "core/kernels/index.hpp"
#include "cuda/loops.cuh"
#include "cuda/scratch.hpp"

namespace nabla::cuda {

void inclusive_sum(const int64_t* in, int64_t* out, int64_t n, Device device) {
  size_t bytes = 0;
  NB_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, bytes, in, out, n, stream()));
  ScratchBuffer<char> temp(int64_t(bytes), device);
  NB_CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp.data, bytes, in, out, n, stream()));
}

namespace {

// Offsets of `out` and of each input broadcast to out's shape, for element i in row-major order.
template <int N>
OffsetCalculator<N> calculator_for(const TensorImpl& out, const std::array<const TensorImpl*, N - 1>& ins,
                                   const char* op) {
  std::array<DimVector, N> strides;
  strides[0] = out.strides();
  for (int k = 0; k + 1 < N; ++k) strides[size_t(k) + 1] = broadcast_strides_to(*ins[size_t(k)], out.sizes());
  return make_offset_calculator<N>(out.sizes(), strides, op);
}

__device__ __forceinline__ int64_t thread_index() { return int64_t(blockIdx.x) * kThreads + threadIdx.x; }

template <typename I>
__global__ void __launch_bounds__(kThreads)
    add_index_offsets(int64_t n, OffsetCalculator<2> calc, int64_t* offsets, const I* index, int64_t size,
                      int64_t stride, int64_t lo, unsigned long long* first_bad) {
  const int64_t i = thread_index();
  if (i >= n) return;
  int64_t off[2];
  calc.get(i, off);
  int64_t v = int64_t(index[off[1]]);
  if (v < lo || v >= size) {
    atomicMin(first_bad, static_cast<unsigned long long>(i));
    return;
  }
  if (v < 0) v += size;
  offsets[off[0]] += v * stride;
}

// The index value at row-major position `linear` of `shape` (index broadcast to it), read from the device.
int64_t index_value_at(const TensorImpl& index, IntArrayRef shape, int64_t linear) {
  const DimVector strides = broadcast_strides_to(index, shape);
  int64_t offset = 0;
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    offset += (linear % shape[d]) * strides[size_t(d)];
    linear /= shape[d];
  }
  int64_t value = 0;
  visit_index_dtype(index.dtype(), [&](auto tag) {
    using I = typename decltype(tag)::type;
    I v{};
    NB_CUDA_CHECK(cudaMemcpyAsync(&v, index.data_as<const I>() + offset, sizeof(I), cudaMemcpyDeviceToHost, stream()));
    sync_stream();
    value = int64_t(v);
  });
  return value;
}

std::optional<int64_t> index_offsets(TensorImpl& offsets, const TensorImpl& index, int64_t size, int64_t stride,
                                     bool wrap_negative) {
  const int64_t n = offsets.numel();
  if (n == 0) return std::nullopt;
  DeviceGuard guard(offsets.device());
  const auto calc = calculator_for<2>(offsets, {&index}, "index");
  // The smallest linear position holding a bad index; all ones while there is none.
  ScratchBuffer<unsigned long long> first_bad(1, offsets.device());
  NB_CUDA_CHECK(cudaMemsetAsync(first_bad.data, 0xff, sizeof(unsigned long long), stream()));
  visit_index_dtype(index.dtype(), [&](auto tag) {
    using I = typename decltype(tag)::type;
    add_index_offsets<I><<<ceil_div(n, kThreads), kThreads, 0, stream()>>>(
        n, calc, offsets.data_as<int64_t>(), index.data_as<const I>(), size, stride, wrap_negative ? -size : 0,
        first_bad.data);
    NB_CUDA_LAUNCH_CHECK();
  });
  unsigned long long bad_at = 0;
  NB_CUDA_CHECK(cudaMemcpyAsync(&bad_at, first_bad.data, sizeof(bad_at), cudaMemcpyDeviceToHost, stream()));
  sync_stream();
  if (bad_at == ~0ull) return std::nullopt;
  return index_value_at(index, offsets.sizes(), int64_t(bad_at));
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    gather_by_offsets(int64_t n, OffsetCalculator<3> calc, T* out, const T* src, const int64_t* offsets) {
  const int64_t i = thread_index();
  if (i >= n) return;
  int64_t off[3];
  calc.get(i, off);
  out[off[0]] = src[off[1] + offsets[off[2]]];
}

void index(TensorImpl& out, const TensorImpl& src, const TensorImpl& offsets) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out.device());
  const auto calc = calculator_for<3>(out, {&src, &offsets}, "index");
  visit_itemsize(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    gather_by_offsets<T><<<ceil_div(n, kThreads), kThreads, 0, stream()>>>(
        n, calc, out.data_as<T>(), src.data_as<const T>(), offsets.data_as<const int64_t>());
    NB_CUDA_LAUNCH_CHECK();
  });
}

// *target += v for 1- and 2-byte types, which have no atomicAdd: a compare-and-swap loop on the aligned
// 32-bit word holding the element (allocations are at least 256-byte aligned, so the word is mapped).
// The sum is computed as on the CPU: T(opmath(old) + opmath(v)), wrapping for integers.
template <typename T>
__device__ void atomic_add_narrow(T* target, T v) {
  static_assert(sizeof(T) == 1 || sizeof(T) == 2);
  using Bits = std::conditional_t<sizeof(T) == 1, uint8_t, uint16_t>;
  using Acc = opmath_t<T>;
  const uintptr_t addr = reinterpret_cast<uintptr_t>(target);
  unsigned int* word = reinterpret_cast<unsigned int*>(addr & ~uintptr_t(3));
  const unsigned int shift = unsigned(addr & 3) * 8;
  const unsigned int mask = ((1u << (8 * sizeof(T))) - 1u) << shift;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    const Bits cur_bits = Bits((assumed & mask) >> shift);
    T cur;
    memcpy(&cur, &cur_bits, sizeof(T));
    const T sum = static_cast<T>(static_cast<Acc>(cur) + static_cast<Acc>(v));
    Bits sum_bits;
    memcpy(&sum_bits, &sum, sizeof(T));
    old = atomicCAS(word, assumed, (assumed & ~mask) | (unsigned(sum_bits) << shift));
  } while (old != assumed);
}

template <typename T>
__device__ __forceinline__ void atomic_add(T* target, T v) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t> ||
                std::is_same_v<T, uint32_t>) {
    atomicAdd(target, v);
  } else if constexpr (sizeof(T) == 8) {  // int64/uint64: two's complement addition wraps alike
    atomicAdd(reinterpret_cast<unsigned long long*>(target), static_cast<unsigned long long>(v));
  } else {
    atomic_add_narrow(target, v);
  }
}

template <typename T, bool kAccumulate>
__global__ void __launch_bounds__(kThreads)
    put_by_offsets(int64_t n, OffsetCalculator<3> calc, T* dst, const int64_t* offsets, const T* values) {
  const int64_t i = thread_index();
  if (i >= n) return;
  int64_t off[3];
  calc.get(i, off);
  T* target = dst + off[0] + offsets[off[1]];
  if constexpr (kAccumulate) atomic_add(target, values[off[2]]);
  else *target = values[off[2]];
}

template <typename T, bool kAccumulate>
void launch_put(TensorImpl& dst, const TensorImpl& offsets, const TensorImpl& values, const OffsetCalculator<3>& calc) {
  const int64_t n = dst.numel();
  put_by_offsets<T, kAccumulate><<<ceil_div(n, kThreads), kThreads, 0, stream()>>>(
      n, calc, dst.data_as<T>(), offsets.data_as<const int64_t>(), values.data_as<const T>());
  NB_CUDA_LAUNCH_CHECK();
}

void index_put(TensorImpl& dst, const TensorImpl& offsets, const TensorImpl& values, bool accumulate) {
  if (dst.numel() == 0) return;
  DeviceGuard guard(dst.device());
  const auto calc = calculator_for<3>(dst, {&offsets, &values}, "index_put");
  // Plain stores only move bits; sums need the dtype.
  if (accumulate) {
    visit_dtype(dst.dtype(), [&](auto tag) {
      launch_put<typename decltype(tag)::type, true>(dst, offsets, values, calc);
    });
  } else {
    visit_itemsize(dst.dtype(), [&](auto tag) {
      launch_put<typename decltype(tag)::type, false>(dst, offsets, values, calc);
    });
  }
}

template <typename T>
__device__ __forceinline__ bool is_nonzero(T v) {
  return static_cast<opmath_t<T>>(v) != opmath_t<T>(0);
}

// Grid-stride: each thread counts its elements, each warp adds its total to *total once.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    count_nonzero_elements(int64_t n, OffsetCalculator<1> calc, const T* x, unsigned long long* total) {
  int64_t count = 0;
  for (int64_t i = thread_index(); i < n; i += int64_t(gridDim.x) * kThreads) {
    int64_t off[1];
    calc.get(i, off);
    count += is_nonzero(x[off[0]]);
  }
  for (int s = 16; s > 0; s /= 2) count += __shfl_down_sync(0xffffffffu, count, s);
  if (threadIdx.x % 32 == 0 && count != 0) atomicAdd(total, static_cast<unsigned long long>(count));
}

int64_t count_nonzero(const TensorImpl& x) {
  const int64_t n = x.numel();
  if (n == 0) return 0;
  DeviceGuard guard(x.device());
  const auto calc = calculator_for<1>(x, {}, "count_nonzero");
  ScratchBuffer<unsigned long long> total(1, x.device());
  NB_CUDA_CHECK(cudaMemsetAsync(total.data, 0, sizeof(unsigned long long), stream()));
  const int64_t blocks = std::min<int64_t>(ceil_div(n, kThreads), int64_t(num_sms()) * 8);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    count_nonzero_elements<T><<<blocks, kThreads, 0, stream()>>>(n, calc, x.data_as<const T>(), total.data);
    NB_CUDA_LAUNCH_CHECK();
  });
  unsigned long long result = 0;
  NB_CUDA_CHECK(cudaMemcpyAsync(&result, total.data, sizeof(result), cudaMemcpyDeviceToHost, stream()));
  sync_stream();
  return int64_t(result);
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    flag_nonzero(int64_t n, OffsetCalculator<1> calc, const T* x, int64_t* flags) {
  const int64_t i = thread_index();
  if (i >= n) return;
  int64_t off[1];
  calc.get(i, off);
  flags[i] = is_nonzero(x[off[0]]);
}

// Coordinates are written for x's own dims (not coalesced ones), so they get a limit of their own.
constexpr int kMaxCoordDims = 25;
struct Coords {
  int ndim;
  int64_t sizes[kMaxCoordDims];
};

// Row `rank[i] - 1` of out receives the coordinates of the i-th element (row-major) when it is nonzero.
__global__ void __launch_bounds__(kThreads)
    write_coordinates(int64_t n, Coords coords, const int64_t* flags, const int64_t* rank, int64_t* out) {
  const int64_t i = thread_index();
  if (i >= n || !flags[i]) return;
  int64_t* row = out + (rank[i] - 1) * coords.ndim;
  int64_t rem = i;
  for (int d = coords.ndim - 1; d >= 0; --d) {
    row[d] = rem % coords.sizes[d];
    rem /= coords.sizes[d];
  }
}

void nonzero(const TensorImpl& x, TensorImpl& out) {
  const int64_t n = x.numel(), nd = x.dim();
  if (n == 0 || nd == 0) return;  // no rows, or rows of no coordinates: nothing to write
  NB_CHECK(nd <= kMaxCoordDims, RuntimeError, "nonzero: the CUDA kernel handles at most ", kMaxCoordDims,
           " dims, got a tensor of shape ", shape_str(x.sizes()), "; reshape it or call nonzero on the CPU");
  DeviceGuard guard(x.device());
  const auto calc = calculator_for<1>(x, {}, "nonzero");
  Coords coords{int(nd), {}};
  for (int64_t d = 0; d < nd; ++d) coords.sizes[d] = x.sizes()[size_t(d)];
  ScratchBuffer<int64_t> flags(n, x.device()), rank(n, x.device());
  const int64_t blocks = ceil_div(n, kThreads);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    flag_nonzero<T><<<blocks, kThreads, 0, stream()>>>(n, calc, x.data_as<const T>(), flags.data);
    NB_CUDA_LAUNCH_CHECK();
  });
  inclusive_sum(flags.data, rank.data, n, x.device());
  write_coordinates<<<blocks, kThreads, 0, stream()>>>(n, coords, flags.data, rank.data, out.data_as<int64_t>());
  NB_CUDA_LAUNCH_CHECK();
}

}  // namespace

NB_REGISTER_KERNEL(index_offsets_kernel, kCUDA, index_offsets);
NB_REGISTER_KERNEL(index_kernel, kCUDA, index);
NB_REGISTER_KERNEL(index_put_kernel, kCUDA, index_put);
NB_REGISTER_KERNEL(count_nonzero_kernel, kCUDA, count_nonzero);
NB_REGISTER_KERNEL(nonzero_kernel, kCUDA, nonzero);

}  // namespace nabla::cuda
