// The CBLAS routines of cblas.h for builds without a BLAS library: a cache-blocked GEMM (tiles of A
// and B packed contiguously, so the inner loop streams a row of the B tile into a row of C, which the
// compiler vectorises; OpenMP splits the rows of C), and plain loops for GEMV and DOT, which the
// matmul only uses for vector shapes. Results follow BLAS: beta == 0 overwrites the output (NaN there
// does not survive), alpha == 0 skips the product.
#include "cblas.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

constexpr int64_t kBlockM = 64, kBlockN = 256, kBlockK = 256;

// Element (i, j) of op(X) for a row-major X with leading dimension ld.
template <typename T>
struct Operand {
  const T* data;
  int64_t ld;
  bool trans;
  T operator()(int64_t i, int64_t j) const { return trans ? data[j * ld + i] : data[i * ld + j]; }
};

// Element i of a BLAS vector: a negative increment walks it from the far end.
template <typename T>
T& at(T* x, int64_t len, int64_t inc, int64_t i) {
  return inc >= 0 ? x[i * inc] : x[(len - 1 - i) * -inc];
}

template <typename T>
void scale_output(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
}

template <typename T>
void gemm_row_major(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                    const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  scale_output(m, n, beta, c, ldc);
  if (alpha == T(0) || k == 0) return;
  const Operand<T> op_a{a, lda, trans_a}, op_b{b, ldb, trans_b};
  const int64_t row_blocks = (m + kBlockM - 1) / kBlockM;
#pragma omp parallel for schedule(dynamic) if (row_blocks > 1 && m * n * k > (int64_t(1) << 18))
  for (int64_t rb = 0; rb < row_blocks; ++rb) {
    std::vector<T> a_tile(size_t(kBlockM * kBlockK)), b_tile(size_t(kBlockK * kBlockN));
    const int64_t i0 = rb * kBlockM, mb = std::min(kBlockM, m - i0);
    for (int64_t p0 = 0; p0 < k; p0 += kBlockK) {
      const int64_t kb = std::min(kBlockK, k - p0);
      for (int64_t i = 0; i < mb; ++i)
        for (int64_t p = 0; p < kb; ++p) a_tile[size_t(i * kb + p)] = alpha * op_a(i0 + i, p0 + p);
      for (int64_t j0 = 0; j0 < n; j0 += kBlockN) {
        const int64_t nb = std::min(kBlockN, n - j0);
        for (int64_t p = 0; p < kb; ++p)
          for (int64_t j = 0; j < nb; ++j) b_tile[size_t(p * nb + j)] = op_b(p0 + p, j0 + j);
        for (int64_t i = 0; i < mb; ++i) {
          T* row = c + (i0 + i) * ldc + j0;
          for (int64_t p = 0; p < kb; ++p) {
            const T scale = a_tile[size_t(i * kb + p)];
            const T* b_row = b_tile.data() + p * nb;
            for (int64_t j = 0; j < nb; ++j) row[j] += scale * b_row[j];
          }
        }
      }
    }
  }
}

// A column-major product is the row-major product of the transposes: C^T = op(B)^T op(A)^T.
template <typename T>
void gemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, blasint m, blasint n, blasint k, T alpha,
          const T* a, blasint lda, const T* b, blasint ldb, T beta, T* c, blasint ldc) {
  const bool trans_a = ta != CblasNoTrans, trans_b = tb != CblasNoTrans;
  if (order == CblasRowMajor)
    gemm_row_major<T>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    gemm_row_major<T>(trans_b, trans_a, n, m, k, alpha, b, ldb, a, lda, beta, c, ldc);
}

template <typename T>
void gemv(CBLAS_ORDER order, CBLAS_TRANSPOSE trans, blasint m, blasint n, T alpha, const T* a, blasint lda,
          const T* x, blasint incx, T beta, T* y, blasint incy) {
  // A column-major A is the row-major A^T: the other transpose of the swapped shape.
  bool transposed = trans != CblasNoTrans;
  if (order == CblasColMajor) std::swap(m, n), transposed = !transposed;
  const int64_t out_len = transposed ? n : m, in_len = transposed ? m : n;
  std::vector<T> acc(size_t(out_len), T(0));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const T v = a[i * lda + j];
      if (transposed)
        acc[size_t(j)] += v * at(x, in_len, incx, i);
      else
        acc[size_t(i)] += v * at(x, in_len, incx, j);
    }
  for (int64_t i = 0; i < out_len; ++i) {
    T& out = at(y, out_len, incy, i);
    const T product = alpha == T(0) ? T(0) : alpha * acc[size_t(i)];
    out = beta == T(0) ? product : beta * out + product;
  }
}

template <typename T>
T dot(blasint n, const T* x, blasint incx, const T* y, blasint incy) {
  T sum = T(0);
  for (int64_t i = 0; i < n; ++i) sum += at(x, n, incx, i) * at(y, n, incy, i);
  return sum;
}

}  // namespace

extern "C" {

void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, blasint m, blasint n, blasint k,
                 float alpha, const float* a, blasint lda, const float* b, blasint ldb, float beta, float* c,
                 blasint ldc) {
  gemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, blasint m, blasint n, blasint k,
                 double alpha, const double* a, blasint lda, const double* b, blasint ldb, double beta, double* c,
                 blasint ldc) {
  gemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void cblas_sgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE trans, blasint m, blasint n, float alpha, const float* a,
                 blasint lda, const float* x, blasint incx, float beta, float* y, blasint incy) {
  gemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}
void cblas_dgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE trans, blasint m, blasint n, double alpha, const double* a,
                 blasint lda, const double* x, blasint incx, double beta, double* y, blasint incy) {
  gemv(order, trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}
float cblas_sdot(blasint n, const float* x, blasint incx, const float* y, blasint incy) {
  return dot(n, x, incx, y, incy);
}
double cblas_ddot(blasint n, const double* x, blasint incx, const double* y, blasint incy) {
  return dot(n, x, incx, y, incy);
}

}  // extern "C"
