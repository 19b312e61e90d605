// matmul, mm, bmm, addmm, dot, outer: validation and shapes here, every product in gemm_kernel.
// Operands reach the kernel as strides (a 1-D operand is a row or a column, a broadcast batch dim
// has stride 0), so no operand is copied or reshaped on the way. The gradients are products too.
#include <algorithm>
#include <array>
#include <string_view>

#include "autograd/function.hpp"
#include "core/kernels/copy.hpp"
#include "core/kernels/matmul.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

// PyTorch requires one dtype for both operands and has no bool kernels for products.
void check_operand_dtypes(const char* op, const Tensor& a, const Tensor& b) {
  NB_CHECK(a.dtype() == b.dtype(), RuntimeError, op, ": expected both operands to have the same dtype, but got ",
           dtype_str(a.dtype()), " and ", dtype_str(b.dtype()), "; convert one of them first, e.g. b.to(a.dtype())");
  NB_CHECK(a.dtype() != kBool, RuntimeError, op, ": not implemented for bool tensors (as in PyTorch); ",
           "convert them first, e.g. a.to(int64)");
}

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
  check_defined(a, op);
  check_defined(b, op);
  check_same_device(a, b, op);
}

void check_dims(const char* op, const Tensor& a, const Tensor& b, int64_t want) {
  NB_CHECK(a.dim() == want && b.dim() == want, RuntimeError, op, ": expected ", want, "-D tensors, but got ", a.dim(),
           "-D and ", b.dim(), "-D (shapes ", shape_str(a.sizes()), " and ", shape_str(b.sizes()), ")");
}

// A [..., m, k] operand, or a 1-D one read as a single row (as_row) or column, viewed over the
// broadcast batch shape.
GemmMatrix matrix_of(const Tensor& t, bool as_row, IntArrayRef batch) {
  GemmMatrix m;
  m.data = t.data_ptr();
  if (t.dim() == 1) {
    (as_row ? m.col_stride : m.row_stride) = t.stride(0);
    m.batch_strides = DimVector(batch.size(), 0);
    return m;
  }
  m.row_stride = t.stride(-2);
  m.col_stride = t.stride(-1);
  IntArrayRef lead(t.sizes().data(), size_t(t.dim() - 2));
  m.batch_strides = broadcast_strides(lead, IntArrayRef(t.strides().data(), lead.size()), batch);
  return m;
}

// C = alpha * a @ b + beta * C over the batch, into `out` (contiguous, [batch..., m, n] in memory
// whatever its nominal shape).
void run_gemm(GemmMatrix a, GemmMatrix b, const Tensor& out, DimVector batch, int64_t m, int64_t n, int64_t k,
              const Scalar& alpha, const Scalar& beta) {
  GemmProblem p;
  p.dtype = out.dtype();
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = std::move(a);
  p.b = std::move(b);
  p.c.data = out.data_ptr();
  p.c.row_stride = n;
  p.c.col_stride = 1;
  p.c.batch_strides = contiguous_strides(batch);
  for (auto& s : p.c.batch_strides) s *= m * n;
  p.batch_sizes = std::move(batch);
  p.alpha = alpha;
  p.beta = beta;
  gemm_kernel(out.device())(p);
}

// The gradients of a @ b (matmul's rules) for the operands that need them; each reads only the other
// operand (a is undefined when b needs no gradient, and b when a needs none). 1-D operands become a
// row (a) or a column (b) and the gradient gets the matching unit dims; the node sums the gradient
// over broadcast batch dims.
struct ProductDims {
  int64_t a, b;
  bool b_transposed = false;  // b is a 2-D transpose of a contiguous matrix, as Linear's weight.t() is
};
ProductDims dims_of(const Tensor& a, const Tensor& b) {
  const bool transposed = b.dim() == 2 && b.size(0) > 1 && b.size(1) > 1 && b.stride(0) == 1 && b.stride(1) == b.size(0);
  return {a.dim(), b.dim(), transposed};
}
std::array<Tensor, 2> product_backward(const Tensor& g, const Tensor& a, const Tensor& b, ProductDims dims,
                                       bool need_a, bool need_b) {
  Tensor g2 = dims.b == 1 ? g.unsqueeze(-1) : g;
  if (dims.a == 1) g2 = g2.unsqueeze(-2);
  Tensor ga, gb;
  if (need_a) {
    const Tensor b2 = dims.b == 1 ? b.unsqueeze(-1) : b;
    ga = matmul(g2, b2.transpose(-1, -2));
    if (dims.a == 1) ga = ga.squeeze(-2);
  }
  if (need_b) {
    const Tensor a2 = dims.a == 1 ? a.unsqueeze(0) : a;
    if (dims.b_transposed && dims.a == 2) {
      // The gradient gets b's own layout, so that it arrives at the matrix b was transposed from as a
      // contiguous tensor that the leaf can keep without a copy.
      gb = mm(g2.t(), a2).t();
    } else if (dims.b == 2 && dims.a > 2) {
      // A matrix shared by a batch: one product over the batch's rows instead of one per batch entry.
      gb = mm(a2.reshape({-1, a2.size(-1)}).t(), g2.reshape({-1, g2.size(-1)}));
    } else {
      gb = matmul(a2.transpose(-1, -2), g2);
    }
    if (dims.b == 1) gb = gb.squeeze(-1);
  }
  return {ga, gb};
}

// PyTorch's node names: matmul is built from dot, mv, mm and bmm there, and names what it ran last.
const char* product_grad_name(std::string_view op, const Tensor& a, const Tensor& b) {
  if (op == "mm") return "MmBackward0";
  if (op == "bmm") return "BmmBackward0";
  if (op == "dot" || (a.dim() == 1 && b.dim() == 1)) return "DotBackward0";
  if (a.dim() == 2 && b.dim() == 1) return "MvBackward0";
  if (a.dim() == 2 && b.dim() == 2) return "MmBackward0";
  if (a.dim() == 1 && b.dim() == 2) return "SqueezeBackward3";
  return "UnsafeViewBackward0";
}

void record_product(const char* op, const Tensor& a, const Tensor& b, const Tensor& out) {
  auto node = make_node(product_grad_name(op, a, b), {&a, &b},
                        [dims = dims_of(a, b)](FunctionNode& n, Grads& g) -> Grads {
    auto [ga, gb] = product_backward(g[0], n.saved(0), n.saved(1), dims, n.needs_grad(0), n.needs_grad(1));
    return {ga, gb};
  });
  // Each operand's gradient reads only the other operand.
  node->save(node->needs_grad(1) ? a : Tensor());
  node->save(node->needs_grad(0) ? b : Tensor());
  set_history(out, std::move(node));
}

// The product of two operands of at least 1-D, with matmul's rules: [..., m, k] @ [..., k, n] with
// broadcast batch dims; a 1-D left operand is a row and a 1-D right operand a column, each
// dropped from the result.
Tensor product(const char* op, const Tensor& a, const Tensor& b) {
  const int64_t k = a.size(-1), k_b = b.dim() == 1 ? b.size(0) : b.size(-2);
  NB_CHECK(k == k_b, RuntimeError, op, ": shapes ", shape_str(a.sizes()), " and ", shape_str(b.sizes()),
           " cannot be multiplied (", k, " != ", k_b, ")");
  check_operand_dtypes(op, a, b);
  const int64_t m = a.dim() >= 2 ? a.size(-2) : 1, n = b.dim() >= 2 ? b.size(-1) : 1;
  const size_t lead_a = size_t(std::max<int64_t>(a.dim() - 2, 0)), lead_b = size_t(std::max<int64_t>(b.dim() - 2, 0));
  const size_t nbatch = std::max(lead_a, lead_b);
  DimVector batch(nbatch, 1);
  for (size_t i = 0; i < nbatch; ++i) {
    int64_t sa = i + lead_a >= nbatch ? a.sizes()[i + lead_a - nbatch] : 1;
    int64_t sb = i + lead_b >= nbatch ? b.sizes()[i + lead_b - nbatch] : 1;
    NB_CHECK(sa == sb || sa == 1 || sb == 1, RuntimeError, op, ": the batch dimensions of shapes ",
             shape_str(a.sizes()), " and ", shape_str(b.sizes()), " cannot be broadcast (", sa, " != ", sb,
             " at batch dimension ", i, ")");
    batch[i] = sa == 1 ? sb : sa;
  }
  DimVector shape = batch;
  if (a.dim() >= 2) shape.push_back(m);
  if (b.dim() >= 2) shape.push_back(n);
  Tensor out = make_empty(shape, a.dtype(), a.device());
  GemmMatrix ma = matrix_of(a, /*as_row=*/true, batch), mb = matrix_of(b, /*as_row=*/false, batch);
  run_gemm(std::move(ma), std::move(mb), out, std::move(batch), m, n, k, 1, 0);
  if (is_floating(out.dtype()) && grad_needed(a, b)) record_product(op, a, b, out);
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands("matmul", a, b);
  NB_CHECK(a.dim() >= 1 && b.dim() >= 1, RuntimeError, "both arguments to matmul need to be at least 1D, but they are ",
           a.dim(), "D and ", b.dim(), "D");
  return product("matmul", a, b);
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_operands("mm", a, b);
  check_dims("mm", a, b, 2);
  return product("mm", a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_operands("bmm", a, b);
  check_dims("bmm", a, b, 3);
  NB_CHECK(a.size(0) == b.size(0), RuntimeError, "bmm: the batch sizes of shapes ", shape_str(a.sizes()), " and ",
           shape_str(b.sizes()), " differ (", a.size(0), " != ", b.size(0), "); bmm does not broadcast, matmul does");
  return product("bmm", a, b);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_operands("dot", a, b);
  check_dims("dot", a, b, 1);
  return product("dot", a, b);
}

Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) {
  check_defined(bias, "addmm");
  check_operands("addmm", a, b);
  check_same_device(bias, a, "addmm");
  check_dims("addmm", a, b, 2);
  NB_CHECK(a.size(1) == b.size(0), RuntimeError, "addmm: shapes ", shape_str(a.sizes()), " and ",
           shape_str(b.sizes()), " cannot be multiplied (", a.size(1), " != ", b.size(0), ")");
  NB_CHECK(bias.dtype() == a.dtype(), RuntimeError, "addmm: expected the bias to have the operands' dtype ",
           dtype_str(a.dtype()), ", but got ", dtype_str(bias.dtype()), "; convert it first with .to(",
           dtype_str(a.dtype()), ")");
  check_operand_dtypes("addmm", a, b);
  const int64_t m = a.size(0), n = b.size(1);
  const int64_t out_shape[] = {m, n};
  bool broadcasts = bias.dim() <= 2;
  for (int64_t d = 0; d < bias.dim() && broadcasts; ++d) {
    int64_t s = bias.sizes()[size_t(d)], want = out_shape[2 - bias.dim() + d];
    broadcasts = s == want || s == 1;
  }
  NB_CHECK(broadcasts, RuntimeError, "addmm: the bias of shape ", shape_str(bias.sizes()),
           " cannot be broadcast to the product's shape ", shape_str(IntArrayRef(out_shape, 2)));
  Tensor out = make_empty({m, n}, a.dtype(), a.device());
  // With beta == 0 the bias is never read (PyTorch ignores NaN there too).
  if (beta.to_double() != 0) copy_kernel(out.device())(*bias.impl(), *out.impl());
  run_gemm(matrix_of(a, true, {}), matrix_of(b, false, {}), out, {}, m, n, a.size(1), alpha, beta);
  if (is_floating(out.dtype()) && grad_needed(bias, a, b)) {
    auto node = make_node("AddmmBackward0", {&bias, &a, &b}, [beta, alpha, dims = dims_of(a, b)](FunctionNode& n,
                                                                                                   Grads& g) -> Grads {
      auto scaled = [](const Tensor& t, const Scalar& s) { return s.to_double() == 1 ? t : t * s; };
      Tensor gbias = n.needs_grad(0) ? scaled(g[0], beta) : Tensor();
      auto [ga, gb] =
          product_backward(scaled(g[0], alpha), n.saved(0), n.saved(1), dims, n.needs_grad(1), n.needs_grad(2));
      return {gbias, ga, gb};
    });
    node->save(node->needs_grad(2) ? a : Tensor());
    node->save(node->needs_grad(1) ? b : Tensor());
    set_history(out, std::move(node));
  }
  return out;
}

// out[i, j] = a[i] * b[j] with the promoted dtype: a product over k = 1, so bool works here.
Tensor outer(const Tensor& a, const Tensor& b) {
  check_operands("outer", a, b);
  check_dims("outer", a, b, 1);
  PromotionOperand ops[] = {operand_of(a.dtype(), a.dim()), operand_of(b.dtype(), b.dim())};
  DType dtype = result_type(ops);
  Tensor ca = a.to(dtype), cb = b.to(dtype);
  const int64_t m = a.size(0), n = b.size(0);
  Tensor out = make_empty({m, n}, dtype, a.device());
  run_gemm(matrix_of(ca, /*as_row=*/false, {}), matrix_of(cb, /*as_row=*/true, {}), out, {}, m, n, 1, 1, 0);
  if (is_floating(dtype) && grad_needed(ca, cb)) {
    // torch computes outer as a * b broadcast, hence the name.
    auto node = make_node("MulBackward0", {&ca, &cb}, [](FunctionNode& n, Grads& g) -> Grads {
      return {n.needs_grad(0) ? matmul(g[0], n.saved(1)) : Tensor(),
              n.needs_grad(1) ? matmul(n.saved(0), g[0]) : Tensor()};
    });
    node->save(node->needs_grad(1) ? ca : Tensor());
    node->save(node->needs_grad(0) ? cb : Tensor());
    set_history(out, std::move(node));
  }
  return out;
}

Tensor Tensor::matmul(const Tensor& o) const { return nabla::matmul(*this, o); }
Tensor Tensor::mm(const Tensor& o) const { return nabla::mm(*this, o); }
Tensor Tensor::bmm(const Tensor& o) const { return nabla::bmm(*this, o); }
Tensor Tensor::dot(const Tensor& o) const { return nabla::dot(*this, o); }
Tensor Tensor::outer(const Tensor& o) const { return nabla::outer(*this, o); }

}  // namespace nabla
