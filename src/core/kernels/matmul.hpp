#pragma once
// The one linear-algebra kernel: a batched GEMM over arbitrary strides,
//   C[batch] = alpha * A[batch] @ B[batch] + beta * C[batch],
// which matmul, mm, bmm, addmm, dot and outer all reduce to. Transposes, broadcast batch dims
// and 1-D operands are expressed through strides, so the ops layer never copies an operand.
#include "core/dispatch.hpp"
#include "nabla/core/dtype.hpp"
#include "nabla/core/scalar.hpp"
#include "nabla/core/shape.hpp"

namespace nabla {

// Element (batch..., i, j) lives at data + sum(batch_index[d] * batch_strides[d]) + i * row_stride
// + j * col_stride, all in elements. A stride of 0 broadcasts; a stride along a dim of size 1 is
// never used.
struct GemmMatrix {
  void* data = nullptr;
  int64_t row_stride = 0, col_stride = 0;
  DimVector batch_strides;  // one per entry of GemmProblem::batch_sizes
};

struct GemmProblem {
  DType dtype = kFloat32;  // of all three matrices
  DimVector batch_sizes;   // empty for a single product
  int64_t m = 0, n = 0, k = 0;
  GemmMatrix a, b, c;  // a is m x k, b is k x n, c is m x n; c must not overlap a or b
  // beta == 0 writes c without reading it (NaN there does not propagate); alpha == 0 skips the
  // product, as BLAS does.
  Scalar alpha = 1, beta = 0;
};

using GemmFn = void (*)(const GemmProblem& problem);
inline constinit KernelSlot<GemmFn> gemm_kernel("gemm");

}  // namespace nabla
