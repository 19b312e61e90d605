// sort, topk and unique on CUDA.
//
// Every element gets an unsigned radix key that orders as the CPU's comparators do: NaN above every
// number (all NaNs equal), -0.0 equal to +0.0, and descending orders by the inverted key. CUB's
// radix sort, which is stable, orders (key, position) pairs. The slices along a dim are sorted all
// at once: first every element by key, then stably by slice number, which leaves each slice's
// elements together and in key order. Ties therefore always keep index order (the CPU's order for
// stable sorts and long slices; its unstable sort of short slices may order ties differently).
// topk is a full sort of which the first k of each slice are kept, so `sorted=false` gives sorted
// results too.
#include <cub/device/device_radix_sort.cuh>

#include <bit>
#include <type_traits>

#include "core/kernels/order.hpp"
#include "cuda/loops.cuh"
#include "cuda/scratch.hpp"

namespace nabla::cuda {
namespace {

// 32-bit keys for elements of up to 4 bytes (the radix sort only looks at their low kKeyBits bits),
// 64-bit keys for 8-byte elements: two radix sort instantiations in all.
template <typename T>
using Key = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;
template <typename T>
constexpr int kKeyBits = int(8 * sizeof(T));
template <typename T>
constexpr Key<T> kKeyMask = kKeyBits<T> == int(8 * sizeof(Key<T>)) ? ~Key<T>(0) : (Key<T>(1) << kKeyBits<T>) - 1;
template <typename T>
constexpr bool kIsFloat = std::is_floating_point_v<opmath_t<T>>;

template <typename T>
__device__ __forceinline__ Key<T> raw_bits(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return v.bits;
  else if constexpr (std::is_same_v<T, float>) return __float_as_uint(v);
  else return static_cast<uint64_t>(__double_as_longlong(v));
}

// The key whose unsigned order is the ascending order of the values.
template <typename T>
__device__ __forceinline__ Key<T> radix_key(T v) {
  using K = Key<T>;
  constexpr K sign = K(1) << (kKeyBits<T> - 1);
  if constexpr (std::is_same_v<T, bool>) {
    return K(v);
  } else if constexpr (std::is_integral_v<T>) {
    const K bits = K(std::make_unsigned_t<T>(v));
    return std::is_signed_v<T> ? bits ^ sign : bits;
  } else {
    using M = opmath_t<T>;
    const M m = static_cast<M>(v);
    if (m != m) return kKeyMask<T>;  // every NaN above +inf (whose key is below the mask)
    if (m == M(0)) return sign;      // -0.0 takes +0.0's key
    const K bits = raw_bits(v);
    return (bits & sign) ? (~bits & kKeyMask<T>) : (bits | sign);
  }
}

template <typename T>
__device__ __forceinline__ bool is_nan_key(Key<T> k) {
  return kIsFloat<T> && k == kKeyMask<T>;
}

__device__ __forceinline__ int64_t thread_index() { return int64_t(blockIdx.x) * kThreads + threadIdx.x; }

template <typename K>
void radix_sort_pairs(const K* keys_in, K* keys_out, const int64_t* values_in, int64_t* values_out, int64_t n,
                      int end_bit, Device device) {
  size_t bytes = 0;
  NB_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys_in, keys_out, values_in, values_out, n, 0,
                                                end_bit, stream()));
  ScratchBuffer<char> temp(int64_t(bytes), device);
  NB_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.data, bytes, keys_in, keys_out, values_in, values_out, n, 0,
                                                end_bit, stream()));
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    make_keys(int64_t n, OffsetCalculator<1> calc, const T* x, bool descending, Key<T>* keys, int64_t* positions) {
  const int64_t i = thread_index();
  if (i >= n) return;
  int64_t off[1];
  calc.get(i, off);
  const Key<T> k = radix_key(x[off[0]]);
  keys[i] = descending ? k ^ kKeyMask<T> : k;
  positions[i] = i;
}

// The keys of elements 0..n-1 (row-major through `calc`) in sorted order, and their positions.
template <typename T>
struct SortedKeys {
  ScratchBuffer<Key<T>> keys;
  ScratchBuffer<int64_t> positions;
};

template <typename T>
SortedKeys<T> sort_keys(const T* x, int64_t n, const OffsetCalculator<1>& calc, bool descending, Device device) {
  ScratchBuffer<Key<T>> keys(n, device), sorted_keys(n, device);
  ScratchBuffer<int64_t> positions(n, device), sorted_positions(n, device);
  make_keys<T><<<ceil_div(n, kThreads), kThreads, 0, stream()>>>(n, calc, x, descending, keys.data,
                                                                   positions.data);
  NB_CUDA_LAUNCH_CHECK();
  radix_sort_pairs(keys.data, sorted_keys.data, positions.data, sorted_positions.data, n, kKeyBits<T>, device);
  return {sorted_keys, sorted_positions};
}

__global__ void __launch_bounds__(kThreads)
    slice_of(int64_t n, int64_t len, const int64_t* positions, uint32_t* slices) {
  const int64_t i = thread_index();
  if (i < n) slices[i] = uint32_t(positions[i] / len);
}

// Stably reorders key-sorted positions of slices of `len` consecutive elements by slice: each slice's
// positions end up together, in key order.
ScratchBuffer<int64_t> group_by_slice(const ScratchBuffer<int64_t>& positions, int64_t n, int64_t len, Device device) {
  const int64_t count = n / len;
  if (count == 1) return positions;
  NB_CHECK(count <= (int64_t(1) << 32), RuntimeError, "sort: the CUDA kernel handles at most 2^32 slices, got ",
           count, "; sort fewer slices at a time");
  ScratchBuffer<uint32_t> slices(n, device), sorted_slices(n, device);
  ScratchBuffer<int64_t> grouped(n, device);
  slice_of<<<ceil_div(n, kThreads), kThreads, 0, stream()>>>(n, len, positions.data, slices.data);
  NB_CUDA_LAUNCH_CHECK();
  radix_sort_pairs(slices.data, sorted_slices.data, positions.data, grouped.data, n,
                   int(std::bit_width(uint64_t(count - 1))), device);
  return grouped;
}

// Sizes and strides of t with `dim` moved innermost: row-major positions in it number the slices
// along dim as the CPU kernel does, and the elements within each slice consecutively.
struct DimLast {
  DimVector sizes, strides;
};
DimLast dim_last(const TensorImpl& t, int64_t dim) {
  DimLast r;
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (d == dim) continue;
    r.sizes.push_back(t.sizes()[size_t(d)]);
    r.strides.push_back(t.strides()[size_t(d)]);
  }
  r.sizes.push_back(t.sizes()[size_t(dim)]);
  r.strides.push_back(t.strides()[size_t(dim)]);
  return r;
}

// Output element q (row-major over the outputs with dim innermost, out_len per slice) takes the q%out_len-th
// element of its slice in sorted order.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    write_sorted(int64_t n_out, int64_t len, int64_t out_len, const int64_t* sorted, OffsetCalculator<1> in_calc,
                 const T* x, OffsetCalculator<2> out_calc, T* values, int64_t* indices) {
  const int64_t q = thread_index();
  if (q >= n_out) return;
  const int64_t slice = q / out_len;
  const int64_t p = sorted[slice * len + q % out_len];
  int64_t in_off[1], out_off[2];
  in_calc.get(p, in_off);
  out_calc.get(q, out_off);
  values[out_off[0]] = x[in_off[0]];
  indices[out_off[1]] = p - slice * len;
}

// The first out_len elements of every slice along dim, in sorted order (sort: out_len = the slice length).
template <typename T>
void sort_slices(const TensorImpl& x, int64_t dim, bool descending, int64_t out_len, TensorImpl& values,
                 TensorImpl& indices, const char* op) {
  const int64_t len = x.sizes()[size_t(dim)], n = x.numel(), count = n / len;
  const Device device = x.device();
  const DimLast in = dim_last(x, dim);
  const auto in_calc = make_offset_calculator<1>(in.sizes, {in.strides}, op);
  const SortedKeys<T> sorted = sort_keys<T>(x.data_as<const T>(), n, in_calc, descending, device);
  const ScratchBuffer<int64_t> grouped = group_by_slice(sorted.positions, n, len, device);
  const DimLast v = dim_last(values, dim), i = dim_last(indices, dim);
  const auto out_calc = make_offset_calculator<2>(v.sizes, {v.strides, i.strides}, op);
  const int64_t n_out = count * out_len;
  write_sorted<T><<<ceil_div(n_out, kThreads), kThreads, 0, stream()>>>(
      n_out, len, out_len, grouped.data, in_calc, x.data_as<const T>(), out_calc, values.data_as<T>(),
      indices.data_as<int64_t>());
  NB_CUDA_LAUNCH_CHECK();
}

void sort(const TensorImpl& x, int64_t dim, bool descending, bool /*stable: always*/, TensorImpl& values,
          TensorImpl& indices) {
  if (x.numel() == 0) return;
  DeviceGuard guard(x.device());
  visit_dtype(x.dtype(), [&](auto tag) {
    sort_slices<typename decltype(tag)::type>(x, dim, descending, x.sizes()[size_t(dim)], values, indices, "sort");
  });
}

void topk(const TensorImpl& x, int64_t dim, int64_t k, bool largest, bool /*sorted: always*/, TensorImpl& values,
          TensorImpl& indices) {
  if (x.numel() == 0 || k == 0) return;
  DeviceGuard guard(x.device());
  visit_dtype(x.dtype(), [&](auto tag) {
    sort_slices<typename decltype(tag)::type>(x, dim, largest, k, values, indices, "topk");
  });
}

// A sorted element starts a run of equal values unless it equals the one before; NaNs never do.
template <typename T>
__global__ void __launch_bounds__(kThreads) mark_runs(int64_t n, const Key<T>* keys, int64_t* head) {
  const int64_t i = thread_index();
  if (i >= n) return;
  head[i] = i == 0 || keys[i] != keys[i - 1] || is_nan_key<T>(keys[i]);
}

// run[i] = 1 + the run of sorted element i. Each run's first element writes the unique value (the
// first occurrence in x, the sort being stable) and where the run starts; every element its inverse.
// As on the CPU, all NaNs' inverse is the first NaN's run.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    scatter_runs(int64_t n, const Key<T>* keys, const int64_t* positions, const int64_t* head, const int64_t* run,
                 const T* x, T* values, int64_t* inverse, int64_t* starts) {
  const int64_t i = thread_index();
  if (i >= n) return;
  const int64_t r = run[i] - 1, p = positions[i];
  if (head[i]) {
    values[r] = x[p];
    if (starts) starts[r] = i;
  }
  if (!inverse) return;
  if (!is_nan_key<T>(keys[i])) {
    inverse[p] = r;
    return;
  }
  int64_t lo = 0, hi = i;  // the first NaN: NaNs sort last
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (is_nan_key<T>(keys[mid])) hi = mid;
    else lo = mid + 1;
  }
  inverse[p] = run[lo] - 1;
}

__global__ void __launch_bounds__(kThreads)
    run_lengths(int64_t runs, int64_t n, const int64_t* starts, int64_t* counts) {
  const int64_t r = thread_index();
  if (r < runs) counts[r] = (r + 1 < runs ? starts[r + 1] : n) - starts[r];
}

template <typename T>
int64_t unique_typed(const TensorImpl& x, TensorImpl& values, TensorImpl* inverse, TensorImpl* counts) {
  const int64_t n = x.numel();
  const Device device = x.device();
  const auto calc = make_offset_calculator<1>(DimVector{n}, {DimVector{1}}, "unique");  // x is contiguous
  const SortedKeys<T> sorted = sort_keys<T>(x.data_as<const T>(), n, calc, false, device);
  ScratchBuffer<int64_t> head(n, device), run(n, device);
  const int64_t blocks = ceil_div(n, kThreads);
  mark_runs<T><<<blocks, kThreads, 0, stream()>>>(n, sorted.keys.data, head.data);
  NB_CUDA_LAUNCH_CHECK();
  inclusive_sum(head.data, run.data, n, device);
  int64_t runs = 0;
  NB_CUDA_CHECK(cudaMemcpyAsync(&runs, run.data + (n - 1), sizeof(runs), cudaMemcpyDeviceToHost, stream()));
  sync_stream();
  ScratchBuffer<int64_t> starts(counts ? runs : 1, device);
  scatter_runs<T><<<blocks, kThreads, 0, stream()>>>(
      n, sorted.keys.data, sorted.positions.data, head.data, run.data, x.data_as<const T>(), values.data_as<T>(),
      inverse ? inverse->data_as<int64_t>() : nullptr, counts ? starts.data : nullptr);
  NB_CUDA_LAUNCH_CHECK();
  if (counts) {
    run_lengths<<<ceil_div(runs, kThreads), kThreads, 0, stream()>>>(runs, n, starts.data,
                                                                       counts->data_as<int64_t>());
    NB_CUDA_LAUNCH_CHECK();
  }
  return runs;
}

int64_t unique(const TensorImpl& x, TensorImpl& values, TensorImpl* inverse, TensorImpl* counts) {
  DeviceGuard guard(x.device());
  return visit_dtype(x.dtype(), [&](auto tag) -> int64_t {
    return unique_typed<typename decltype(tag)::type>(x, values, inverse, counts);
  });
}

}  // namespace

NB_REGISTER_KERNEL(sort_kernel, kCUDA, sort);
NB_REGISTER_KERNEL(topk_kernel, kCUDA, topk);
NB_REGISTER_KERNEL(unique_kernel, kCUDA, unique);

}  // namespace nabla::cuda
