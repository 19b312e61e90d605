// The unary element-wise ops: validate, choose the compute dtype, call the unary kernel.
#include <limits>

#include "core/kernels/copy.hpp"
#include "ops/elementwise.hpp"
#include "nabla/op_table.hpp"

namespace nabla {
namespace {

struct UnaryTraits {
  ResultRule rule;
  DTypeMask dtypes;
};
constexpr UnaryTraits kUnaryTraits[] = {
#define NB_UNARY_OP(name, result, dtypes, diff) {ResultRule::result, dtypes},
#include "core/unary_ops.def"
#undef NB_UNARY_OP
};

void check_unary_dtype(UnaryOp op, DType t) {
  const char* name = kUnaryOpNames[int(op)];
  NB_CHECK(!(op == UnaryOp::neg && t == kBool), TypeError,
           "neg: Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
           "use the `~` or `logical_not()` operator instead.");
  NB_CHECK(kUnaryTraits[int(op)].dtypes & dtype_bit(t), TypeError, name, ": not implemented for dtype ",
           dtype_name(t), is_floating(t) ? "" : "; convert the input with .to(nabla::kFloat32) first");
}

Tensor unary_op(UnaryOp op, const Tensor& x, const ElementwiseParams& p = {}, DType common = DType(255)) {
  check_defined(x, kUnaryOpNames[int(op)]);
  check_unary_dtype(op, common == DType(255) ? x.dtype() : common);
  auto types = elementwise_types(kUnaryTraits[int(op)].rule, common == DType(255) ? x.dtype() : common);
  Tensor in = x.to(types.compute);
  Tensor out = make_empty(x.sizes(), types.result, x.device());
  unary_kernel(x.device())(op, *in.impl(), *out.impl(), p);
  return out;
}

Tensor& unary_op_(UnaryOp op, Tensor& x, const ElementwiseParams& p = {}, DType common = DType(255)) {
  const char* name = kUnaryOpNames[int(op)];
  check_defined(x, name);
  check_unary_dtype(op, common == DType(255) ? x.dtype() : common);
  auto types = elementwise_types(kUnaryTraits[int(op)].rule, common == DType(255) ? x.dtype() : common);
  check_inplace_cast(types.result, x.dtype(), name);
  begin_write(x, name);
  if (types.compute == x.dtype() && types.result == x.dtype()) {
    unary_kernel(x.device())(op, *x.impl(), *x.impl(), p);
  } else {
    Tensor in = x.to(types.compute);
    Tensor out = make_empty(x.sizes(), types.result, x.device());
    unary_kernel(x.device())(op, *in.impl(), *out.impl(), p);
    copy_kernel(x.device())(*out.impl(), *x.impl());
  }
  return x;
}

ElementwiseParams clamp_params(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max, DType& common) {
  NB_CHECK(min || max, RuntimeError, "clamp: At least one of 'min' or 'max' must not be None");
  ElementwiseParams p;
  std::vector<PromotionOperand> ops = {operand_of(x.dtype(), x.dim())};
  if (min) { p.has_min = true; p.min = *min; ops.push_back(operand_of(*min)); }
  if (max) { p.has_max = true; p.max = *max; ops.push_back(operand_of(*max)); }
  common = result_type(ops);
  return p;
}

}  // namespace

bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != kBool && to == kBool) return false;
  return true;
}

void check_inplace_cast(DType result, DType self, const char* op) {
  NB_CHECK(can_cast(result, self), RuntimeError, op, ": result type ", dtype_name(result),
           " can't be cast to the desired output type ", dtype_name(self),
           "; use the out-of-place op, or convert self first with .to(nabla::k", is_floating(result) ? "Float32" : "Int64", ")");
}

#define NB_DEFINE_UNARY(name)                                                  \
  Tensor name(const Tensor& x) { return unary_op(UnaryOp::name, x); }          \
  Tensor Tensor::name() const { return unary_op(UnaryOp::name, *this); }       \
  Tensor& Tensor::name##_() { return unary_op_(UnaryOp::name, *this); }
NB_DEFINE_UNARY(neg) NB_DEFINE_UNARY(abs) NB_DEFINE_UNARY(sign) NB_DEFINE_UNARY(exp) NB_DEFINE_UNARY(expm1)
NB_DEFINE_UNARY(log) NB_DEFINE_UNARY(log1p) NB_DEFINE_UNARY(log2) NB_DEFINE_UNARY(sqrt) NB_DEFINE_UNARY(rsqrt)
NB_DEFINE_UNARY(sin) NB_DEFINE_UNARY(cos) NB_DEFINE_UNARY(tan) NB_DEFINE_UNARY(tanh) NB_DEFINE_UNARY(sigmoid)
NB_DEFINE_UNARY(relu) NB_DEFINE_UNARY(silu) NB_DEFINE_UNARY(erf) NB_DEFINE_UNARY(floor) NB_DEFINE_UNARY(ceil)
NB_DEFINE_UNARY(round) NB_DEFINE_UNARY(trunc) NB_DEFINE_UNARY(reciprocal)
NB_DEFINE_UNARY(logical_not) NB_DEFINE_UNARY(bitwise_not)
#undef NB_DEFINE_UNARY

// square is pow(x, 2): a bool tensor squares to int64, as with any Python-int exponent.
Tensor square(const Tensor& x) {
  check_defined(x, "square");
  return unary_op(UnaryOp::square, x, {}, x.dtype() == kBool ? kInt64 : x.dtype());
}
Tensor Tensor::square() const { return nabla::square(*this); }
Tensor& Tensor::square_() { return unary_op_(UnaryOp::square, *this, {}, dtype() == kBool ? kInt64 : dtype()); }

Tensor isnan(const Tensor& x) { return unary_op(UnaryOp::isnan, x); }
Tensor isinf(const Tensor& x) { return unary_op(UnaryOp::isinf, x); }
Tensor Tensor::isnan() const { return nabla::isnan(*this); }
Tensor Tensor::isinf() const { return nabla::isinf(*this); }

Tensor gelu(const Tensor& x, const std::string& approximate) {
  NB_CHECK(approximate == "none" || approximate == "tanh", ValueError,
           "gelu: approximate argument must be either none or tanh (got '", approximate, "')");
  return unary_op(approximate == "tanh" ? UnaryOp::gelu_tanh : UnaryOp::gelu, x);
}
Tensor Tensor::gelu(const std::string& approximate) const { return nabla::gelu(*this, approximate); }

Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  check_defined(x, "clamp");
  DType common;
  ElementwiseParams p = clamp_params(x, min, max, common);
  return unary_op(UnaryOp::clamp, x, p, common);
}
Tensor Tensor::clamp(std::optional<Scalar> min, std::optional<Scalar> max) const { return nabla::clamp(*this, min, max); }
Tensor& Tensor::clamp_(std::optional<Scalar> min, std::optional<Scalar> max) {
  check_defined(*this, "clamp_");
  DType common;
  ElementwiseParams p = clamp_params(*this, min, max, common);
  return unary_op_(UnaryOp::clamp, *this, p, common);
}

}  // namespace nabla
