// Random kernels on CUDA, reproducible per seed (src/cuda/generator.hpp); they need not equal the
// CPU's numbers (the CPU reproduces PyTorch's mt19937 streams; the contract's Generator& is that
// CPU generator and is not used here).
//
// Every launch reserves one Philox4x32-10 block per subsequence (philox_reserve(4)) and element
// group g, of kPer consecutive elements in row-major order, takes its four 32-bit values from
// (seed, subsequence g, block offset / 4). The grid is fixed by the element count alone, so a value
// depends only on the seed, the draws before it and the element's logical index: never on the
// launch configuration, the device's occupancy, or the output's strides.
#include <cub/device/device_radix_sort.cuh>

#include <type_traits>

#include "core/kernels/random.hpp"
#include "cuda/generator.hpp"
#include "cuda/loops.cuh"

namespace nabla::cuda {
namespace {

// ---- Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"; curand's constants)

__device__ __forceinline__ uint4 philox_round(uint4 c, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  const uint32_t hi0 = __umulhi(kM0, c.x), lo0 = kM0 * c.x;
  const uint32_t hi1 = __umulhi(kM1, c.z), lo1 = kM1 * c.z;
  return make_uint4(hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0);
}

__device__ uint4 philox(PhiloxState state, uint64_t subsequence) {
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  const uint64_t block = state.offset / 4;
  uint4 c = make_uint4(uint32_t(block), uint32_t(block >> 32), uint32_t(subsequence), uint32_t(subsequence >> 32));
  uint32_t k0 = uint32_t(state.seed), k1 = uint32_t(state.seed >> 32);
#pragma unroll
  for (int r = 0; r < 9; ++r) {
    c = philox_round(c, k0, k1);
    k0 += kW0;
    k1 += kW1;
  }
  return philox_round(c, k0, k1);
}

// [0, 1) from the top 24 bits of one value / the top 53 bits of two.
__device__ __forceinline__ float unit_float(uint32_t v) { return float(v >> 8) * 0x1p-24f; }
__device__ __forceinline__ uint64_t join64(uint32_t hi, uint32_t lo) { return (uint64_t(hi) << 32) | lo; }
__device__ __forceinline__ double unit_double(uint32_t hi, uint32_t lo) {
  return double(join64(hi, lo) >> 11) * 0x1p-53;
}

// ---- Launching: one thread per element group ---------------------------------------------------

// Element offsets of linear (row-major) indices, with the common single-dim case skipping the
// divisions.
template <int N>
struct Offsets {
  OffsetCalculator<N> calc;
  __device__ void get(int64_t i, int64_t (&off)[N]) const {
    if (calc.ndim == 1) {
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] = i * calc.strides[0][k];
      return;
    }
    calc.get(i, off);
  }
};

Offsets<1> offsets_of(const TensorImpl& out, const char* op) {
  return {make_offset_calculator<1>(out.sizes(), {out.strides()}, op)};
}

// Op: kPer elements per group; op(g, r) writes group g from its Philox output r.
template <typename Op>
__global__ void __launch_bounds__(kThreads) philox_kernel(int64_t groups, PhiloxState state, Op op) {
  const int64_t g = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (g < groups) op(g, philox(state, uint64_t(g)));
}

template <typename Op>
void launch_philox(int64_t n, const Op& op) {
  if (n == 0) return;
  const int64_t groups = ceil_div(n, Op::kPer);
  const PhiloxState state = philox_reserve(4);
  philox_kernel<<<unsigned(ceil_div(groups, kThreads)), kThreads, 0, stream()>>>(groups, state, op);
  NB_CUDA_LAUNCH_CHECK();
}

template <typename Fn>
void visit_floating(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case kFloat32: return fn(TypeTag<float>{});
    case kFloat64: return fn(TypeTag<double>{});
    case kFloat16: return fn(TypeTag<Half>{});
    case kBFloat16: return fn(TypeTag<BFloat16>{});
    default: fail<TypeError>(op, ": expected a floating tensor, got ", dtype_str(t));
  }
}

// The integer-valued fills write any dtype through one kernel: the store converts as the CPU's
// from_int64 does, switching on the dtype per element (uniform across the launch, so free).
template <typename T>
__device__ __forceinline__ void put(void* base, int64_t off, int64_t v) {
  if constexpr (std::is_same_v<T, bool>) static_cast<bool*>(base)[off] = v != 0;
  else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) static_cast<T*>(base)[off] = T(float(v));
  else static_cast<T*>(base)[off] = static_cast<T>(v);
}

__device__ void store_int64(DType t, void* base, int64_t off, int64_t v) {
  switch (t) {
    case kBool: return put<bool>(base, off, v);
    case kUInt8: return put<uint8_t>(base, off, v);
    case kInt8: return put<int8_t>(base, off, v);
    case kInt16: return put<int16_t>(base, off, v);
    case kInt32: return put<int32_t>(base, off, v);
    case kInt64: return put<int64_t>(base, off, v);
    case kUInt16: return put<uint16_t>(base, off, v);
    case kUInt32: return put<uint32_t>(base, off, v);
    case kUInt64: return put<uint64_t>(base, off, v);
    case kFloat16: return put<Half>(base, off, v);
    case kBFloat16: return put<BFloat16>(base, off, v);
    case kFloat32: return put<float>(base, off, v);
    case kFloat64: return put<double>(base, off, v);
  }
}

__device__ double load_double(DType t, const void* base, int64_t off) {
  switch (t) {
    case kFloat32: return static_cast<const float*>(base)[off];
    case kFloat64: return static_cast<const double*>(base)[off];
    case kFloat16: return float(static_cast<const Half*>(base)[off]);
    case kBFloat16: return float(static_cast<const BFloat16*>(base)[off]);
    default: return 0;  // the ops layer admits floating probabilities only
  }
}

// ---- Uniform and normal -------------------------------------------------------------------------

template <typename T> using acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// from + u * range computed in float (double for double), rounded to T once; a value that rounds up
// to `to` becomes `from`, as PyTorch's CUDA kernel does, so the result stays in [from, to).
template <typename T>
struct UniformOp {
  static constexpr bool kDouble = std::is_same_v<T, double>;
  static constexpr int kPer = kDouble ? 2 : 4;
  using A = acc_t<T>;
  T* out;
  Offsets<1> offsets;
  int64_t n;
  A from, range;
  T from_t, to_t;
  __device__ void operator()(int64_t g, uint4 r) const {
    const uint32_t v[4] = {r.x, r.y, r.z, r.w};
#pragma unroll
    for (int j = 0; j < kPer; ++j) {
      const int64_t i = g * kPer + j;
      if (i >= n) return;
      A u;
      if constexpr (kDouble) u = unit_double(v[2 * j], v[2 * j + 1]);
      else u = unit_float(v[j]);
      T x = T(fma(u, range, from));
      if (A(x) == A(to_t)) x = from_t;
      int64_t off[1];
      offsets.get(i, off);
      out[off[0]] = x;
    }
  }
};

// Box-Muller: each pair of uniforms gives the pair (r cos t, r sin t) for two consecutive elements.
template <typename T>
struct NormalOp {
  static constexpr bool kDouble = std::is_same_v<T, double>;
  static constexpr int kPer = kDouble ? 2 : 4;
  using A = acc_t<T>;
  T* out;
  Offsets<1> offsets;
  int64_t n;
  A mean, std;
  __device__ void operator()(int64_t g, uint4 r) const {
    A z[kPer];
    if constexpr (kDouble) {
      box_muller(unit_double(r.x, r.y), unit_double(r.z, r.w), z[0], z[1]);
    } else {
      box_muller(unit_float(r.x), unit_float(r.y), z[0], z[1]);
      box_muller(unit_float(r.z), unit_float(r.w), z[2], z[3]);
    }
#pragma unroll
    for (int j = 0; j < kPer; ++j) {
      const int64_t i = g * kPer + j;
      if (i >= n) return;
      int64_t off[1];
      offsets.get(i, off);
      out[off[0]] = T(fma(z[j], std, mean));
    }
  }
  // 1 - u1 lies in (0, 1], so the log is finite.
  __device__ static void box_muller(A u1, A u2, A& z0, A& z1) {
    const A radius = sqrt(A(-2) * log(A(1) - u1));
    A s, c;
    sincospi(A(2) * u2, &s, &c);
    z0 = radius * c;
    z1 = radius * s;
  }
};

template <typename T>
void uniform_typed(TensorImpl& self, double from, double to) {
  using A = acc_t<T>;
  // As on the CPU: the bounds are cast to T and `to - from` is computed in T.
  const T from_t = T(A(from)), to_t = T(A(to));
  const A lo = A(from_t), range = A(T(A(to_t) - A(from_t)));
  launch_philox(self.numel(), UniformOp<T>{self.data_as<T>(), offsets_of(self, "uniform_"), self.numel(), lo, range,
                                           from_t, to_t});
}

template <typename T>
void normal_typed(TensorImpl& self, double mean, double std) {
  using A = acc_t<T>;
  launch_philox(self.numel(),
                NormalOp<T>{self.data_as<T>(), offsets_of(self, "normal_"), self.numel(), A(mean), A(std)});
}

void uniform(TensorImpl& self, double from, double to, Generator&) {
  DeviceGuard guard(self.device());
  visit_floating(self.dtype(), "uniform_",
                 [&](auto tag) { uniform_typed<typename decltype(tag)::type>(self, from, to); });
}

void normal(TensorImpl& self, double mean, double std, Generator&) {
  DeviceGuard guard(self.device());
  visit_floating(self.dtype(), "normal_",
                 [&](auto tag) { normal_typed<typename decltype(tag)::type>(self, mean, std); });
}

// ---- Integer-valued fills: one 64-bit draw per element --------------------------------------------

// base + draw % range, or the draw itself for range == 0 (the full 64-bit range).
struct RandomFromToOp {
  static constexpr int kPer = 2;
  void* out;
  DType dtype;
  Offsets<1> offsets;
  int64_t n;
  uint64_t range;
  int64_t base;
  __device__ void operator()(int64_t g, uint4 r) const {
    const uint64_t draws[2] = {join64(r.x, r.y), join64(r.z, r.w)};
#pragma unroll
    for (int j = 0; j < kPer; ++j) {
      const int64_t i = g * kPer + j;
      if (i >= n) return;
      const int64_t v = range == 0 ? int64_t(draws[j]) : int64_t(draws[j] % range + uint64_t(base));
      int64_t off[1];
      offsets.get(i, off);
      store_int64(dtype, out, off[0], v);
    }
  }
};

// uniform < p with a 53-bit double uniform; p is a scalar (p_data null) or read from a tensor.
struct BernoulliOp {
  static constexpr int kPer = 2;
  void* out;
  DType dtype;
  Offsets<2> offsets;  // out, p
  int64_t n;
  double p;
  const void* p_data;
  DType p_dtype;
  __device__ void operator()(int64_t g, uint4 r) const {
    const double u[2] = {unit_double(r.x, r.y), unit_double(r.z, r.w)};
#pragma unroll
    for (int j = 0; j < kPer; ++j) {
      const int64_t i = g * kPer + j;
      if (i >= n) return;
      int64_t off[2];
      offsets.get(i, off);
      const double prob = p_data ? load_double(p_dtype, p_data, off[1]) : p;
      store_int64(dtype, out, off[0], u[j] < prob);
    }
  }
};

void random_from_to(TensorImpl& self, uint64_t range, int64_t base, Generator&) {
  DeviceGuard guard(self.device());
  launch_philox(self.numel(),
                RandomFromToOp{self.data(), self.dtype(), offsets_of(self, "random_"), self.numel(), range, base});
}

void bernoulli(TensorImpl& self, double p, const TensorImpl* p_tensor) {
  DeviceGuard guard(self.device());
  const DimVector p_strides =
      p_tensor ? broadcast_strides_to(*p_tensor, self.sizes()) : DimVector(self.sizes().size(), 0);
  const Offsets<2> offsets{make_offset_calculator<2>(self.sizes(), {self.strides(), p_strides}, "bernoulli_")};
  launch_philox(self.numel(),
                BernoulliOp{self.data(), self.dtype(), offsets, self.numel(), p, p_tensor ? p_tensor->data() : nullptr,
                            p_tensor ? p_tensor->dtype() : kFloat64});
}

void bernoulli_scalar(TensorImpl& self, double p, Generator&) { bernoulli(self, p, nullptr); }

void bernoulli_tensor(TensorImpl& self, const TensorImpl& p, Generator&) {
  NB_CHECK(is_floating(p.dtype()), TypeError, "bernoulli: expected a floating probability tensor, got ",
           dtype_str(p.dtype()));
  bernoulli(self, 0, &p);
}

// ---- randperm: sort random 64-bit keys, carrying the indices ---------------------------------------

// Key collisions (probability about n^2 / 2^65) keep index order: the sort is stable, so the result
// is still a permutation.
struct PermKeysOp {
  static constexpr int kPer = 2;
  uint64_t* keys;
  int64_t* indices;
  int64_t n;
  __device__ void operator()(int64_t g, uint4 r) const {
    const uint64_t draws[2] = {join64(r.x, r.y), join64(r.z, r.w)};
#pragma unroll
    for (int j = 0; j < kPer; ++j) {
      const int64_t i = g * kPer + j;
      if (i >= n) return;
      keys[i] = draws[j];
      indices[i] = i;
    }
  }
};

__global__ void __launch_bounds__(kThreads)
    store_indices_kernel(int64_t n, const int64_t* indices, DType dtype, void* out, int64_t stride) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i < n) store_int64(dtype, out, i * stride, indices[i]);
}

void randperm(TensorImpl& out, Generator&) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(out.device());
  const Device device(kCUDA, active_device());
  // keys in, keys out, then indices in, indices out: one buffer, freed stream-ordered on return.
  Storage pairs = allocate_storage(size_t(n) * 4 * sizeof(uint64_t), device);
  auto* keys = static_cast<uint64_t*>(pairs->data());
  auto* indices = reinterpret_cast<int64_t*>(keys + 2 * n);
  launch_philox(n, PermKeysOp{keys, indices, n});
  size_t temp_bytes = 0;
  NB_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys, keys + n, indices, indices + n, n, 0, 64,
                                                stream()));
  Storage temp = allocate_storage(std::max<size_t>(temp_bytes, 1), device);
  NB_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp->data(), temp_bytes, keys, keys + n, indices, indices + n, n, 0,
                                                64, stream()));
  const int64_t stride = out.dim() == 1 ? out.strides()[0] : 1;
  store_indices_kernel<<<unsigned(ceil_div(n, kThreads)), kThreads, 0, stream()>>>(n, indices + n, out.dtype(),
                                                                                      out.data(), stride);
  NB_CUDA_LAUNCH_CHECK();
}

}  // namespace
}  // namespace nabla::cuda

namespace nabla {
NB_REGISTER_KERNEL(uniform_kernel, kCUDA, cuda::uniform);
NB_REGISTER_KERNEL(normal_kernel, kCUDA, cuda::normal);
NB_REGISTER_KERNEL(random_from_to_kernel, kCUDA, cuda::random_from_to);
NB_REGISTER_KERNEL(randperm_kernel, kCUDA, cuda::randperm);
NB_REGISTER_KERNEL(bernoulli_scalar_kernel, kCUDA, cuda::bernoulli_scalar);
NB_REGISTER_KERNEL(bernoulli_tensor_kernel, kCUDA, cuda::bernoulli_tensor);
}  // namespace nabla
