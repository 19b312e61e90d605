// The binary element-wise ops: promote (torch.result_type), broadcast, call the binary kernel; and
// their gradients, written with forward ops so that they differentiate again.
#include <algorithm>
#include <array>
#include <cmath>

#include "autograd/function.hpp"
#include "core/kernels/copy.hpp"
#include "ops/elementwise.hpp"
#include "nabla/op_table.hpp"

namespace nabla {
namespace {

struct BinaryTraits {
  ResultRule rule;
  DTypeMask dtypes;
};
constexpr BinaryTraits kBinaryTraits[] = {
#define NB_BINARY_OP(name, result, dtypes, diff) {ResultRule::result, dtypes},
#include "core/binary_ops.def"
#undef NB_BINARY_OP
};

// A tensor or a scalar: the two kinds of operand every binary op accepts.
struct Operand {
  const Tensor* tensor = nullptr;
  const Scalar* scalar = nullptr;
  Operand(const Tensor& t) : tensor(&t) {}
  Operand(const Scalar& s) : scalar(&s) {}
  PromotionOperand promotion() const { return tensor ? operand_of(tensor->dtype(), tensor->dim()) : operand_of(*scalar); }
  bool is_bool() const { return tensor ? tensor->dtype() == kBool : scalar->is_bool(); }
  Tensor as(DType dtype, Device device) const { return tensor ? tensor->to(dtype) : scalar_tensor(*scalar, dtype, device); }
  DimVector sizes() const { return tensor ? tensor->sizes() : DimVector(); }
};

std::string describe(const Operand& x) {
  return x.tensor ? std::string(dtype_name(x.tensor->dtype())) + " tensor"
                  : "a " + std::string(dtype_name(x.scalar->default_dtype())) + " scalar";
}

void check_binary_dtype(BinaryOp op, DType common, const Operand& a, const Operand& b, const ElementwiseParams& p) {
  const char* name = kBinaryOpNames[int(op)];
  NB_CHECK(!(op == BinaryOp::sub && a.is_bool() && b.is_bool()), RuntimeError,
           "sub: Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
           "operator instead.");
  NB_CHECK(!(op == BinaryOp::sub && (a.is_bool() || b.is_bool())), RuntimeError,
           "sub: Subtraction, the `-` operator, with a bool tensor is not supported (operands ", describe(a), " and ",
           describe(b), "). If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
  NB_CHECK(!((op == BinaryOp::add || op == BinaryOp::sub) && !is_floating(common) && p.alpha.is_floating()),
           RuntimeError, name, ": For integral input tensors, argument alpha must not be a floating point number.");
  NB_CHECK(kBinaryTraits[int(op)].dtypes & dtype_bit(common), TypeError, name, ": not implemented for dtype ",
           dtype_name(common), " (operands promote to ", dtype_name(common), ")",
           is_floating(common) ? "; this op needs integer or bool operands" : "");
}

Device device_of(const Operand& a, const Operand& b, const char* op) {
  if (a.tensor && b.tensor) check_same_device(*a.tensor, *b.tensor, op);
  return a.tensor ? a.tensor->device() : b.tensor->device();
}

// Gradients of op(a, b) with respect to a and b (broadcast shape; the node sums them back). `a`/`b`
// are undefined when the formula does not need them, `out` when it does not need the result.
std::array<Tensor, 2> binary_backward(BinaryOp op, const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& out,
                                      const Scalar& alpha, bool need_a, bool need_b) {
  auto only_if = [](bool need, auto&& make) { return need ? Tensor(make()) : Tensor(); };
  switch (op) {
    case BinaryOp::add: return {g, only_if(need_b, [&] { return alpha.to_double() == 1 ? g : g * alpha; })};
    case BinaryOp::sub:
      return {g, only_if(need_b, [&] { return alpha.to_double() == 1 ? g.neg() : g * -alpha.to_double(); })};
    case BinaryOp::mul: return {only_if(need_a, [&] { return g * b; }), only_if(need_b, [&] { return g * a; })};
    case BinaryOp::div:
      return {only_if(need_a, [&] { return g / b; }), only_if(need_b, [&] { return g.neg() * (a / b / b); })};
    case BinaryOp::div_floor: case BinaryOp::div_trunc:
      return {only_if(need_a, [&] { return zeros_like(g); }), only_if(need_b, [&] { return zeros_like(g); })};
    case BinaryOp::remainder:
      return {g, only_if(need_b, [&] { return g.neg() * a.div(b, "floor"); })};
    case BinaryOp::fmod:
      return {g, only_if(need_b, [&] { return g.neg() * a.div(b, "trunc"); })};
    case BinaryOp::pow:
      return {only_if(need_a, [&] { return where(b == 0, Scalar(0), g * b * a.pow(b - 1)); }),
              only_if(need_b, [&] { return where((a == 0) & (b >= 0), Scalar(0), g * out * a.log()); })};
    case BinaryOp::maximum: case BinaryOp::minimum: {
      // Ties split the gradient evenly, as in PyTorch.
      Tensor a_wins = op == BinaryOp::maximum ? a > b : a < b, tie = a == b;
      Tensor half = g * 0.5;
      return {only_if(need_a, [&] { return where(tie, half, where(a_wins, g, Scalar(0))); }),
              only_if(need_b, [&] { return where(tie, half, where(a_wins, Scalar(0), g)); })};
    }
    case BinaryOp::atan2: {
      Tensor scale = g / (a * a + b * b);
      return {only_if(need_a, [&] { return scale * b; }), only_if(need_b, [&] { return scale * a.neg(); })};
    }
    default:
      fail<RuntimeError>(kBinaryOpNames[int(op)], ": the derivative is not implemented");
  }
}

// Which operands the formula reads (add and sub read neither).
struct BinarySaves {
  bool a, b, out;
};
BinarySaves saved_by(BinaryOp op, bool need_a, bool need_b) {
  switch (op) {
    case BinaryOp::mul: return {need_b, need_a, false};
    case BinaryOp::div: return {need_b, true, false};
    case BinaryOp::remainder: case BinaryOp::fmod: return {need_b, need_b, false};
    case BinaryOp::pow: return {true, true, need_b};
    case BinaryOp::maximum: case BinaryOp::minimum: case BinaryOp::atan2: return {true, true, false};
    default: return {false, false, false};
  }
}

const char* backward_name(BinaryOp op) {
  static const auto names =
      backward_names(kBinaryOpNames, [](std::string_view n) -> std::string_view { return n == "div_floor" || n == "div_trunc" ? "div" : n; });
  return names[size_t(op)].c_str();
}

void record_binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& alpha) {
  auto node = make_node(backward_name(op), {&a, &b}, [op, alpha](FunctionNode& n, Grads& g) -> Grads {
    auto [ga, gb] = binary_backward(op, g[0], n.saved(0), n.saved(1), n.saved(2), alpha, n.needs_grad(0),
                                    n.needs_grad(1));
    return {ga, gb};
  });
  const BinarySaves saves = saved_by(op, node->needs_grad(0), node->needs_grad(1));
  node->save(saves.a ? a : Tensor());
  node->save(saves.b ? b : Tensor());
  node->save_output(saves.out ? out : Tensor());
  set_history(out, std::move(node));
}

bool is_differentiable(BinaryOp op) {
  switch (op) {
#define NB_BINARY_OP(name, result, dtypes, diff) case BinaryOp::name: return diff;
#include "core/binary_ops.def"
#undef NB_BINARY_OP
  }
  return false;
}

Tensor binary_op(BinaryOp op, const Operand& a, const Operand& b, const ElementwiseParams& p = {}) {
  const char* name = kBinaryOpNames[int(op)];
  if (a.tensor) check_defined(*a.tensor, name);
  if (b.tensor) check_defined(*b.tensor, name);
  Device device = device_of(a, b, name);
  bool same_tensors = a.tensor && b.tensor && a.tensor->dtype() == b.tensor->dtype() &&
                      a.tensor->sizes() == b.tensor->sizes();
  DType common = same_tensors ? a.tensor->dtype() : result_type(std::array{a.promotion(), b.promotion()});
  check_binary_dtype(op, common, a, b, p);
  auto types = elementwise_types(kBinaryTraits[int(op)].rule, common);
  DimVector shape = same_tensors ? a.tensor->sizes() : broadcast_shapes(a.sizes(), b.sizes());
  Tensor ta = a.as(types.compute, device), tb = b.as(types.compute, device);
  Tensor out = make_empty(shape, types.result, device);
  binary_kernel(device)(op, *ta.impl(), *tb.impl(), *out.impl(), p);
  if (grad_needed(ta, tb) && is_differentiable(op) && is_floating(types.result)) record_binary(op, ta, tb, out, p.alpha);
  return out;
}

Tensor& binary_op_(BinaryOp op, Tensor& self, const Operand& b, const ElementwiseParams& p = {}) {
  const char* name = kBinaryOpNames[int(op)];
  check_defined(self, name);
  if (b.tensor) check_defined(*b.tensor, name);
  Device device = device_of(self, b, name);
  PromotionOperand ops[] = {operand_of(self.dtype(), self.dim()), b.promotion()};
  DType common = result_type(ops);
  check_binary_dtype(op, common, self, b, p);
  auto types = elementwise_types(kBinaryTraits[int(op)].rule, common);
  check_inplace_cast(types.result, self.dtype(), name);
  DimVector shape = broadcast_shapes(self.sizes(), b.sizes());
  NB_CHECK(shape == self.sizes(), RuntimeError, name, ": output with shape ", shape_str(self.sizes()),
           " doesn't match the broadcast shape ", shape_str(shape), "; the in-place op cannot grow self");
  if (grad_needed(self) || (b.tensor && grad_needed(*b.tensor)))
    return record_inplace(self, name, [&] { return binary_op(op, self, b, p); });
  begin_write(self, name);
  Tensor tb = b.as(types.compute, device);
  if (types.compute == self.dtype() && types.result == self.dtype()) {
    binary_kernel(device)(op, *self.impl(), *tb.impl(), *self.impl(), p);
  } else {
    Tensor ta = self.to(types.compute);
    Tensor out = make_empty(shape, types.result, device);
    binary_kernel(device)(op, *ta.impl(), *tb.impl(), *out.impl(), p);
    copy_kernel(device)(*out.impl(), *self.impl());
  }
  return self;
}

ElementwiseParams with_alpha(const Scalar& alpha) {
  ElementwiseParams p;
  p.alpha = alpha;
  return p;
}

BinaryOp div_op(const std::string& mode) {
  if (mode.empty() || mode == "true") return BinaryOp::div;
  if (mode == "floor") return BinaryOp::div_floor;
  NB_CHECK(mode == "trunc", ValueError, "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '",
           mode, "'");
  return BinaryOp::div_trunc;
}

// PyTorch computes x ** small-constant with multiplications and square roots, not pow().
std::optional<Tensor> pow_by_constant(const Tensor& x, const Scalar& e) {
  if (!is_floating(x.dtype()) || (!e.is_floating() && !e.is_integral())) return std::nullopt;
  double v = e.to_double();
  if (v == 2) return mul(x, x);
  if (v == 3) return mul(mul(x, x), x);
  if (v == 0.5) return sqrt(x);
  if (v == -0.5) return rsqrt(x);
  if (v == -1) return reciprocal(x);
  if (v == -2) return reciprocal(mul(x, x));
  return std::nullopt;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) { return binary_op(BinaryOp::add, a, b, with_alpha(alpha)); }
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) { return binary_op(BinaryOp::add, a, b, with_alpha(alpha)); }
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) { return binary_op(BinaryOp::sub, a, b, with_alpha(alpha)); }
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) { return binary_op(BinaryOp::sub, a, b, with_alpha(alpha)); }
Tensor Tensor::add(const Tensor& o, const Scalar& alpha) const { return nabla::add(*this, o, alpha); }
Tensor Tensor::add(const Scalar& o, const Scalar& alpha) const { return nabla::add(*this, o, alpha); }
Tensor Tensor::sub(const Tensor& o, const Scalar& alpha) const { return nabla::sub(*this, o, alpha); }
Tensor Tensor::sub(const Scalar& o, const Scalar& alpha) const { return nabla::sub(*this, o, alpha); }
Tensor& Tensor::add_(const Tensor& o, const Scalar& alpha) { return binary_op_(BinaryOp::add, *this, o, with_alpha(alpha)); }
Tensor& Tensor::add_(const Scalar& o, const Scalar& alpha) { return binary_op_(BinaryOp::add, *this, o, with_alpha(alpha)); }
Tensor& Tensor::sub_(const Tensor& o, const Scalar& alpha) { return binary_op_(BinaryOp::sub, *this, o, with_alpha(alpha)); }
Tensor& Tensor::sub_(const Scalar& o, const Scalar& alpha) { return binary_op_(BinaryOp::sub, *this, o, with_alpha(alpha)); }

Tensor div(const Tensor& a, const Tensor& b, const std::string& mode) { return binary_op(div_op(mode), a, b); }
Tensor div(const Tensor& a, const Scalar& b, const std::string& mode) { return binary_op(div_op(mode), a, b); }
Tensor Tensor::div(const Tensor& o, const std::string& mode) const { return nabla::div(*this, o, mode); }
Tensor Tensor::div(const Scalar& o, const std::string& mode) const { return nabla::div(*this, o, mode); }
Tensor& Tensor::div_(const Tensor& o, const std::string& mode) { return binary_op_(div_op(mode), *this, o); }
Tensor& Tensor::div_(const Scalar& o, const std::string& mode) { return binary_op_(div_op(mode), *this, o); }

#define NB_DEFINE_BINARY(name, op)                                                                   \
  Tensor name(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::op, a, b); }            \
  Tensor name(const Tensor& a, const Scalar& b) { return binary_op(BinaryOp::op, a, b); }            \
  Tensor Tensor::name(const Tensor& o) const { return binary_op(BinaryOp::op, *this, o); }           \
  Tensor Tensor::name(const Scalar& o) const { return binary_op(BinaryOp::op, *this, o); }           \
  Tensor& Tensor::name##_(const Tensor& o) { return binary_op_(BinaryOp::op, *this, o); }            \
  Tensor& Tensor::name##_(const Scalar& o) { return binary_op_(BinaryOp::op, *this, o); }
NB_DEFINE_BINARY(mul, mul) NB_DEFINE_BINARY(floor_divide, div_floor) NB_DEFINE_BINARY(remainder, remainder)
NB_DEFINE_BINARY(fmod, fmod) NB_DEFINE_BINARY(maximum, maximum) NB_DEFINE_BINARY(minimum, minimum)
NB_DEFINE_BINARY(atan2, atan2) NB_DEFINE_BINARY(eq, eq) NB_DEFINE_BINARY(ne, ne) NB_DEFINE_BINARY(lt, lt)
NB_DEFINE_BINARY(le, le) NB_DEFINE_BINARY(gt, gt) NB_DEFINE_BINARY(ge, ge) NB_DEFINE_BINARY(logical_and, logical_and)
NB_DEFINE_BINARY(logical_or, logical_or) NB_DEFINE_BINARY(logical_xor, logical_xor)
NB_DEFINE_BINARY(bitwise_and, bitwise_and) NB_DEFINE_BINARY(bitwise_or, bitwise_or)
NB_DEFINE_BINARY(bitwise_xor, bitwise_xor) NB_DEFINE_BINARY(bitwise_left_shift, bitwise_left_shift)
NB_DEFINE_BINARY(bitwise_right_shift, bitwise_right_shift)
#undef NB_DEFINE_BINARY

Tensor pow(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::pow, a, b); }
Tensor pow(const Tensor& a, const Scalar& b) {
  check_defined(a, "pow");
  NB_CHECK(is_floating(a.dtype()) || b.is_floating() || b.to_int64() >= 0, RuntimeError,
           "pow: Integers to negative integer powers are not allowed (base dtype ", dtype_name(a.dtype()),
           ", exponent ", b.to_int64(), "); use a floating base, e.g. x.to(nabla::kFloat32)");
  PromotionOperand ops[] = {operand_of(a.dtype(), a.dim()), operand_of(b)};
  if (result_type(ops) == a.dtype())
    if (auto r = pow_by_constant(a, b)) return *r;
  return binary_op(BinaryOp::pow, a, b);
}
Tensor pow(const Scalar& base, const Tensor& e) { return binary_op(BinaryOp::pow, base, e); }
Tensor Tensor::pow(const Tensor& o) const { return nabla::pow(*this, o); }
Tensor Tensor::pow(const Scalar& o) const { return nabla::pow(*this, o); }
Tensor& Tensor::pow_(const Tensor& o) { return binary_op_(BinaryOp::pow, *this, o); }
Tensor& Tensor::pow_(const Scalar& o) { return binary_op_(BinaryOp::pow, *this, o); }

// Scalar on the left: `2 - t` is rsub, `2 / t` divides the scalar, and so on.
Tensor operator+(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::add, a, b); }
Tensor operator-(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::sub, a, b); }
Tensor operator*(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::mul, a, b); }
Tensor operator/(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::div, a, b); }
Tensor operator%(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::remainder, a, b); }
Tensor operator==(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::eq, a, b); }
Tensor operator!=(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::ne, a, b); }
Tensor operator<(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::lt, a, b); }
Tensor operator<=(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::le, a, b); }
Tensor operator>(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::gt, a, b); }
Tensor operator>=(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::ge, a, b); }
Tensor operator&(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::bitwise_and, a, b); }
Tensor operator|(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::bitwise_or, a, b); }
Tensor operator^(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::bitwise_xor, a, b); }
Tensor operator<<(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::bitwise_left_shift, a, b); }
Tensor operator>>(const Scalar& a, const Tensor& b) { return binary_op(BinaryOp::bitwise_right_shift, a, b); }

DType result_type(const Tensor& a, const Tensor& b) {
  PromotionOperand ops[] = {operand_of(a.dtype(), a.dim()), operand_of(b.dtype(), b.dim())};
  return result_type(ops);
}
DType result_type(const Tensor& a, const Scalar& b) {
  PromotionOperand ops[] = {operand_of(a.dtype(), a.dim()), operand_of(b)};
  return result_type(ops);
}

bool Tensor::equal(const Tensor& o) const {
  check_defined(*this, "equal");
  check_defined(o, "equal");
  if (!(sizes() == o.sizes())) return false;
  Tensor differs = nabla::ne(*this, o).cpu().contiguous();
  const bool* p = differs.data_ptr<bool>();
  return std::none_of(p, p + differs.numel(), [](bool v) { return v; });
}

bool Tensor::allclose(const Tensor& o, double rtol, double atol, bool equal_nan) const {
  Tensor a = to(kFloat64).cpu().contiguous(), b = o.to(kFloat64).expand(sizes()).cpu().contiguous();
  const double *pa = a.data_ptr<double>(), *pb = b.data_ptr<double>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = pa[i], y = pb[i];
    if (x != x || y != y) {
      if (equal_nan && x != x && y != y) continue;
      return false;
    }
    if (x == y) continue;
    if (!(std::abs(x - y) <= atol + rtol * std::abs(y))) return false;
  }
  return true;
}

}  // namespace nabla
