// The batched strided GEMM on CUDA (src/core/kernels/matmul.hpp).
//
// float32/float64/float16/bfloat16 go to cuBLAS with every operand read in place whenever its strides
// form a row-major or column-major matrix (a transposed view is just the other layout); an operand
// with any other strides is packed into a contiguous scratch copy first, and a C cuBLAS cannot write
// is computed into scratch and scattered back. cuBLAS is column-major, so a row-major
// C = A B is issued as the column-major C^T = B^T A^T: no operand is ever transposed in memory.
// float32 accumulates in float32, or in TF32 when set_float32_matmul_precision("high"/"medium")
// asks (PyTorch's rule); float64 in float64; the 16-bit floats in float32.
//
// Batches: size-1 batch dims are dropped and adjacent ones merged; a batch whose B is broadcast is
// folded into M (one larger GEMM), as on the CPU. One strided-batched call covers the innermost
// remaining batch dim; outer batch dims that do not merge loop on the host.
//
// Integer and bool products, alpha == 0, k == 0, and sizes past cuBLAS's int range run a plain
// shared-memory tiled kernel of our own that wraps around on overflow like the CPU kernel.
#include <cublas_v2.h>

#include <algorithm>
#include <array>
#include <climits>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/cuda_hooks.hpp"
#include "core/kernels/gemm_geometry.hpp"
#include "cuda/loops.cuh"
#include "cuda/pointer_device.hpp"

namespace nabla::cuda {
namespace {

using namespace gemm;

std::string problem_str(const GemmProblem& p) {
  std::string s = "a ";
  s.append(dtype_str(p.dtype)).append(" product of ").append(shape_str({p.m, p.k})).append(" and ");
  s.append(shape_str({p.k, p.n}));
  if (!p.batch_sizes.empty()) s.append(" over batch ").append(shape_str(p.batch_sizes));
  return s;
}

// ---- cuBLAS handles: one per device, created on first use, bound to the device's stream ------------

// cuBLAS on Hopper picks faster kernels with a larger workspace; PyTorch gives it 32 MiB too.
constexpr size_t kWorkspaceBytes = size_t(32) << 20;

struct BlasHandle {
  std::once_flag created;
  std::mutex mutex;  // a cuBLAS handle must not be used by two host threads at once
  cublasHandle_t handle = nullptr;
  void* workspace = nullptr;
};

void check_cublas(cublasStatus_t status, const char* call, const GemmProblem& p) {
  if (status != CUBLAS_STATUS_SUCCESS)
    fail<RuntimeError>("matmul: cuBLAS error ", cublasGetStatusName(status), " (", cublasGetStatusString(status),
                       ") in ", call, " for ", problem_str(p));
}

// The current device's handle. Handles and workspaces live until the process exits (never freed:
// static destruction may run after the CUDA context is gone).
BlasHandle& blas_handle(const GemmProblem& p) {
  static auto* handles = new std::array<BlasHandle, kMaxDevices>;
  BlasHandle& h = (*handles)[size_t(active_device())];
  std::call_once(h.created, [&] {
    check_cublas(cublasCreate(&h.handle), "cublasCreate", p);
    NB_CUDA_CHECK(cudaMalloc(&h.workspace, kWorkspaceBytes));
  });
  return h;
}

// ---- Scratch copies for operands cuBLAS cannot take in place ---------------------------------------

// x over the batch as a plain strided tensor [batch..., rows, cols]; broadcast batch dims keep size 1.
struct Geometry {
  DimVector shape, strides;
};

Geometry geometry_of(const GemmProblem& p, const GemmMatrix& x, int64_t rows, int64_t cols) {
  Geometry g;
  for (size_t d = 0; d < p.batch_sizes.size(); ++d) {
    g.shape.push_back(x.batch_strides[d] == 0 ? 1 : p.batch_sizes[d]);
    g.strides.push_back(x.batch_strides[d]);
  }
  g.shape.push_back(rows);
  g.strides.push_back(x.row_stride);
  g.shape.push_back(cols);
  g.strides.push_back(x.col_stride);
  return g;
}

// packed[i] <-> strided[offset of element i]; U is an unsigned type of the element's size.
template <typename U, bool kScatter>
__global__ void __launch_bounds__(kThreads)
    restride_kernel(int64_t n, OffsetCalculator<1> calc, U* strided, U* packed) {
  const int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= n) return;
  int64_t off[1];
  calc.get(i, off);
  if constexpr (kScatter) strided[off[0]] = packed[i];
  else packed[i] = strided[off[0]];
}

template <bool kScatter>
void restride(const Geometry& g, size_t item, void* strided, void* packed) {
  const int64_t n = numel_of(g.shape);
  if (n == 0) return;
  const auto calc = make_offset_calculator<1>(g.shape, {g.strides}, "matmul");
  const auto blocks = unsigned(ceil_div(n, kThreads));
  auto launch = [&](auto unit) {
    using U = decltype(unit);
    restride_kernel<U, kScatter>
        <<<blocks, kThreads, 0, stream()>>>(n, calc, static_cast<U*>(strided), static_cast<U*>(packed));
  };
  switch (item) {
    case 1: launch(uint8_t{}); break;
    case 2: launch(uint16_t{}); break;
    case 4: launch(uint32_t{}); break;
    default: launch(uint64_t{}); break;
  }
  NB_CUDA_LAUNCH_CHECK();
}

// A contiguous copy of an operand; `x` is rewritten to describe it.
struct Scratch {
  Storage storage;
  Geometry geometry;  // of the original operand
  void* original = nullptr;
};

Scratch stage(const GemmProblem& p, GemmMatrix& x, int64_t rows, int64_t cols, bool copy_in) {
  Scratch s;
  s.geometry = geometry_of(p, x, rows, cols);
  s.original = x.data;
  const size_t item = itemsize(p.dtype);
  s.storage = allocate_storage(size_t(numel_of(s.geometry.shape)) * item, Device(kCUDA, active_device()));
  if (copy_in) restride<false>(s.geometry, item, x.data, s.storage->data());
  x.data = s.storage->data();
  x.row_stride = cols;
  x.col_stride = 1;
  int64_t step = rows * cols;
  for (int64_t d = int64_t(p.batch_sizes.size()) - 1; d >= 0; --d) {
    if (x.batch_strides[d] == 0) continue;
    x.batch_strides[d] = step;
    step *= p.batch_sizes[d];
  }
  return s;
}

bool any_negative(const DimVector& v) {
  return std::any_of(v.begin(), v.end(), [](int64_t s) { return s < 0; });
}

// ---- cuBLAS path --------------------------------------------------------------------------------

struct BlasTypes {
  cudaDataType data;
  cublasComputeType_t compute;
};

BlasTypes blas_types(DType t) {
  switch (t) {
    case kFloat64: return {CUDA_R_64F, CUBLAS_COMPUTE_64F};
    case kFloat16: return {CUDA_R_16F, CUBLAS_COMPUTE_32F};
    case kBFloat16: return {CUDA_R_16BF, CUBLAS_COMPUTE_32F};
    default:
      return {CUDA_R_32F, float32_matmul_precision() == MatmulPrecision::kHighest ? CUBLAS_COMPUTE_32F
                                                                                   : CUBLAS_COMPUTE_32F_FAST_TF32};
  }
}

// alpha and beta in the compute type's scalar type, which cuBLAS reads from host memory.
struct BlasScalars {
  double d_alpha, d_beta;
  float f_alpha, f_beta;
  bool is_double;
  explicit BlasScalars(const GemmProblem& p)
      : d_alpha(p.alpha.to_double()), d_beta(p.beta.to_double()), f_alpha(p.alpha.to<float>()),
        f_beta(p.beta.to<float>()), is_double(p.dtype == kFloat64) {}
  const void* alpha() const { return is_double ? static_cast<const void*>(&d_alpha) : &f_alpha; }
  const void* beta() const { return is_double ? static_cast<const void*>(&d_beta) : &f_beta; }
};

// Every operand in cuBLAS form (C row-major); issues the batches.
class BlasRun {
 public:
  BlasRun(const GemmProblem& p, cublasHandle_t handle)
      : p_(p), handle_(handle), types_(blas_types(p.dtype)), scalars_(p), la_(layout_of(a_of(p))),
        lb_(layout_of(b_of(p))), lc_(layout_of(c_of(p))), item_(itemsize(p.dtype)) {}

  void run() {
    const size_t nb = p_.batch_sizes.size();
    if (nb == 0) return call(0, 0, 0, 1, 0, 0, 0);
    // The innermost batch dim is one strided-batched call; the others loop here.
    const int64_t inner = p_.batch_sizes[nb - 1];
    const int64_t outer = numel_of(IntArrayRef(p_.batch_sizes.data(), nb - 1));
    for (int64_t o = 0; o < outer; ++o) {
      std::array<int64_t, 3> off = {0, 0, 0};
      int64_t rest = o;
      for (int64_t d = int64_t(nb) - 2; d >= 0; --d) {
        const int64_t idx = rest % p_.batch_sizes[d];
        rest /= p_.batch_sizes[d];
        off[0] += idx * p_.a.batch_strides[d];
        off[1] += idx * p_.b.batch_strides[d];
        off[2] += idx * p_.c.batch_strides[d];
      }
      for (int64_t first = 0; first < inner; first += INT_MAX) {
        const int64_t count = std::min<int64_t>(inner - first, INT_MAX);
        call(off[0] + first * p_.a.batch_strides[nb - 1], off[1] + first * p_.b.batch_strides[nb - 1],
             off[2] + first * p_.c.batch_strides[nb - 1], count, p_.a.batch_strides[nb - 1], p_.b.batch_strides[nb - 1],
             p_.c.batch_strides[nb - 1]);
      }
    }
  }

 private:
  // Column-major C^T (n x m) = op(B^T) (n x k) * op(A^T) (k x m): a row-major operand is its own
  // transpose in column-major terms (OP_N), a column-major one needs OP_T.
  void call(int64_t a_off, int64_t b_off, int64_t c_off, int64_t count, int64_t sa, int64_t sb, int64_t sc) {
    const char* a = static_cast<const char*>(p_.a.data) + a_off * int64_t(item_);
    const char* b = static_cast<const char*>(p_.b.data) + b_off * int64_t(item_);
    char* c = static_cast<char*>(p_.c.data) + c_off * int64_t(item_);
    const cublasOperation_t op_b = lb_.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_a = la_.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
    const int m = int(p_.n), n = int(p_.m), k = int(p_.k);
    if (count == 1) {
      check_cublas(cublasGemmEx(handle_, op_b, op_a, m, n, k, scalars_.alpha(), b, types_.data, int(lb_.ld), a,
                                types_.data, int(la_.ld), scalars_.beta(), c, types_.data, int(lc_.ld), types_.compute,
                                CUBLAS_GEMM_DEFAULT),
                   "cublasGemmEx", p_);
      return;
    }
    check_cublas(cublasGemmStridedBatchedEx(handle_, op_b, op_a, m, n, k, scalars_.alpha(), b, types_.data, int(lb_.ld),
                                            sb, a, types_.data, int(la_.ld), sa, scalars_.beta(), c, types_.data,
                                            int(lc_.ld), sc, int(count), types_.compute, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmStridedBatchedEx", p_);
  }

  const GemmProblem& p_;
  cublasHandle_t handle_;
  BlasTypes types_;
  BlasScalars scalars_;
  Layout la_, lb_, lc_;
  size_t item_;
};

void blas_gemm(GemmProblem p) {
  if (!row_major(c_of(p)) && layout_of(c_of(p)).ok) transpose_problem(p);
  coalesce_batch(p);
  fold_batch_into_rows(p);
  // Scratch is freed on return: the caching allocator is stream-ordered, so the GEMMs enqueued
  // before that still read and write valid memory.
  std::vector<Scratch> scratch;
  if (!layout_of(a_of(p)).ok || any_negative(p.a.batch_strides)) scratch.push_back(stage(p, p.a, p.m, p.k, true));
  if (!layout_of(b_of(p)).ok || any_negative(p.b.batch_strides)) scratch.push_back(stage(p, p.b, p.k, p.n, true));
  std::optional<Scratch> staged_c;
  if (!row_major(c_of(p)) || any_negative(p.c.batch_strides)) {
    staged_c = stage(p, p.c, p.m, p.n, p.beta.to_double() != 0);
  }
  coalesce_batch(p);
  BlasHandle& h = blas_handle(p);
  {
    std::lock_guard<std::mutex> lock(h.mutex);
    // Setting the stream resets the workspace to cuBLAS's default pool, so both are set each time.
    check_cublas(cublasSetStream(h.handle, stream()), "cublasSetStream", p);
    check_cublas(cublasSetWorkspace(h.handle, h.workspace, kWorkspaceBytes), "cublasSetWorkspace", p);
    BlasRun(p, h.handle).run();
  }
  if (staged_c) restride<true>(staged_c->geometry, itemsize(p.dtype), staged_c->original, staged_c->storage->data());
}

// ---- Generic path: integers and bool, and the float cases cuBLAS cannot or need not take --------

// Integers (and bool) accumulate in uint64_t: wrapping there and truncating at the end gives the
// same bits as the CPU's wrap-around, without signed overflow. bool tests the sum for nonzero.
template <typename T>
using generic_acc_t = std::conditional_t<std::is_integral_v<T>, uint64_t, opmath_t<T>>;

template <typename T>
__host__ __device__ generic_acc_t<T> to_acc(T v) {
  if constexpr (std::is_integral_v<T>) return static_cast<uint64_t>(v);
  else return static_cast<generic_acc_t<T>>(v);
}
template <typename T>
__device__ T from_acc(generic_acc_t<T> v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0;
  else return static_cast<T>(v);
}

constexpr int kTile = 16;

struct BatchIndex {
  int ndim = 0;
  int64_t sizes[kMaxDims];
  int64_t strides[kMaxDims][3];  // a, b, c
};

template <typename T>
struct GenericArgs {
  using Acc = generic_acc_t<T>;
  const T* a;
  const T* b;
  T* c;
  int64_t m, n, k, batches;
  int64_t a_rs, a_cs, b_rs, b_cs, c_rs, c_cs;
  BatchIndex batch;
  Acc alpha, beta;
  bool alpha_zero, beta_zero;
};

// One thread per element of C; A and B pass through shared memory in kTile x kTile tiles and every
// element sums over k in order.
template <typename T>
__global__ void __launch_bounds__(kTile * kTile) generic_gemm_kernel(GenericArgs<T> g) {
  using Acc = generic_acc_t<T>;
  __shared__ Acc a_tile[kTile][kTile];
  __shared__ Acc b_tile[kTile][kTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (int64_t batch = blockIdx.z; batch < g.batches; batch += gridDim.z) {
    const T* a = g.a;
    const T* b = g.b;
    T* c = g.c;
    int64_t rest = batch;
    for (int d = g.batch.ndim - 1; d >= 0; --d) {
      const int64_t idx = rest % g.batch.sizes[d];
      rest /= g.batch.sizes[d];
      a += idx * g.batch.strides[d][0];
      b += idx * g.batch.strides[d][1];
      c += idx * g.batch.strides[d][2];
    }
    const int64_t j = int64_t(blockIdx.x) * kTile + tx;
    for (int64_t row0 = int64_t(blockIdx.y) * kTile; row0 < g.m; row0 += int64_t(gridDim.y) * kTile) {
      const int64_t i = row0 + ty;
      Acc acc = Acc(0);
      for (int64_t q0 = 0; q0 < g.k && !g.alpha_zero; q0 += kTile) {
        a_tile[ty][tx] = i < g.m && q0 + tx < g.k ? to_acc(a[i * g.a_rs + (q0 + tx) * g.a_cs]) : Acc(0);
        b_tile[ty][tx] = q0 + ty < g.k && j < g.n ? to_acc(b[(q0 + ty) * g.b_rs + j * g.b_cs]) : Acc(0);
        __syncthreads();
#pragma unroll
        for (int q = 0; q < kTile; ++q) acc += a_tile[ty][q] * b_tile[q][tx];
        __syncthreads();
      }
      if (i < g.m && j < g.n) {
        T& out = c[i * g.c_rs + j * g.c_cs];
        Acc v = g.alpha * acc;
        if (!g.beta_zero) v = v + g.beta * to_acc(out);
        out = from_acc<T>(v);
      }
    }
  }
}

template <typename T>
void generic_gemm(GemmProblem p) {
  coalesce_batch(p);
  const int nb = int(p.batch_sizes.size());
  NB_CHECK(nb <= kMaxDims, RuntimeError, "matmul: the CUDA kernel handles at most ", kMaxDims,
           " non-mergeable batch dims, got ", problem_str(p), "; make the operands contiguous() first");
  GenericArgs<T> g;
  g.a = static_cast<const T*>(p.a.data);
  g.b = static_cast<const T*>(p.b.data);
  g.c = static_cast<T*>(p.c.data);
  g.m = p.m;
  g.n = p.n;
  g.k = p.k;
  g.batches = numel_of(p.batch_sizes);
  g.a_rs = p.a.row_stride;
  g.a_cs = p.a.col_stride;
  g.b_rs = p.b.row_stride;
  g.b_cs = p.b.col_stride;
  g.c_rs = p.c.row_stride;
  g.c_cs = p.c.col_stride;
  g.batch.ndim = nb;
  for (int d = 0; d < nb; ++d) {
    g.batch.sizes[d] = p.batch_sizes[d];
    g.batch.strides[d][0] = p.a.batch_strides[d];
    g.batch.strides[d][1] = p.b.batch_strides[d];
    g.batch.strides[d][2] = p.c.batch_strides[d];
  }
  g.alpha = to_acc<T>(p.alpha.to<T>());
  g.beta = to_acc<T>(p.beta.to<T>());
  using Acc = generic_acc_t<T>;
  g.alpha_zero = g.alpha == Acc(0);
  g.beta_zero = g.beta == Acc(0);
  const dim3 grid(unsigned(ceil_div(p.n, kTile)), unsigned(std::min<int64_t>(ceil_div(p.m, kTile), 65535)),
                  unsigned(std::min<int64_t>(g.batches, 65535)));
  NB_CHECK(ceil_div(p.n, kTile) <= INT_MAX, RuntimeError, "matmul: n is too large for the CUDA kernel in ",
           problem_str(p));
  generic_gemm_kernel<T><<<grid, dim3(kTile, kTile), 0, stream()>>>(g);
  NB_CUDA_LAUNCH_CHECK();
}

// ---- Entry --------------------------------------------------------------------------------------

bool blas_takes(const GemmProblem& p) {
  const bool blas_dtype = p.dtype == kFloat32 || p.dtype == kFloat64 || p.dtype == kFloat16 || p.dtype == kBFloat16;
  const bool product = p.k > 0 && !(p.alpha.is_floating() ? p.alpha.to_double() == 0 : p.alpha.to_int64() == 0);
  return blas_dtype && product && p.m <= INT_MAX && p.n <= INT_MAX && p.k <= INT_MAX;
}

void gemm(const GemmProblem& problem) {
  if (problem.m == 0 || problem.n == 0 || numel_of(problem.batch_sizes) == 0) return;
  DeviceGuard guard(device_of_pointer(problem.c.data));
  if (blas_takes(problem)) return blas_gemm(problem);
  visit_dtype(problem.dtype, [&](auto tag) { generic_gemm<typename decltype(tag)::type>(problem); });
}

}  // namespace
}  // namespace nabla::cuda

namespace nabla {
NB_REGISTER_KERNEL(gemm_kernel, kCUDA, cuda::gemm);
}  // namespace nabla
