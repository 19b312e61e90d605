#pragma once
// The scalar math of every unary and binary element-wise op: one definition, compiled by the CPU
// kernels (src/cpu/unary.cpp, binary.cpp) and the CUDA ones (src/cuda/unary.cu, binary.cu), so the
// backends agree on dtype support, NaN handling, integer wrapping and division rounding.
// Values are computed in T = opmath type (float for the 16-bit floats). Where the backends must
// differ, the functions take a policy:
//  - Math: static exp, expm1, log, log1p, log2, sin, cos, tan, tanh, erf for float and double
//    (SLEEF on the CPU, CUDA's math library on the GPU);
//  - Zero: `bool check(T b)`, called by the integer division ops only: true when b is zero, which the
//    reporter remembers so that the host raises fail_integer_division_by_zero after the loop (the loop
//    runs inside OpenMP regions or on the GPU, which an exception cannot leave).
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/check.hpp"
#include "core/kernels/elementwise.hpp"
#include "core/kernels/wrapping.hpp"
#include "nabla/core/host_device.hpp"

namespace nabla {

// clamp's bounds in the compute type; has_min/has_max false = unbounded on that side.
template <typename T>
struct ClampBounds {
  bool has_min = false, has_max = false;
  T lo{}, hi{};
};

template <typename T>
ClampBounds<T> clamp_bounds(const ElementwiseParams& p) {
  return {p.has_min, p.has_max, p.has_min ? p.min.to<T>() : T{}, p.has_max ? p.max.to<T>() : T{}};
}

template <UnaryOp op, typename T, typename Math>
NB_HOST_DEVICE inline auto apply_unary(T x, const ClampBounds<T>& bounds) {
  using enum UnaryOp;
  constexpr bool is_float = std::is_floating_point_v<T>;
  if constexpr (op == neg) return wrapping_neg(x);
  else if constexpr (op == abs) {
    if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return x;
    else if constexpr (is_float) return std::fabs(x);
    else return x < 0 ? wrapping_neg(x) : x;
  } else if constexpr (op == sign) {
    if constexpr (std::is_unsigned_v<T>) return T(x != T(0));  // bool included
    else return T((T(0) < x) - (x < T(0)));
  } else if constexpr (op == exp) return Math::exp(x);
  else if constexpr (op == expm1) return Math::expm1(x);
  else if constexpr (op == log) return Math::log(x);
  else if constexpr (op == log1p) return Math::log1p(x);
  else if constexpr (op == log2) return Math::log2(x);
  else if constexpr (op == sqrt) return std::sqrt(x);
  else if constexpr (op == rsqrt) return T(1) / std::sqrt(x);
  else if constexpr (op == sin) return Math::sin(x);
  else if constexpr (op == cos) return Math::cos(x);
  else if constexpr (op == tan) return Math::tan(x);
  else if constexpr (op == tanh) return Math::tanh(x);
  else if constexpr (op == sigmoid) return T(1) / (T(1) + Math::exp(-x));
  else if constexpr (op == relu) {
    if constexpr (is_float) return std::isnan(x) ? x : (x > T(0) ? x : T(0));
    else return x > T(0) ? x : T(0);
  } else if constexpr (op == gelu) return T(0.5) * x * (T(1) + Math::erf(x * T(M_SQRT1_2)));
  else if constexpr (op == gelu_tanh) {
    const T k = T(M_SQRT2 * M_2_SQRTPI * 0.5);
    return T(0.5) * x * (T(1) + Math::tanh(k * (x + T(0.044715) * x * x * x)));
  } else if constexpr (op == silu) return x / (T(1) + Math::exp(-x));
  else if constexpr (op == erf) return Math::erf(x);
  else if constexpr (op == floor) {
    if constexpr (is_float) return std::floor(x); else return x;
  } else if constexpr (op == ceil) {
    if constexpr (is_float) return std::ceil(x); else return x;
  } else if constexpr (op == round) {
    if constexpr (is_float) return std::nearbyint(x); else return x;
  } else if constexpr (op == trunc) {
    if constexpr (is_float) return std::trunc(x); else return x;
  } else if constexpr (op == reciprocal) return T(1) / x;
  else if constexpr (op == square) return wrapping_mul(x, x);
  else if constexpr (op == logical_not) return !bool(x);
  else if constexpr (op == bitwise_not) {
    if constexpr (std::is_same_v<T, bool>) return !x; else return T(~x);
  } else if constexpr (op == isnan) {
    if constexpr (is_float) return bool(std::isnan(x)); else return false;
  } else if constexpr (op == isinf) {
    if constexpr (is_float) return bool(std::isinf(x)); else return false;
  } else if constexpr (op == clamp) {
    if constexpr (is_float) {
      if (std::isnan(x)) return x;
      if (bounds.has_min && (std::isnan(bounds.lo) || x < bounds.lo)) x = bounds.lo;
      if (bounds.has_max && (std::isnan(bounds.hi) || x > bounds.hi)) x = bounds.hi;
      return x;
    } else {
      if (bounds.has_min && x < bounds.lo) x = bounds.lo;
      if (bounds.has_max && x > bounds.hi) x = bounds.hi;
      return x;
    }
  }
}

// Which (op, storage type) pairs have a kernel. The ops layer promotes integers to float32 for the
// float-valued ops, so those only meet floating types here.
template <UnaryOp op, typename T>
constexpr bool unary_supported() {
  using enum UnaryOp;
  constexpr bool is_float = std::is_floating_point_v<opmath_t<T>>;
  constexpr bool is_bool = std::is_same_v<T, bool>;
  switch (op) {
    case exp: case expm1: case log: case log1p: case log2: case sqrt: case rsqrt: case sin: case cos:
    case tan: case tanh: case sigmoid: case gelu: case gelu_tanh: case silu: case erf: case reciprocal:
      return is_float;
    case neg: case relu: case floor: case ceil: case round: case trunc: case clamp: return !is_bool;
    case bitwise_not: return !is_float;
    default: return true;
  }
}

// Rounds an intermediate to the storage type S: PyTorch's Half/BFloat16 arithmetic rounds after
// every operation, which decides e.g. trunc(a / b) when a / b lies just below an integer.
template <typename S, typename T>
NB_HOST_DEVICE inline T round_to(T v) {
  if constexpr (std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>) return T(S(v));
  else return v;
}

// Floor division as PyTorch's div_floor for floats: exact even when a / b rounds up.
template <typename S, typename T>
NB_HOST_DEVICE inline T div_floor_float(T a, T b) {
  if (b == T(0)) return round_to<S>(a / b);
  T mod = round_to<S>(std::fmod(a, b));
  T div = round_to<S>(round_to<S>(a - mod) / b);
  if (mod != T(0) && (b < T(0)) != (mod < T(0))) div = round_to<S>(div - T(1));
  if (div == T(0)) return std::copysign(T(0), a / b);
  T floordiv = std::floor(div);
  if (round_to<S>(div - floordiv) > T(0.5)) floordiv += T(1);
  return floordiv;
}

template <typename T>
NB_HOST_DEVICE inline T int_pow(T base, T exp) {
  T result = 1;
  while (exp) {
    if (exp & 1) result = wrapping_mul(result, base);
    exp = T(exp >> 1);
    base = wrapping_mul(base, base);
  }
  return result;
}

// S is the storage type (Half/BFloat16 intermediates round to it); T its opmath type.
template <BinaryOp op, typename T, typename S = T, typename Zero>
NB_HOST_DEVICE inline auto apply_binary(T a, T b, T alpha, Zero& zero) {
  using enum BinaryOp;
  constexpr bool is_float = std::is_floating_point_v<T>;
  if constexpr (op == add || op == sub) {
    // PyTorch's AVX2 kernel computes a + alpha * b as one fused multiply-add.
    if constexpr (is_float) return op == add ? std::fma(b, alpha, a) : std::fma(b, -alpha, a);
    else if constexpr (std::is_same_v<T, bool>) return bool(a || (alpha && b));
    else return op == add ? wrapping_add(a, wrapping_mul(alpha, b)) : wrapping_sub(a, wrapping_mul(alpha, b));
  } else if constexpr (op == mul) {
    if constexpr (std::is_same_v<T, bool>) return bool(a && b); else return wrapping_mul(a, b);
  } else if constexpr (op == div) return a / b;
  else if constexpr (op == div_floor) {
    if constexpr (is_float) return div_floor_float<S>(a, b);
    else {
      if (zero.check(b)) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return wrapping_neg(a);  // avoids INT_MIN / -1
        T q = T(a / b);
        return T((a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q);
      } else return T(a / b);
    }
  } else if constexpr (op == div_trunc) {
    if constexpr (is_float) return std::trunc(round_to<S>(a / b));
    else {
      if (zero.check(b)) return T(0);
      if constexpr (std::is_signed_v<T>) { if (b == T(-1)) return wrapping_neg(a); }
      return T(a / b);
    }
  } else if constexpr (op == remainder) {
    if constexpr (is_float) {
      T mod = std::fmod(a, b);
      return (mod != T(0) && (b < T(0)) != (mod < T(0))) ? T(mod + b) : mod;
    } else {
      if (zero.check(b)) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T(0);
        T r = T(a % b);
        return (r != 0 && ((r < 0) != (b < 0))) ? T(r + b) : r;
      } else return T(a % b);
    }
  } else if constexpr (op == fmod) {
    if constexpr (is_float) return std::fmod(a, b);
    else {
      if (zero.check(b)) return T(0);
      if constexpr (std::is_signed_v<T>) { if (b == T(-1)) return T(0); }
      return T(a % b);
    }
  } else if constexpr (op == pow) {
    if constexpr (is_float) return std::pow(a, b);
    else if constexpr (std::is_signed_v<T>) {
      if (b < 0) return T(a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0);
      return int_pow(a, b);
    } else return int_pow(a, b);
  } else if constexpr (op == maximum || op == minimum) {
    if constexpr (is_float) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    if constexpr (op == maximum) return a > b ? a : b; else return a < b ? a : b;
  } else if constexpr (op == atan2) return std::atan2(a, b);
  else if constexpr (op == eq) return a == b;
  else if constexpr (op == ne) return a != b;
  else if constexpr (op == lt) return a < b;
  else if constexpr (op == le) return a <= b;
  else if constexpr (op == gt) return a > b;
  else if constexpr (op == ge) return a >= b;
  else if constexpr (op == logical_and) return bool(a) && bool(b);
  else if constexpr (op == logical_or) return bool(a) || bool(b);
  else if constexpr (op == logical_xor) return bool(a) != bool(b);
  else if constexpr (op == bitwise_and) return T(a & b);
  else if constexpr (op == bitwise_or) return T(a | b);
  else if constexpr (op == bitwise_xor) return T(a ^ b);
  else if constexpr (op == bitwise_left_shift || op == bitwise_right_shift) {
    constexpr int bits = int(sizeof(T) * CHAR_BIT);
    using U = std::make_unsigned_t<T>;
    bool out_of_range = (std::is_signed_v<T> && b < T(0)) || uint64_t(b) >= uint64_t(bits);
    if constexpr (op == bitwise_left_shift) return out_of_range ? T(0) : T(U(a) << b);
    else {
      if (out_of_range) return T(std::is_signed_v<T> && a < T(0) ? -1 : 0);
      return T(a >> b);
    }
  }
}

template <BinaryOp op, typename T>
constexpr bool binary_supported() {
  using enum BinaryOp;
  constexpr bool is_float = std::is_floating_point_v<opmath_t<T>>;
  constexpr bool is_bool = std::is_same_v<T, bool>;
  switch (op) {
    case div: case atan2: return is_float;
    case bitwise_and: case bitwise_or: case bitwise_xor: return !is_float;
    case bitwise_left_shift: case bitwise_right_shift: return !is_float && !is_bool;
    case sub: case div_floor: case div_trunc: case remainder: case fmod: case pow: return !is_bool;
    default: return true;
  }
}

// The ops whose integer forms call Zero::check.
constexpr bool divides_integers(BinaryOp op) {
  return op == BinaryOp::div_floor || op == BinaryOp::div_trunc || op == BinaryOp::remainder || op == BinaryOp::fmod;
}

// The host-side errors both backends raise, with one wording.
[[noreturn]] inline void fail_elementwise_dtype(const char* op, DType dtype) {
  fail<TypeError>(op, ": not implemented for dtype ", dtype_name(dtype));
}
[[noreturn]] inline void fail_integer_division_by_zero(const char* op, DType dtype) {
  fail<RuntimeError>(op, ": ZeroDivisionError (integer division by zero in a ", dtype_name(dtype),
                     " tensor); divide in floating point (.to(kFloat32)) to get inf/nan instead");
}

}  // namespace nabla
