// The unary element-wise ops: validate, choose the compute dtype, call the unary kernel; and their
// gradients, written with forward ops so that they differentiate again.
#include <cmath>
#include <limits>
#include <numbers>

#include "autograd/function.hpp"
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

// What a gradient formula reads: the input, the result, or nothing but the incoming gradient.
enum class Saves : uint8_t { kNothing, kInput, kResult };

Saves saved_by(UnaryOp op) {
  switch (op) {
    case UnaryOp::exp: case UnaryOp::expm1: case UnaryOp::sqrt: case UnaryOp::rsqrt: case UnaryOp::tan:
    case UnaryOp::tanh: case UnaryOp::sigmoid: case UnaryOp::relu: case UnaryOp::reciprocal:
      return Saves::kResult;
    case UnaryOp::neg: case UnaryOp::sign: case UnaryOp::floor: case UnaryOp::ceil: case UnaryOp::round:
    case UnaryOp::trunc:
      return Saves::kNothing;
    default:
      return Saves::kInput;
  }
}

// d op(x) / dx times g, in terms of the input x or the result y (whichever saved_by names).
Tensor unary_backward(UnaryOp op, const Tensor& g, const Tensor& x, const Tensor& y, const ElementwiseParams& p) {
  using std::numbers::pi;
  switch (op) {
    case UnaryOp::neg: return g.neg();
    case UnaryOp::abs: return g * x.sign();
    case UnaryOp::sign: case UnaryOp::floor: case UnaryOp::ceil: case UnaryOp::round: case UnaryOp::trunc:
      return zeros_like(g);
    case UnaryOp::exp: return g * y;
    case UnaryOp::expm1: return g * (y + 1);
    case UnaryOp::log: return g / x;
    case UnaryOp::log1p: return g / (x + 1);
    case UnaryOp::log2: return g / (x * std::numbers::ln2);
    case UnaryOp::sqrt: return g / (y * 2);
    case UnaryOp::rsqrt: return g * y.pow(3) * -0.5;
    case UnaryOp::sin: return g * x.cos();
    case UnaryOp::cos: return g * x.sin().neg();
    case UnaryOp::tan: return g * (y * y + 1);
    case UnaryOp::tanh: return g * (1 - y * y);
    case UnaryOp::sigmoid: return g * (1 - y) * y;
    case UnaryOp::relu: return where(y > 0, g, Scalar(0));
    case UnaryOp::gelu: {
      Tensor cdf = (erf(x * std::numbers::sqrt2 / 2) + 1) * 0.5;
      Tensor pdf = exp(x * x * -0.5) * (std::numbers::inv_sqrtpi * std::numbers::sqrt2 / 2);
      return g * (cdf + x * pdf);
    }
    case UnaryOp::gelu_tanh: {
      const double k = std::numbers::sqrt2 * std::numbers::inv_sqrtpi, c = 0.044715;
      Tensor inner = (x + x.pow(3) * c) * k;
      Tensor t = inner.tanh();
      Tensor d_inner = (x * x * (3 * c) + 1) * k;
      return g * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * d_inner);
    }
    case UnaryOp::silu: {
      Tensor s = x.sigmoid();
      return g * s * (x * (1 - s) + 1);
    }
    case UnaryOp::erf: return g * exp(x * x * -1) * (2 / std::sqrt(pi));
    case UnaryOp::reciprocal: return g * (y * y).neg();
    case UnaryOp::square: return g * x * 2;
    case UnaryOp::clamp: {
      Tensor inside = ones_like(x, kBool);
      if (p.has_min) inside = inside & (x >= p.min);
      if (p.has_max) inside = inside & (x <= p.max);
      return where(inside, g, Scalar(0));
    }
    default:
      fail<RuntimeError>(kUnaryOpNames[int(op)], ": the derivative is not implemented");
  }
}

// "exp" -> "ExpBackward0", as PyTorch names its nodes.
const char* backward_name(UnaryOp op) {
  static const auto names =
      backward_names(kUnaryOpNames, [](std::string_view n) -> std::string_view { return n == "gelu_tanh" ? "gelu" : n; });
  return names[size_t(op)].c_str();
}

void record_unary(UnaryOp op, const Tensor& x, const Tensor& out, const ElementwiseParams& p) {
  auto node = make_node(backward_name(op), {&x}, [op, p](FunctionNode& n, Grads& g) -> Grads {
    const Saves saves = saved_by(op);
    Tensor saved = saves == Saves::kNothing ? Tensor() : n.saved(0);
    return {unary_backward(op, g[0], saves == Saves::kInput ? saved : Tensor(), saves == Saves::kResult ? saved : Tensor(), p)};
  });
  if (saved_by(op) == Saves::kInput) node->save(x);
  if (saved_by(op) == Saves::kResult) node->save_output(out);
  set_history(out, std::move(node));
}

Tensor unary_op(UnaryOp op, const Tensor& x, const ElementwiseParams& p = {}, DType common = DType(255)) {
  check_defined(x, kUnaryOpNames[int(op)]);
  check_unary_dtype(op, common == DType(255) ? x.dtype() : common);
  auto types = elementwise_types(kUnaryTraits[int(op)].rule, common == DType(255) ? x.dtype() : common);
  Tensor in = x.to(types.compute);
  Tensor out = make_empty(x.sizes(), types.result, x.device());
  unary_kernel(x.device())(op, *in.impl(), *out.impl(), p);
  if (grad_needed(in) && is_floating(types.result)) record_unary(op, in, out, p);
  return out;
}

Tensor& unary_op_(UnaryOp op, Tensor& x, const ElementwiseParams& p = {}, DType common = DType(255)) {
  const char* name = kUnaryOpNames[int(op)];
  check_defined(x, name);
  check_unary_dtype(op, common == DType(255) ? x.dtype() : common);
  auto types = elementwise_types(kUnaryTraits[int(op)].rule, common == DType(255) ? x.dtype() : common);
  check_inplace_cast(types.result, x.dtype(), name);
  if (grad_needed(x)) return record_inplace(x, name, [&] { return unary_op(op, x, p, common); });
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
