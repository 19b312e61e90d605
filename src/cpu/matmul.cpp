// The batched strided GEMM on the CPU (src/core/kernels/matmul.hpp).
//
// Floating products take the BLAS path: float32 products of matrices go to our own sgemm where
// the kernels are built for AVX2+FMA (Note [Our sgemm]), and the rest to OpenBLAS when the build
// found it (NABLA_HAVE_BLAS): float64, and float32 vector shapes (gemv, dot). Each operand is handed
// over in place when its strides form a row-major or column-major matrix (a transposed view is just
// the other layout) and packed into a contiguous buffer only when they do not; float16/bfloat16 are
// packed into float32 and run through sgemm too, so they accumulate in float. Integer and bool
// products, and floating ones that neither library takes, run a cache-blocked loop of our own that
// wraps around on overflow like PyTorch's.
//
// Batches: size-1 batch dims are dropped and adjacent ones merged; a batch whose B is broadcast
// (an N-D input times a weight matrix) is folded into M, so it is one BLAS call. Remaining
// batches of small products are spread over the OpenMP threads, inside which each product runs
// single-threaded; large products are threaded inside. Our sgemm's results do not depend on the
// thread count. OpenBLAS partitions work statically, so its results are the same on every run
// with the same number of threads; like PyTorch's and NumPy's, they can change in the last bits
// with that number.
#if NABLA_HAVE_BLAS
#include <cblas.h>
#endif

#include <algorithm>
#include <array>
#include <climits>
#include <type_traits>
#include <vector>

#include "core/kernels/gemm_geometry.hpp"
#include "cpu/parallel.hpp"
#include "cpu/sgemm.hpp"

namespace nabla::cpu {
namespace {

using namespace gemm;

// Element offsets of A, B and C for the i-th batch.
struct BatchOffsets {
  const GemmProblem& p;
  std::array<int64_t, 3> operator()(int64_t i) const {
    std::array<int64_t, 3> off = {0, 0, 0};
    for (int64_t d = int64_t(p.batch_sizes.size()) - 1; d >= 0 && i > 0; --d) {
      int64_t idx = i % p.batch_sizes[d];
      i /= p.batch_sizes[d];
      off[0] += idx * p.a.batch_strides[d];
      off[1] += idx * p.b.batch_strides[d];
      off[2] += idx * p.c.batch_strides[d];
    }
    return off;
  }
};

// ---- BLAS path: our sgemm and OpenBLAS ---------------------------------------------------------

#if NABLA_HAVE_BLAS
constexpr bool kHaveBlas = true;
#else
constexpr bool kHaveBlas = false;
#endif

// Whether the BLAS path can run products computed in C.
template <typename C>
constexpr bool kBlasComputes = kHaveBlas || (kHaveOwnSgemm && std::is_same_v<C, float>);

// A product smaller than this many multiply-adds is not worth more than one thread.
constexpr int64_t kSmallProduct = 64 * 64 * 64;

// Runs body(begin, end) over ranges of the batches: across threads when the products are small or
// numerous, else serially so that each product is threaded inside.
template <typename Body>
void for_batches(const GemmProblem& p, int64_t count, const Body& body) {
  int64_t work = std::max<int64_t>(p.m * p.n * p.k, 1);
  bool across_threads = count > 1 && (work <= kSmallProduct || count >= omp_get_max_threads());
  if (!across_threads) {
    body(int64_t(0), count);
    return;
  }
  parallel_for(count, std::max<int64_t>(kGrainSize / work, 1), body);
}

#if NABLA_HAVE_BLAS
template <typename C> struct Blas;
template <> struct Blas<float> {
  [[maybe_unused]] static constexpr auto gemm = cblas_sgemm;  // only where our sgemm is not built
  static constexpr auto gemv = cblas_sgemv;
  static constexpr auto dot = cblas_sdot;
};
template <> struct Blas<double> {
  static constexpr auto gemm = cblas_dgemm;
  static constexpr auto gemv = cblas_dgemv;
  static constexpr auto dot = cblas_ddot;
};
CBLAS_TRANSPOSE cblas_transpose(bool transposed) { return transposed ? CblasTrans : CblasNoTrans; }
#endif

// A matrix as BLAS sees it.
template <typename C>
struct BlasMatrix {
  C* data;
  bool transposed;  // column-major
  int ld;
  // Element step along a matrix that is a single row or column.
  int vector_inc(bool is_column) const { return !transposed == is_column ? ld : 1; }
  int64_t row_stride() const { return transposed ? 1 : ld; }
  int64_t col_stride() const { return transposed ? ld : 1; }
};

// Whether each operand is passed in place (storage type == compute type and a BLAS layout) or
// converted into a contiguous row-major scratch buffer.
template <typename T, typename C>
struct BlasPlan {
  Strided a, b, c;
  Layout la, lb, lc;
  bool pack_a, pack_b, stage_c;
  explicit BlasPlan(const GemmProblem& p) : a(a_of(p)), b(b_of(p)), c(c_of(p)) {
    la = layout_of(a);
    lb = layout_of(b);
    lc = layout_of(c);
    constexpr bool same = std::is_same_v<T, C>;
    pack_a = !same || !la.ok;
    pack_b = !same || !lb.ok;
    stage_c = !same || !lc.ok || lc.transposed;
  }
  size_t scratch_size() const {
    return size_t((pack_a ? a.rows * a.cols : 0) + (pack_b ? b.rows * b.cols : 0) + (stage_c ? c.rows * c.cols : 0));
  }
};

template <typename T, typename C>
void pack(const T* src, const Strided& x, C* dst) {
  for (int64_t i = 0; i < x.rows; ++i)
    for (int64_t j = 0; j < x.cols; ++j) dst[i * x.cols + j] = C(src[i * x.row_stride + j * x.col_stride]);
}

template <typename T, typename C>
BlasMatrix<C> blas_operand(const T* data, const Strided& x, const Layout& layout, bool packed, C*& scratch) {
  if (!packed) {
    return {const_cast<C*>(reinterpret_cast<const C*>(data)), layout.transposed, int(layout.ld)};
  }
  pack(data, x, scratch);
  BlasMatrix<C> m{scratch, false, int(std::max<int64_t>(x.cols, 1))};
  scratch += x.rows * x.cols;
  return m;
}

// One product C = alpha A B + beta C with every operand in BLAS form; C is row-major. Vector
// shapes go to OpenBLAS's gemv/dot, which is what PyTorch calls for them too.
template <typename C>
void blas_product(int64_t m, int64_t n, int64_t k, C alpha, const BlasMatrix<C>& a, const BlasMatrix<C>& b, C beta,
                  const BlasMatrix<C>& c) {
  static_assert(kBlasComputes<C>);
#if NABLA_HAVE_BLAS
  if (m == 1 && n == 1) {
    C prod = alpha == C(0) ? C(0) : alpha * Blas<C>::dot(int(k), a.data, a.vector_inc(false), b.data, b.vector_inc(true));
    c.data[0] = beta == C(0) ? prod : prod + beta * c.data[0];
    return;
  }
  if (n == 1 || m == 1) {
    // OpenBLAS scales y by beta before accumulating; zero it ourselves so NaN there cannot leak.
    const BlasMatrix<C>& mat = n == 1 ? a : b;
    const BlasMatrix<C>& x = n == 1 ? b : a;
    int64_t len = n == 1 ? m : n;
    int y_inc = c.vector_inc(n == 1);
    if (beta == C(0))
      for (int64_t i = 0; i < len; ++i) c.data[i * y_inc] = C(0);
    // For m == 1, y^T = x^T B is y = B^T x: the same call with the transpose flipped.
    bool transposed = mat.transposed != (m == 1);
    int rows = int(!mat.transposed ? (n == 1 ? m : k) : (n == 1 ? k : n));
    int cols = int(!mat.transposed ? (n == 1 ? k : n) : (n == 1 ? m : k));
    Blas<C>::gemv(CblasRowMajor, cblas_transpose(transposed), rows, cols, alpha, mat.data, mat.ld, x.data,
                  x.vector_inc(n == 1), beta, c.data, y_inc);
    return;
  }
#endif
  if constexpr (kHaveOwnSgemm && std::is_same_v<C, float>) {
    own_sgemm(m, n, k, alpha, a.data, a.row_stride(), a.col_stride(), b.data, b.row_stride(), b.col_stride(), beta, c.data,
              c.ld);
  } else {
#if NABLA_HAVE_BLAS
    Blas<C>::gemm(CblasRowMajor, cblas_transpose(a.transposed), cblas_transpose(b.transposed), int(m), int(n), int(k),
                  alpha, a.data, a.ld, b.data, b.ld, beta, c.data, c.ld);
#endif
  }
}

// T is the storage type, C the BLAS compute type (float for the 16-bit floats).
template <typename T, typename C>
void blas_gemm(const GemmProblem& p, int64_t count) {
  const BlasPlan<T, C> plan(p);
  const C alpha = p.alpha.to<C>(), beta = p.beta.to<C>();
  const BatchOffsets offsets{p};
  T* a0 = static_cast<T*>(p.a.data);
  T* b0 = static_cast<T*>(p.b.data);
  T* c0 = static_cast<T*>(p.c.data);
  for_batches(p, count, [&](int64_t begin, int64_t end) {
    std::vector<C> scratch(plan.scratch_size());
    for (int64_t i = begin; i < end; ++i) {
      auto off = offsets(i);
      C* free = scratch.data();
      BlasMatrix<C> a = blas_operand(a0 + off[0], plan.a, plan.la, plan.pack_a, free);
      BlasMatrix<C> b = blas_operand(b0 + off[1], plan.b, plan.lb, plan.pack_b, free);
      T* c_data = c0 + off[2];
      if (!plan.stage_c) {
        blas_product<C>(p.m, p.n, p.k, alpha, a, b, beta, {reinterpret_cast<C*>(c_data), false, int(plan.lc.ld)});
        continue;
      }
      if (beta != C(0)) pack(c_data, plan.c, free);
      blas_product<C>(p.m, p.n, p.k, alpha, a, b, beta, {free, false, int(std::max<int64_t>(p.n, 1))});
      for (int64_t r = 0; r < p.m; ++r)
        for (int64_t j = 0; j < p.n; ++j) c_data[r * plan.c.row_stride + j * plan.c.col_stride] = T(free[r * p.n + j]);
    }
  });
}

// ---- Generic path: integers and bool, and floating products the BLAS path cannot take

// Integers accumulate in an unsigned type at least 32 bits wide: wrapping there and truncating at
// the end gives the same bits as PyTorch's wrap-around in the element type, without signed
// overflow. bool sums products and tests for nonzero, i.e. OR of ANDs.
template <typename T> struct GenericAcc {
  using type = std::conditional_t<!std::is_integral_v<T>, opmath_t<T>,
                                  std::conditional_t<(sizeof(T) <= 4), uint32_t, uint64_t>>;
};
template <typename T> using generic_acc_t = typename GenericAcc<T>::type;

template <typename T>
generic_acc_t<T> to_acc(T v) {
  return static_cast<generic_acc_t<T>>(v);
}
template <typename T>
T from_acc(generic_acc_t<T> v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0;
  else return static_cast<T>(v);
}

constexpr int64_t kRowBlock = 64, kDepthBlock = 256, kColBlock = 256;

template <typename T>
void generic_gemm(const GemmProblem& p, int64_t count) {
  using Acc = generic_acc_t<T>;
  const Acc alpha = to_acc<T>(p.alpha.to<T>()), beta = to_acc<T>(p.beta.to<T>());
  const bool alpha_zero = alpha == Acc(0), beta_zero = beta == Acc(0);
  const BatchOffsets offsets{p};
  const T* a0 = static_cast<const T*>(p.a.data);
  const T* b0 = static_cast<const T*>(p.b.data);
  T* c0 = static_cast<T*>(p.c.data);
  const int64_t row_blocks = (p.m + kRowBlock - 1) / kRowBlock;
  const int64_t block_work = std::max<int64_t>(kRowBlock * p.n * p.k, 1);
  // A task is one block of rows of one batch; every element's sum runs over k in order, so the
  // split never changes a result.
  parallel_for(count * row_blocks, std::max<int64_t>(kGrainSize / block_work, 1), [&](int64_t begin, int64_t end) {
    std::vector<Acc> a_pack(size_t(kRowBlock * kDepthBlock)), b_pack(size_t(kDepthBlock * kColBlock)),
        acc(size_t(kRowBlock * kColBlock));
    for (int64_t task = begin; task < end; ++task) {
      auto off = offsets(task / row_blocks);
      const T* a = a0 + off[0];
      const T* b = b0 + off[1];
      T* c = c0 + off[2];
      const int64_t i0 = (task % row_blocks) * kRowBlock, rows = std::min(kRowBlock, p.m - i0);
      for (int64_t j0 = 0; j0 < p.n; j0 += kColBlock) {
        const int64_t cols = std::min(kColBlock, p.n - j0);
        std::fill(acc.begin(), acc.end(), Acc(0));
        for (int64_t p0 = 0; p0 < p.k && !alpha_zero; p0 += kDepthBlock) {
          const int64_t depth = std::min(kDepthBlock, p.k - p0);
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t q = 0; q < depth; ++q)
              a_pack[i * depth + q] = to_acc(a[(i0 + i) * p.a.row_stride + (p0 + q) * p.a.col_stride]);
          for (int64_t q = 0; q < depth; ++q)
            for (int64_t j = 0; j < cols; ++j)
              b_pack[q * cols + j] = to_acc(b[(p0 + q) * p.b.row_stride + (j0 + j) * p.b.col_stride]);
          for (int64_t i = 0; i < rows; ++i) {
            Acc* acc_row = acc.data() + i * cols;
            for (int64_t q = 0; q < depth; ++q) {
              const Acc av = a_pack[i * depth + q];
              const Acc* b_row = b_pack.data() + q * cols;
              for (int64_t j = 0; j < cols; ++j) acc_row[j] += av * b_row[j];
            }
          }
        }
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t j = 0; j < cols; ++j) {
            T& out = c[(i0 + i) * p.c.row_stride + (j0 + j) * p.c.col_stride];
            Acc v = alpha * acc[i * cols + j];
            if (!beta_zero) v = v + beta * to_acc(out);
            out = from_acc<T>(v);
          }
      }
    }
  });
}

// ---- Entry -------------------------------------------------------------------------------------

void run(const GemmProblem& p, int64_t count) {
  visit_dtype(p.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool blas_sizes_fit = p.m <= INT_MAX && p.n <= INT_MAX && p.k > 0 && p.k <= INT_MAX;
    if constexpr (std::is_floating_point_v<T>) {
      if constexpr (kBlasComputes<T>)
        if (blas_sizes_fit) return blas_gemm<T, T>(p, count);
    } else if constexpr (std::is_same_v<opmath_t<T>, float> && !std::is_same_v<T, float>) {
      if constexpr (kBlasComputes<float>)
        if (blas_sizes_fit) return blas_gemm<T, float>(p, count);
    }
    generic_gemm<T>(p, count);
  });
}

void gemm(const GemmProblem& problem) {
  const int64_t count = numel_of(problem.batch_sizes);
  if (problem.m == 0 || problem.n == 0 || count == 0) return;
  // The common single product into a fresh output needs no rewriting.
  if (problem.batch_sizes.empty() && row_major(c_of(problem))) return run(problem, 1);
  GemmProblem p = problem;
  if (!row_major(c_of(p)) && layout_of(c_of(p)).ok) transpose_problem(p);
  coalesce_batch(p);
  fold_batch_into_rows(p);
  run(p, numel_of(p.batch_sizes));
}

}  // namespace
}  // namespace nabla::cpu

namespace nabla {
NB_REGISTER_KERNEL(gemm_kernel, kCPU, cpu::gemm);
}  // namespace nabla
