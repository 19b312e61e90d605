#pragma once
// The geometry of a GemmProblem (matmul.hpp) as both backends hand it to a BLAS library: which
// operands a library can read in place (row-major, or column-major = a transposed view), and the
// rewrites that turn a batched problem into fewer, larger library calls. One definition for the CPU
// (cblas) and CUDA (cuBLAS) kernels.
#include <algorithm>
#include <array>
#include <climits>
#include <utility>

#include "core/kernels/matmul.hpp"

namespace nabla::gemm {

struct Strided {
  int64_t rows, cols, row_stride, col_stride;
};

// How a BLAS reads a strided matrix in place: row-major, or column-major (`transposed`: the row-major
// transpose of what is stored), with leading dimension ld. Strides along size-1 dims are free, so
// they never disqualify a layout.
struct Layout {
  bool ok = false;
  bool transposed = false;
  int64_t ld = 1;
};

inline Layout layout_of(const Strided& x) {
  auto fits = [](int64_t ld) { return ld <= INT_MAX; };
  const int64_t min_row_ld = std::max<int64_t>(x.cols, 1), min_col_ld = std::max<int64_t>(x.rows, 1);
  if ((x.cols == 1 || x.col_stride == 1) && (x.rows == 1 || x.row_stride >= min_row_ld)) {
    const int64_t ld = x.rows == 1 ? min_row_ld : x.row_stride;
    if (fits(ld)) return {true, false, ld};
  }
  if ((x.rows == 1 || x.row_stride == 1) && (x.cols == 1 || x.col_stride >= min_col_ld)) {
    const int64_t ld = x.cols == 1 ? min_col_ld : x.col_stride;
    if (fits(ld)) return {true, true, ld};
  }
  return {};
}

inline Strided a_of(const GemmProblem& p) { return {p.m, p.k, p.a.row_stride, p.a.col_stride}; }
inline Strided b_of(const GemmProblem& p) { return {p.k, p.n, p.b.row_stride, p.b.col_stride}; }
inline Strided c_of(const GemmProblem& p) { return {p.m, p.n, p.c.row_stride, p.c.col_stride}; }

inline bool row_major(const Strided& x) {
  const Layout l = layout_of(x);
  return l.ok && !l.transposed;
}

// C^T = B^T A^T: turns a column-major C into a row-major one.
inline void transpose_problem(GemmProblem& p) {
  std::swap(p.a, p.b);
  std::swap(p.m, p.n);
  for (GemmMatrix* x : {&p.a, &p.b, &p.c}) std::swap(x->row_stride, x->col_stride);
}

// Drops size-1 batch dims and merges dims that step uniformly through all three matrices.
inline void coalesce_batch(GemmProblem& p) {
  DimVector sizes;
  std::array<DimVector, 3> strides;
  const std::array<GemmMatrix*, 3> mats = {&p.a, &p.b, &p.c};
  for (size_t d = 0; d < p.batch_sizes.size(); ++d) {
    const int64_t size = p.batch_sizes[d];
    if (size == 1) continue;
    bool merge = !sizes.empty();
    for (int x = 0; x < 3 && merge; ++x) merge = strides[x].back() == mats[x]->batch_strides[d] * size;
    if (merge) {
      sizes[sizes.size() - 1] *= size;
      for (int x = 0; x < 3; ++x) strides[x][strides[x].size() - 1] = mats[x]->batch_strides[d];
    } else {
      sizes.push_back(size);
      for (int x = 0; x < 3; ++x) strides[x].push_back(mats[x]->batch_strides[d]);
    }
  }
  p.batch_sizes = std::move(sizes);
  for (int x = 0; x < 3; ++x) mats[x]->batch_strides = std::move(strides[x]);
}

// A batch of A·B with B shared is one product with M = batch * m when the batch steps of A and C
// continue their row steps (an [N, m, k] input times a [k, n] weight).
inline void fold_batch_into_rows(GemmProblem& p) {
  if (p.batch_sizes.size() != 1 || p.b.batch_strides[0] != 0) return;
  GemmProblem folded = p;
  for (GemmMatrix* x : {&folded.a, &folded.c}) {
    if (p.m == 1) x->row_stride = x->batch_strides[0];
    if (x->batch_strides[0] != p.m * x->row_stride) return;
  }
  folded.m = p.m * p.batch_sizes[0];
  folded.batch_sizes = {};
  for (GemmMatrix* x : {&folded.a, &folded.b, &folded.c}) x->batch_strides = {};
  if (layout_of(a_of(folded)).ok && row_major(c_of(folded))) p = std::move(folded);
}

}  // namespace nabla::gemm
