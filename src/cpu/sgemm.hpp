#pragma once
// Note [Our sgemm]
// float32 products on AVX2+FMA machines run through a GEMM of our own (sgemm.cpp) rather than
// OpenBLAS. The training shapes that matter most are short and wide (a batch of 128 rows times a
// layer), where OpenBLAS's threading gained little on two cores and concurrent calls to it were
// serialised. Ours is the classic layout: A and B are packed into slivers of MR rows and NR
// columns, and a 6x16 register tile accumulates each element's dot product in order over k, one
// FMA per step. Each thread computes its own rectangle of C, so an element's sum never depends on
// the thread count: results are the same on every run and with any number of threads.
#include <cstdint>

namespace nabla::cpu {

#if defined(__AVX2__) && defined(__FMA__)
inline constexpr bool kHaveOwnSgemm = true;
#else
inline constexpr bool kHaveOwnSgemm = false;
#endif

// C = alpha A B + beta C, with A(i, l) = a[i * a_row_stride + l * a_col_stride] (m x k), B likewise
// (k x n) and C row-major with leading dimension ldc. beta == 0 never reads C, and alpha == 0
// never reads A or B, as in BLAS. Defined only where kHaveOwnSgemm.
void own_sgemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride,
               int64_t a_col_stride, const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta, float* c,
               int64_t ldc);

}  // namespace nabla::cpu
