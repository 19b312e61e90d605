// NumPy 2's type promotion (NEP 50) and the element-wise ufuncs on ndarrays. Operands are converted to
// the NumPy result dtype first; the kernels then run on equal dtypes, where PyTorch's and NumPy's
// arithmetic agree (the exceptions are handled here: integer division by zero, negative integer powers,
// bool subtraction and negation, comparisons with out-of-range scalars).
#include <limits>
#include <variant>

#include "np/common.hpp"
#include "np/scalar_range.hpp"
#include "nabla/ops.hpp"

namespace nabla::np {
namespace {

// NumPy's kinds in casting order: a value of a lower kind always fits some dtype of a higher kind.
enum class Kind { kBool, kUnsigned, kSigned, kFloat };

Kind kind_of(DType d) {
  if (d == kBool) return Kind::kBool;
  if (is_floating(d)) return Kind::kFloat;
  return is_signed(d) ? Kind::kSigned : Kind::kUnsigned;
}

DType of_size(Kind kind, size_t bytes) {
  switch (kind) {
    case Kind::kFloat: return bytes <= 2 ? kFloat16 : bytes == 4 ? kFloat32 : kFloat64;
    case Kind::kSigned: return bytes == 1 ? kInt8 : bytes == 2 ? kInt16 : bytes == 4 ? kInt32 : kInt64;
    case Kind::kUnsigned: return bytes == 1 ? kUInt8 : bytes == 2 ? kUInt16 : bytes == 4 ? kUInt32 : kUInt64;
    default: return kBool;
  }
}

}  // namespace

ScalarFit scalar_fit(const Scalar& v, DType dtype) {
  if (!v.is_integral() || !is_integral(dtype, false)) return ScalarFit::kInside;
  return visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (v.kind() == Scalar::Kind::kUInt) {
        return v.to<uint64_t>() > uint64_t(std::numeric_limits<T>::max()) ? ScalarFit::kAbove : ScalarFit::kInside;
      }
      const int64_t x = v.to_int64();
      if (x < 0 && (std::is_unsigned_v<T> || x < int64_t(std::numeric_limits<T>::min()))) return ScalarFit::kBelow;
      if (x > 0 && uint64_t(x) > uint64_t(std::numeric_limits<T>::max())) return ScalarFit::kAbove;
    }
    return ScalarFit::kInside;
  });
}

void check_scalar_fits(const Scalar& v, DType dtype) {
  if (scalar_fit(v, dtype) == ScalarFit::kInside) return;
  if (v.kind() == Scalar::Kind::kUInt) fail<ValueError>("Python integer ", v.to<uint64_t>(), " out of bounds for ", dtype_name(dtype));
  fail<ValueError>("Python integer ", v.to_int64(), " out of bounds for ", dtype_name(dtype));
}

DType result_type(DType a, DType b) {
  check_numpy_dtype(a, "result_type");
  check_numpy_dtype(b, "result_type");
  if (a == b) return a;
  const Kind ka = kind_of(a), kb = kind_of(b);
  if (ka == Kind::kBool) return b;
  if (kb == Kind::kBool) return a;
  const size_t sa = itemsize(a), sb = itemsize(b);
  if (ka == kb) return sa >= sb ? a : b;
  if (ka == Kind::kFloat || kb == Kind::kFloat) {
    // The smallest float that holds every value of the integer type, or the float type if larger.
    const auto [f, i] = ka == Kind::kFloat ? std::pair{a, b} : std::pair{b, a};
    return of_size(Kind::kFloat, std::max(itemsize(f), 2 * itemsize(i)));
  }
  const auto [s, u] = ka == Kind::kSigned ? std::pair{a, b} : std::pair{b, a};
  if (itemsize(s) > itemsize(u)) return s;
  return itemsize(u) == 8 ? kFloat64 : of_size(Kind::kSigned, 2 * itemsize(u));
}

DType result_type(DType a, const Scalar& weak) {
  check_numpy_dtype(a, "result_type");
  if (weak.is_bool()) return a;
  if (weak.is_integral()) return a == kBool ? kInt64 : a;
  return is_floating(a) ? a : kFloat64;
}

namespace {

enum class Op {
  kAdd, kSubtract, kMultiply, kTrueDivide, kFloorDivide, kRemainder, kPower, kMaximum, kMinimum,
  kBitwiseAnd, kBitwiseOr, kBitwiseXor, kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual,
};

constexpr const char* kOpNames[] = {
  "add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "power", "maximum", "minimum",
  "bitwise_and", "bitwise_or", "bitwise_xor", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
};

bool is_comparison(Op op) { return op >= Op::kEqual; }
bool is_bitwise(Op op) { return op >= Op::kBitwiseAnd && op <= Op::kBitwiseXor; }

// The comparison that gives the same answer with the operands swapped (2 < a is a > 2).
Op mirrored(Op op) {
  switch (op) {
    case Op::kLess: return Op::kGreater;
    case Op::kLessEqual: return Op::kGreaterEqual;
    case Op::kGreater: return Op::kLess;
    case Op::kGreaterEqual: return Op::kLessEqual;
    default: return op;
  }
}

using Operand = std::variant<const ndarray*, Scalar>;

// b is a Tensor or a Scalar: every kernel has both forms.
template <typename B>
Tensor run_kernel(Op op, const Tensor& a, const B& b) {
  switch (op) {
    case Op::kAdd: return nabla::add(a, b);
    case Op::kSubtract: return nabla::sub(a, b);
    case Op::kMultiply: return nabla::mul(a, b);
    case Op::kTrueDivide: return nabla::div(a, b);
    case Op::kFloorDivide: return nabla::floor_divide(a, b);
    case Op::kRemainder: return nabla::remainder(a, b);
    case Op::kPower: return nabla::pow(a, b);
    case Op::kMaximum: return nabla::maximum(a, b);
    case Op::kMinimum: return nabla::minimum(a, b);
    case Op::kBitwiseAnd: return nabla::bitwise_and(a, b);
    case Op::kBitwiseOr: return nabla::bitwise_or(a, b);
    case Op::kBitwiseXor: return nabla::bitwise_xor(a, b);
    case Op::kEqual: return nabla::eq(a, b);
    case Op::kNotEqual: return nabla::ne(a, b);
    case Op::kLess: return nabla::lt(a, b);
    case Op::kLessEqual: return nabla::le(a, b);
    case Op::kGreater: return nabla::gt(a, b);
    case Op::kGreaterEqual: return nabla::ge(a, b);
  }
  return {};
}

// NumPy's integer // and % give 0 where the divisor is 0 (with a warning) instead of raising.
Tensor integer_division(Op op, const Tensor& a, const Tensor& b) {
  const Tensor zero_divisor = nabla::eq(b, 0);
  if (!nabla::any(zero_divisor).item<bool>()) return run_kernel(op, a, b);
  const Tensor safe = nabla::where(zero_divisor, Scalar(1), b);
  return nabla::where(zero_divisor, Scalar(0), run_kernel(op, a, safe)).to(a.dtype());
}

// A comparison of an integer array with a Python integer its dtype cannot hold has the same answer everywhere.
std::optional<bool> out_of_range_answer(Op op, ScalarFit fit) {
  if (fit == ScalarFit::kInside) return std::nullopt;
  const bool above = fit == ScalarFit::kAbove;  // array < scalar everywhere
  switch (op) {
    case Op::kEqual: return false;
    case Op::kNotEqual: return true;
    case Op::kLess: case Op::kLessEqual: return above;
    default: return !above;
  }
}

void check_broadcastable(IntArrayRef a, IntArrayRef b) {
  for (size_t i = 1; i <= std::min(a.size(), b.size()); ++i) {
    const int64_t x = a[a.size() - i], y = b[b.size() - i];
    NB_CHECK(x == y || x == 1 || y == 1, ValueError, "operands could not be broadcast together with shapes ",
             tuple_repr(a, ","), " ", tuple_repr(b, ","));
  }
}

ndarray ufunc(Op op, const Operand& lhs, const Operand& rhs) {
  const char* name = kOpNames[int(op)];
  const ndarray* a = std::holds_alternative<const ndarray*>(lhs) ? std::get<const ndarray*>(lhs) : nullptr;
  const ndarray* b = std::holds_alternative<const ndarray*>(rhs) ? std::get<const ndarray*>(rhs) : nullptr;
  if (a) check_defined(*a, name);
  if (b) check_defined(*b, name);
  DType r;
  if (a && b) {
    r = result_type(a->dtype(), b->dtype());
  } else {
    const ndarray& array = a ? *a : *b;
    const Scalar& scalar = a ? std::get<Scalar>(rhs) : std::get<Scalar>(lhs);
    r = result_type(array.dtype(), scalar);
    if (is_comparison(op)) {
      if (auto answer = out_of_range_answer(a ? op : mirrored(op), scalar_fit(scalar, r)))
        return np::full(array.shape(), *answer, kBool);
    } else if (op != Op::kTrueDivide) {  // true division of integers runs in float64, where any integer fits
      check_scalar_fits(scalar, r);
    }
  }
  NB_CHECK(!(op == Op::kSubtract && r == kBool), TypeError, "numpy boolean subtract, the `-` operator, is not "
           "supported, use the bitwise_xor, the `^` operator, or the logical_xor function instead.");
  NB_CHECK(!(is_bitwise(op) && is_floating(r)), TypeError, "ufunc '", name, "' not supported for the input types, "
           "and the inputs could not be safely coerced to any supported types according to the casting rule ''safe''");
  if (op == Op::kTrueDivide && !is_floating(r)) r = kFloat64;
  if ((op == Op::kFloorDivide || op == Op::kRemainder || op == Op::kPower) && r == kBool) r = kInt8;

  auto operand = [&](const ndarray* array, const Operand& side) {
    return array ? array->tensor().to(r) : nabla::tensor(std::get<Scalar>(side), TensorOptions(r));
  };
  if (a && b) check_broadcastable(a->shape(), b->shape());
  const Tensor ta = operand(a, lhs);
  // A scalar on the right reaches the kernel as it is, without a 0-d tensor: except for float16, where NumPy
  // rounds the scalar to float16 first, and where the integer checks below want a tensor.
  const bool integer_checks = is_integral(r, false) && (op == Op::kPower || op == Op::kFloorDivide || op == Op::kRemainder);
  if (!b && r != kFloat16 && !integer_checks) return adopt(run_kernel(op, ta, std::get<Scalar>(rhs)));
  const Tensor tb = operand(b, rhs);
  if (op == Op::kPower && is_integral(r, false)) {
    NB_CHECK(!nabla::any(nabla::lt(tb, 0)).item<bool>(), ValueError,
             "Integers to negative integer powers are not allowed.");
  }
  if ((op == Op::kFloorDivide || op == Op::kRemainder) && is_integral(r, false))
    return adopt(integer_division(op, ta, tb));
  return adopt(run_kernel(op, ta, tb));
}

}  // namespace

#define NB_NP_UFUNC(fn, op)                                                                           \
  ndarray fn(const ndarray& a, const ndarray& b) { return ufunc(op, &a, &b); }                        \
  ndarray fn(const ndarray& a, const Scalar& b) { return ufunc(op, &a, b); }                          \
  ndarray fn(const Scalar& a, const ndarray& b) { return ufunc(op, a, &b); }
NB_NP_UFUNC(add, Op::kAdd)
NB_NP_UFUNC(subtract, Op::kSubtract)
NB_NP_UFUNC(multiply, Op::kMultiply)
NB_NP_UFUNC(true_divide, Op::kTrueDivide)
NB_NP_UFUNC(floor_divide, Op::kFloorDivide)
NB_NP_UFUNC(remainder, Op::kRemainder)
NB_NP_UFUNC(power, Op::kPower)
NB_NP_UFUNC(maximum, Op::kMaximum)
NB_NP_UFUNC(minimum, Op::kMinimum)
NB_NP_UFUNC(bitwise_and, Op::kBitwiseAnd)
NB_NP_UFUNC(bitwise_or, Op::kBitwiseOr)
NB_NP_UFUNC(bitwise_xor, Op::kBitwiseXor)
NB_NP_UFUNC(equal, Op::kEqual)
NB_NP_UFUNC(not_equal, Op::kNotEqual)
NB_NP_UFUNC(less, Op::kLess)
NB_NP_UFUNC(less_equal, Op::kLessEqual)
NB_NP_UFUNC(greater, Op::kGreater)
NB_NP_UFUNC(greater_equal, Op::kGreaterEqual)
#undef NB_NP_UFUNC

ndarray negative(const ndarray& a) {
  check_defined(a, "negative");
  NB_CHECK(a.dtype() != kBool, TypeError, "The numpy boolean negative, the `-` operator, is not supported, use the "
           "`~` operator or the logical_not function instead.");
  return adopt(nabla::neg(a.tensor()));
}

ndarray invert(const ndarray& a) {
  check_defined(a, "invert");
  NB_CHECK(!is_floating(a.dtype()), TypeError, "ufunc 'invert' not supported for the input types, and the inputs "
           "could not be safely coerced to any supported types according to the casting rule ''safe''");
  return adopt(a.dtype() == kBool ? nabla::logical_not(a.tensor()) : nabla::bitwise_not(a.tensor()));
}

ndarray ndarray::operator-() const { return negative(*this); }
ndarray ndarray::operator~() const { return invert(*this); }

namespace {

// An in-place ufunc writes its result back with NumPy's 'same_kind' casting: int_array += 1.5 is refused.
ndarray& assign_result(ndarray& self, const ndarray& result, const char* op) {
  NB_CHECK(kind_of(result.dtype()) <= kind_of(self.dtype()), TypeError, "Cannot cast ufunc '", op,
           "' output from dtype('", dtype_name(result.dtype()), "') to dtype('", dtype_name(self.dtype()),
           "') with casting rule 'same_kind'");
  Tensor target = self.tensor();
  target.copy_(result.tensor());
  return self;
}

}  // namespace

#define NB_NP_INPLACE(op, fn)                                                                           \
  ndarray& ndarray::operator op(const ndarray& o) { return assign_result(*this, fn(*this, o), #fn); }    \
  ndarray& ndarray::operator op(const Scalar& o) { return assign_result(*this, fn(*this, o), #fn); }
NB_NP_INPLACE(+=, add)
NB_NP_INPLACE(-=, subtract)
NB_NP_INPLACE(*=, multiply)
NB_NP_INPLACE(/=, true_divide)
#undef NB_NP_INPLACE

}  // namespace nabla::np
