#pragma once
// The part of the CBLAS interface that src/cpu/matmul.cpp calls, for builds without a BLAS library
// (CMake puts this directory on the include path only then). The CPU matmul is then correct but not
// fast: on the GPU test machine it is only the reference the CUDA results are compared with.
#ifdef __cplusplus
extern "C" {
#endif

typedef int blasint;
typedef enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 } CBLAS_ORDER;
typedef enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 } CBLAS_TRANSPOSE;

void cblas_sgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, blasint m, blasint n, blasint k,
                 float alpha, const float* a, blasint lda, const float* b, blasint ldb, float beta, float* c, blasint ldc);
void cblas_dgemm(CBLAS_ORDER order, CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, blasint m, blasint n, blasint k,
                 double alpha, const double* a, blasint lda, const double* b, blasint ldb, double beta, double* c,
                 blasint ldc);
void cblas_sgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE trans, blasint m, blasint n, float alpha, const float* a,
                 blasint lda, const float* x, blasint incx, float beta, float* y, blasint incy);
void cblas_dgemv(CBLAS_ORDER order, CBLAS_TRANSPOSE trans, blasint m, blasint n, double alpha, const double* a,
                 blasint lda, const double* x, blasint incx, double beta, double* y, blasint incy);
float cblas_sdot(blasint n, const float* x, blasint incx, const float* y, blasint incy);
double cblas_ddot(blasint n, const double* x, blasint incx, const double* y, blasint incy);

#ifdef __cplusplus
}
#endif
