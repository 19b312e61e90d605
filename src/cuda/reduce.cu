// The reduce kernel on CUDA (Note [Reduction kernels]); src/cpu/reduce.cpp is the reference for
// every op's semantics (NaN rules, ties, dtypes).
//
// Every op is a policy: identity, lift (one element -> accumulator), combine (earlier, later) and
// finish (accumulator -> output). One kernel runs every policy over any geometry:
//  - the input's dims are split into output dims and reduced dims; each set is sorted by input
//    stride and coalesced into an offset calculator;
//  - inner mode (the reduced elements of an output are nearest in memory): a group of bx threads
//    (one warp or several) folds one output, thread t taking elements t, t + bx, ... (16-byte
//    vector loads when they are one contiguous run), combined by warp shuffles, then across warps
//    in shared memory;
//  - lane mode (an output dim is innermost in memory, e.g. column sums): adjacent threads take
//    adjacent outputs so loads coalesce, and the by threads of a column share its rows;
//  - when the outputs are too few to fill the GPU, the reduced elements are cut into chunks
//    (grid.y): pass 1 writes one partial per (output, chunk) to a temporary buffer and pass 2
//    folds each output's partials. Chunks and groups are fixed by the shapes alone and combined
//    in a fixed order (no atomics), so results are deterministic.
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/check.hpp"
#include "core/kernels/reduce.hpp"
#include "cuda/reduce_common.cuh"
#include "nabla/core/storage.hpp"

namespace nabla::cuda {
namespace {

constexpr int64_t kTargetBlocks = 2048;  // blocks that keep every SM busy; splitting past this does not pay
constexpr int64_t kMinPerThread = 64;    // elements each thread folds in a chunk, at least

// ---------------------------------------------------------------------------------------------
// Policies. In: element type; Acc: accumulator; Out: output element type. The variants of one
// family (sum/prod/mean, max/min, ...) share a policy through a runtime flag, which keeps the
// number of kernel instantiations (and nvcc's time) down; the kernels are memory-bound.

template <typename T>
struct SumPolicy {
  using In = T;
  using Acc = std::conditional_t<std::is_integral_v<T>, uint64_t, opmath_t<T>>;  // uint64 wraps like int64
  using Out = std::conditional_t<std::is_integral_v<T>, int64_t, T>;
  bool prod, mean;
  __device__ Acc identity() const { return Acc(prod ? 1 : 0); }
  __device__ Acc lift(T x, int64_t) const {
    if constexpr (std::is_integral_v<T>) return Acc(int64_t(x));
    else return Acc(x);
  }
  __device__ Acc combine(Acc a, Acc b) const { return prod ? a * b : a + b; }
  __device__ Out finish(Acc a, int64_t n) const {
    if constexpr (!std::is_integral_v<T>) {
      if (mean) return Out(a / Acc(n));
    }
    return Out(a);
  }
};

// max/min; a NaN anywhere makes the result NaN.
template <typename T>
struct ExtremumPolicy {
  using In = T;
  using Acc = opmath_t<T>;
  using Out = T;
  bool max;
  __device__ Acc identity() const {
    if constexpr (std::is_same_v<T, bool>) return !max;
    else if constexpr (std::is_floating_point_v<Acc>)
      return max ? -std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::infinity();
    else return max ? std::numeric_limits<Acc>::lowest() : std::numeric_limits<Acc>::max();
  }
  __device__ Acc lift(T x, int64_t) const { return Acc(x); }
  __device__ Acc combine(Acc a, Acc b) const {
    bool take_b = max ? b > a : b < a;
    if constexpr (std::is_floating_point_v<Acc>) take_b = take_b || b != b;
    return take_b ? b : a;
  }
  __device__ Out finish(Acc a, int64_t) const { return Out(a); }
};

template <typename T>
struct LogicalPolicy {
  using In = T;
  using Acc = uint8_t;
  using Out = uint8_t;  // bool and uint8 outputs both hold 0/1
  bool all;
  __device__ Acc identity() const { return all; }
  __device__ Acc lift(T x, int64_t) const { return opmath_t<T>(x) != opmath_t<T>(0); }
  __device__ Acc combine(Acc a, Acc b) const { return all ? (a & b) : (a | b); }
  __device__ Out finish(Acc a, int64_t) const { return a; }
};

enum class NormKind : uint8_t { kZero, kOne, kTwo, kInf, kNegInf, kP };

template <typename T>
struct NormPolicy {
  using In = T;
  using Acc = opmath_t<T>;
  using Out = T;
  NormKind kind;
  Acc p;
  __device__ Acc identity() const { return kind == NormKind::kNegInf ? std::numeric_limits<Acc>::infinity() : Acc(0); }
  __device__ Acc lift(T x, int64_t) const {
    const Acc a = std::fabs(Acc(x));
    switch (kind) {
      case NormKind::kZero: return a != Acc(0) ? Acc(1) : Acc(0);
      case NormKind::kTwo: return a * a;
      case NormKind::kP: return std::pow(a, p);
      default: return a;
    }
  }
  __device__ Acc combine(Acc a, Acc b) const {
    if (kind == NormKind::kInf) return nan_max(a, b);
    if (kind == NormKind::kNegInf) return (b < a || b != b) ? b : a;
    return a + b;
  }
  __device__ Out finish(Acc a, int64_t n) const {
    switch (kind) {
      case NormKind::kTwo: return Out(std::sqrt(a));
      case NormKind::kP: return Out(std::pow(a, Acc(1) / p));
      case NormKind::kNegInf: return Out(n == 0 ? Acc(0) : a);  // torch.norm gives 0 for empty
      default: return Out(a);
    }
  }
};

// Variance by Welford/Chan in double (as the CPU's blocks merge): each element is a one-element
// partial merged into the running one, so no second pass over memory is needed.
struct VarAcc {
  double mean, m2;
  int64_t n;
};

template <typename T>
struct VarPolicy {
  using In = T;
  using Acc = VarAcc;
  using Out = T;
  double correction;
  bool take_sqrt;
  __device__ Acc identity() const { return {0, 0, 0}; }
  __device__ Acc lift(T x, int64_t) const { return {double(opmath_t<T>(x)), 0, 1}; }
  __device__ Acc combine(Acc a, Acc b) const {
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    const int64_t n = a.n + b.n;
    const double delta = b.mean - a.mean, wb = double(b.n) / double(n);
    return {a.mean + delta * wb, a.m2 + b.m2 + delta * delta * double(a.n) * wb, n};
  }
  __device__ Out finish(Acc a, int64_t n) const {
    const double v = a.m2 / fmax(0.0, double(n) - correction);
    return Out(take_sqrt ? ::sqrt(v) : v);
  }
};

// log(sum(exp(x))) as (max, sum of exp(x - max)), merged by rescaling the smaller maximum.
template <typename V>
struct LseAcc {
  V max, scaled;
};

template <typename T>
struct LogSumExpPolicy {
  using In = T;
  using V = opmath_t<T>;
  using Acc = LseAcc<V>;
  using Out = T;
  __device__ Acc identity() const { return {-std::numeric_limits<V>::infinity(), 0}; }
  __device__ Acc lift(T x, int64_t) const { return {V(x), 1}; }
  // NaN wins; an infinite maximum decides the result alone (+inf -> inf; all -inf -> -inf).
  __device__ Acc combine(Acc a, Acc b) const {
    if (a.max != a.max) return a;
    const V m = nan_max(a.max, b.max);
    if (m != m || isinf(m)) return {m, V(m > 0 ? 1 : 0)};
    if (b.max <= a.max) return {a.max, a.scaled + b.scaled * std::exp(b.max - a.max)};
    return {b.max, a.scaled * std::exp(a.max - b.max) + b.scaled};
  }
  __device__ Out finish(Acc a, int64_t) const { return Out(a.max + std::log(a.scaled)); }
};

template <typename V>
struct ArgAcc {
  V value;
  int64_t index;
};

// Index of the first maximum (minimum); the first NaN beats everything.
template <typename T>
struct ArgPolicy {
  using In = T;
  using V = opmath_t<T>;
  using Acc = ArgAcc<V>;
  using Out = T;
  bool max;
  __device__ Acc identity() const { return {V(0), -1}; }
  __device__ Acc lift(T x, int64_t idx) const { return {V(x), idx}; }
  __device__ Acc combine(Acc a, Acc b) const {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
    bool take_b;
    if (a_nan || b_nan) take_b = a_nan && b_nan ? b.index < a.index : b_nan;
    else take_b = (max ? b.value > a.value : b.value < a.value) || (b.value == a.value && b.index < a.index);
    return take_b ? b : a;
  }
  __device__ Out finish(Acc a, int64_t) const { return Out(a.value); }
};

// ---------------------------------------------------------------------------------------------
// Layout.

struct ReduceLayout {
  OffsetCalculator<3> outputs;  // output number -> offsets in the input, out and indices
  OffsetCalculator<2> reduced;  // reduced element -> offset in the input, row-major index (argmax/argmin)
  int64_t num_outputs = 1, reduce_size = 1, chunks = 1, per_chunk = 0;
  bool lanes = false, vectorized = false;
};

ReduceLayout make_layout(const TensorImpl& in, const TensorImpl& shape, const TensorImpl* out, const TensorImpl* idx) {
  ReduceLayout l;
  DimVector red_sizes, out_sizes;
  std::array<DimVector, 2> red_strides;
  std::array<DimVector, 3> out_strides;
  int64_t logical = 1;
  for (int64_t d = in.dim() - 1; d >= 0; --d) {
    const int64_t n = in.sizes()[d];
    if (shape.sizes()[d] != 1 || n == 1) continue;
    red_sizes.insert(0, n);
    red_strides[0].insert(0, in.strides()[d]);
    red_strides[1].insert(0, logical);
    logical *= n;
  }
  for (int64_t d = 0; d < in.dim(); ++d) {
    if (shape.sizes()[d] == 1) continue;
    out_sizes.push_back(shape.sizes()[d]);
    out_strides[0].push_back(in.strides()[d]);
    out_strides[1].push_back(out ? out->strides()[d] : 0);
    out_strides[2].push_back(idx ? idx->strides()[d] : 0);
    l.num_outputs *= shape.sizes()[d];
  }
  l.reduce_size = logical;
  sort_by_stride<2>(red_sizes, red_strides);
  sort_by_stride<3>(out_sizes, out_strides);
  l.reduced = make_offset_calculator<2>(red_sizes, red_strides, "reduce");
  l.outputs = make_offset_calculator<3>(out_sizes, out_strides, "reduce");
  l.lanes = l.outputs.ndim > 0 && l.reduced.ndim > 0 &&
            std::abs(l.outputs.strides[0][0]) < std::abs(l.reduced.strides[0][0]);
  return l;
}

// ---------------------------------------------------------------------------------------------
// Device side.

// Combines the accumulators of each output's group of threads into the group's first thread:
// along x (inner mode: warp shuffles, then one value per warp through shared memory) or along y
// (lane mode). Every thread of the block must call it.
template <typename P>
__device__ typename P::Acc group_reduce(const P& p, typename P::Acc a, bool lanes) {
  using Acc = typename P::Acc;
  __shared__ __align__(16) unsigned char raw[kThreads * sizeof(Acc)];
  Acc* smem = reinterpret_cast<Acc*>(raw);
  const int tx = threadIdx.x, ty = threadIdx.y, bx = blockDim.x, by = blockDim.y;
  if (lanes) {
    smem[ty * bx + tx] = a;
    __syncthreads();
    if (ty == 0)
      for (int y = 1; y < by; ++y) a = p.combine(a, smem[y * bx + tx]);
    return a;
  }
#pragma unroll
  for (int d = 16; d > 0; d /= 2) a = p.combine(a, shfl_down(a, d));
  if (bx > 32) {
    const int warps = bx / 32;
    if (tx % 32 == 0) smem[ty * warps + tx / 32] = a;
    __syncthreads();
    if (tx == 0)
      for (int w = 1; w < warps; ++w) a = p.combine(a, smem[ty * warps + w]);
  }
  return a;
}

template <typename P>
__device__ __forceinline__ void store(const P& p, typename P::Acc a, int64_t n, typename P::Out* out, int64_t* indices,
                                      const int64_t (&off)[3]) {
  if constexpr (requires(typename P::Acc acc) { acc.index; }) {
    if (indices) indices[off[2]] = a.index;
  }
  if (out) out[off[1]] = p.finish(a, n);
}

// Reduced elements i, i + step, ... < end of the output at `base`.
template <typename P>
__device__ typename P::Acc fold_strided(const P& p, const OffsetCalculator<2>& reduced, const typename P::In* base,
                                        int64_t i, int64_t end, int step) {
  typename P::Acc a = p.identity();
#pragma unroll 4
  for (; i < end; i += step) {
    int64_t off[2];
    offsets_of(reduced, i, off);
    a = p.combine(a, p.lift(base[off[0]], off[1]));
  }
  return a;
}

// The same over one contiguous run [begin, end) with begin 16-byte aligned: thread t takes the
// 16-byte vectors t, t + step, ..., kUnroll of them in flight at once, then the scalar tail.
template <typename P>
__device__ typename P::Acc fold_contiguous(const P& p, const typename P::In* base, int64_t begin, int64_t end, int t,
                                           int step, int64_t index_step) {
  using In = typename P::In;
  constexpr int kWidth = 16 / sizeof(In), kUnroll = 4;
  using Vec = VecOf<In, kWidth>;
  const Vec* vec = reinterpret_cast<const Vec*>(base + begin);
  const int64_t nvec = (end - begin) / kWidth;
  typename P::Acc a = p.identity();
  int64_t i = t;
  for (; i + (kUnroll - 1) * int64_t(step) < nvec; i += kUnroll * int64_t(step)) {
    Vec v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) v[u] = vec[i + u * int64_t(step)];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
#pragma unroll
      for (int k = 0; k < kWidth; ++k)
        a = p.combine(a, p.lift(v[u].v[k], (begin + (i + u * int64_t(step)) * kWidth + k) * index_step));
  }
  for (; i < nvec; i += step) {
    const Vec v = vec[i];
#pragma unroll
    for (int k = 0; k < kWidth; ++k) a = p.combine(a, p.lift(v.v[k], (begin + i * kWidth + k) * index_step));
  }
  for (int64_t j = begin + nvec * kWidth + t; j < end; j += step) a = p.combine(a, p.lift(base[j], j * index_step));
  return a;
}

// Pass 1 (or the only pass): block (x, y) reduces chunk blockIdx.y of by outputs (inner mode) or
// bx outputs (lane mode). With `partial`, it writes the accumulators instead of the results.
template <typename P>
__global__ void __launch_bounds__(kThreads)
    reduce_input(P p, ReduceLayout l, const typename P::In* in, typename P::Out* out, int64_t* indices,
                 typename P::Acc* partial) {
  const int tx = threadIdx.x, ty = threadIdx.y, bx = blockDim.x, by = blockDim.y;
  const int64_t o = l.lanes ? int64_t(blockIdx.x) * bx + tx : int64_t(blockIdx.x) * by + ty;
  const int64_t chunk = blockIdx.y;
  const int64_t begin = chunk * l.per_chunk, end = min(l.reduce_size, begin + l.per_chunk);
  int64_t off[3] = {0, 0, 0};
  typename P::Acc a = p.identity();
  if (o < l.num_outputs) {
    offsets_of(l.outputs, o, off);
    const typename P::In* base = in + off[0];
    if (l.lanes) a = fold_strided(p, l.reduced, base, begin + ty, end, by);
    else if (l.vectorized) a = fold_contiguous(p, base, begin, end, tx, bx, l.reduced.strides[0][1]);
    else a = fold_strided(p, l.reduced, base, begin + tx, end, bx);
  }
  a = group_reduce(p, a, l.lanes);
  if ((l.lanes ? ty : tx) != 0 || o >= l.num_outputs) return;
  if (partial) partial[o * l.chunks + chunk] = a;
  else store(p, a, l.reduce_size, out, indices, off);
}

// Pass 2: a group of bx threads folds each output's chunk partials, in chunk order per thread.
template <typename P>
__global__ void __launch_bounds__(kThreads)
    reduce_partials(P p, ReduceLayout l, const typename P::Acc* partial, typename P::Out* out, int64_t* indices) {
  const int tx = threadIdx.x, bx = blockDim.x;
  const int64_t o = int64_t(blockIdx.x) * blockDim.y + threadIdx.y;
  int64_t off[3] = {0, 0, 0};
  typename P::Acc a = p.identity();
  if (o < l.num_outputs) {
    offsets_of(l.outputs, o, off);
    for (int64_t c = tx; c < l.chunks; c += bx) a = p.combine(a, partial[o * l.chunks + c]);
  }
  a = group_reduce(p, a, false);
  if (tx == 0 && o < l.num_outputs) store(p, a, l.reduce_size, out, indices, off);
}

// ---------------------------------------------------------------------------------------------
// Host side.

// Threads per output group along the reduced elements (inner mode): enough for ~16 elements each.
int group_width(int64_t n) { return int(std::clamp<int64_t>(pow2_at_least(ceil_div(n, 16)), 32, kThreads)); }

template <typename P>
void run(const P& p, ReduceLayout l, const TensorImpl& in, TensorImpl* out, TensorImpl* indices) {
  using In = typename P::In;
  using Acc = typename P::Acc;
  using Out = typename P::Out;
  NB_CHECK(!out || itemsize(out->dtype()) == sizeof(Out), RuntimeError, "reduce: internal error: output dtype ",
           dtype_name(out->dtype()), " does not fit input dtype ", dtype_name(in.dtype()));
  const int64_t n = l.num_outputs, r = l.reduce_size;
  const dim3 block = l.lanes ? dim3(32, kThreads / 32) : dim3(group_width(r), kThreads / group_width(r));
  const int64_t groups = ceil_div(n, l.lanes ? block.x : block.y);
  const int64_t step = l.lanes ? block.y : block.x;
  if (groups < kTargetBlocks && r > 0) {
    const int64_t chunks = std::clamp<int64_t>(r / (step * kMinPerThread), 1, ceil_div(kTargetBlocks, groups));
    l.per_chunk = ceil_div(ceil_div(r, chunks), 16) * 16;  // whole 16-byte vectors per chunk
    l.chunks = ceil_div(r, l.per_chunk);
  } else {
    l.per_chunk = r;
  }
  const In* x = in.data_as<In>();
  if (!l.lanes && l.reduced.ndim == 1 && l.reduced.strides[0][0] == 1 &&
      reinterpret_cast<uintptr_t>(x) % 16 == 0) {
    l.vectorized = true;
    for (int d = 0; d < l.outputs.ndim; ++d) l.vectorized &= l.outputs.strides[d][0] * int64_t(sizeof(In)) % 16 == 0;
  }
  Out* y = out ? out->data_as<Out>() : nullptr;
  int64_t* idx = indices ? indices->data_as<int64_t>() : nullptr;
  if (l.chunks == 1) {
    reduce_input<P><<<dim3(unsigned(groups)), block, 0, stream()>>>(p, l, x, y, idx, nullptr);
    NB_CUDA_LAUNCH_CHECK();
    return;
  }
  // The buffer goes back to the stream-ordered cache when this returns, after both passes are queued.
  Storage partial = allocate_storage(size_t(n * l.chunks) * sizeof(Acc), in.device());
  Acc* acc = static_cast<Acc*>(partial->data());
  reduce_input<P><<<dim3(unsigned(groups), unsigned(l.chunks)), block, 0, stream()>>>(p, l, x, y, idx, acc);
  NB_CUDA_LAUNCH_CHECK();
  const int width = group_width(l.chunks * 4);  // about four partials per thread
  const dim3 fold_block(width, kThreads / width);
  reduce_partials<P><<<dim3(unsigned(ceil_div(n, fold_block.y))), fold_block, 0, stream()>>>(p, l, acc, y, idx);
  NB_CUDA_LAUNCH_CHECK();
}

template <typename T>
void run_norm(double p, const ReduceLayout& l, const TensorImpl& in, TensorImpl* out) {
  NormKind kind = NormKind::kP;
  if (p == 0) kind = NormKind::kZero;
  else if (p == 1) kind = NormKind::kOne;
  else if (p == 2) kind = NormKind::kTwo;
  else if (std::isinf(p)) kind = p > 0 ? NormKind::kInf : NormKind::kNegInf;
  run(NormPolicy<T>{kind, opmath_t<T>(p)}, l, in, out, nullptr);
}

void reduce(ReduceOp op, const TensorImpl& in, TensorImpl* out, TensorImpl* indices, const ReduceArgs& args) {
  const ReduceLayout l = make_layout(in, out ? *out : *indices, out, indices);
  if (l.num_outputs == 0) return;
  DeviceGuard guard(in.device());
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using enum ReduceOp;
    switch (op) {
      case kSum: return run(SumPolicy<T>{false, false}, l, in, out, nullptr);
      case kProd: return run(SumPolicy<T>{true, false}, l, in, out, nullptr);
      case kMax: return run(ExtremumPolicy<T>{true}, l, in, out, nullptr);
      case kMin: return run(ExtremumPolicy<T>{false}, l, in, out, nullptr);
      case kAll: return run(LogicalPolicy<T>{true}, l, in, out, nullptr);
      case kAny: return run(LogicalPolicy<T>{false}, l, in, out, nullptr);
      case kArgMax: return run(ArgPolicy<T>{true}, l, in, out, indices);
      case kArgMin: return run(ArgPolicy<T>{false}, l, in, out, indices);
      default: break;
    }
    if constexpr (std::is_floating_point_v<opmath_t<T>>) {
      switch (op) {
        case kMean: return run(SumPolicy<T>{false, true}, l, in, out, nullptr);
        case kNorm: return run_norm<T>(args.p, l, in, out);
        case kVar: return run(VarPolicy<T>{args.correction, false}, l, in, out, nullptr);
        case kStd: return run(VarPolicy<T>{args.correction, true}, l, in, out, nullptr);
        case kLogSumExp: return run(LogSumExpPolicy<T>{}, l, in, out, nullptr);
        default: break;
      }
    }
    fail<RuntimeError>("reduce: op ", int(op), " is not supported for dtype ", dtype_name(in.dtype()),
                       " on CUDA; convert the input to a floating dtype first");
  });
}

}  // namespace

NB_REGISTER_KERNEL(reduce_kernel, kCUDA, reduce);

}  // namespace nabla::cuda
