// np.dot and np.matmul on top of nabla's matmul (one strided batched GEMM). Bool products are computed
// in int64 and turned back into bools, which is NumPy's logical sum of products.
#include "np/common.hpp"
#include "nabla/ops.hpp"

namespace nabla::np {
namespace {

Tensor as_compute(const ndarray& a, DType r) { return a.tensor().to(r == kBool ? kInt64 : r); }

ndarray finish_product(Tensor r, DType dtype) { return adopt(dtype == kBool ? nabla::ne(r, 0) : std::move(r)); }

}  // namespace

ndarray dot(const ndarray& a, const ndarray& b) {
  check_defined(a, "dot");
  check_defined(b, "dot");
  if (a.ndim() == 0 || b.ndim() == 0) return multiply(a, b);
  const DType r = result_type(a.dtype(), b.dtype());
  const int64_t bk = b.ndim() == 1 ? 0 : b.ndim() - 2;  // b's contracted axis
  const int64_t k = a.shape()[a.ndim() - 1];
  NB_CHECK(k == b.shape()[bk], ValueError, "shapes ", tuple_repr(a.shape(), ","), " and ", tuple_repr(b.shape(), ","),
           " not aligned: ", k, " (dim ", a.ndim() - 1, ") != ", b.shape()[bk], " (dim ", bk, ")");
  // a as (rows, k) and b as (k, columns), b's contracted axis moved first; the result takes a's leading
  // axes followed by b's remaining ones.
  DimVector out_shape, b_order{bk};
  int64_t rows = 1, columns = 1;
  for (int64_t d = 0; d + 1 < a.ndim(); ++d) rows *= a.shape()[d], out_shape.push_back(a.shape()[d]);
  for (int64_t d = 0; d < b.ndim(); ++d) {
    if (d == bk) continue;
    b_order.push_back(d);
    columns *= b.shape()[d];
    out_shape.push_back(b.shape()[d]);
  }
  const Tensor a2 = as_compute(a, r).reshape({rows, k});
  const Tensor b2 = as_compute(b, r).permute(b_order).reshape({k, columns});
  return finish_product(nabla::matmul(a2, b2).reshape(out_shape), r);
}

ndarray matmul(const ndarray& a, const ndarray& b) {
  check_defined(a, "matmul");
  check_defined(b, "matmul");
  const char* signature = "(n?,k),(k,m?)->(n?,m?)";
  for (int i = 0; i < 2; ++i) {
    const ndarray& x = i == 0 ? a : b;
    NB_CHECK(x.ndim() > 0, ValueError, "matmul: Input operand ", i, " does not have enough dimensions (has 0, gufunc "
             "core with signature ", signature, " requires 1)");
  }
  const int64_t ka = a.shape()[a.ndim() - 1], kb = b.shape()[b.ndim() == 1 ? 0 : b.ndim() - 2];
  NB_CHECK(ka == kb, ValueError, "matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
           "signature ", signature, " (size ", kb, " is different from ", ka, ")");
  const DType r = result_type(a.dtype(), b.dtype());
  return finish_product(nabla::matmul(as_compute(a, r), as_compute(b, r)), r);
}

}  // namespace nabla::np
