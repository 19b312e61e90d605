// The binary element-wise kernels (ops listed in src/core/binary_ops.def).
#include <atomic>
#include <climits>
#include <cmath>

#include "core/check.hpp"
#include "core/kernels/elementwise.hpp"
#include "cpu/loops.hpp"

namespace nabla::cpu {
namespace {

template <typename T> constexpr bool kIsFloat = std::is_floating_point_v<T>;

// Integer division by zero is reported after the loop (kernels run inside OpenMP regions,
// which an exception must not cross).
struct ZeroDivision {
  std::atomic<bool> seen{false};
  template <typename T> bool check(T b) {
    if (b != T(0)) return false;
    seen.store(true, std::memory_order_relaxed);
    return true;
  }
};

// Rounds an intermediate to the storage type S: PyTorch's Half/BFloat16 arithmetic rounds after
// every operation, which decides e.g. trunc(a / b) when a / b lies just below an integer.
template <typename S, typename T> inline T round_to(T v) {
  if constexpr (std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>) return T(S(v));
  else return v;
}

// Floor division as PyTorch's div_floor for floats: exact even when a / b rounds up.
template <typename S, typename T> T div_floor_float(T a, T b) {
  if (b == T(0)) return round_to<S>(a / b);
  T mod = round_to<S>(std::fmod(a, b));
  T div = round_to<S>(round_to<S>(a - mod) / b);
  if (mod != T(0) && (b < T(0)) != (mod < T(0))) div = round_to<S>(div - T(1));
  if (div == T(0)) return std::copysign(T(0), a / b);
  T floordiv = std::floor(div);
  if (round_to<S>(div - floordiv) > T(0.5)) floordiv += T(1);
  return floordiv;
}

template <typename T> T int_pow(T base, T exp) {
  T result = 1;
  while (exp) {
    if (exp & 1) result = T(result * base);
    exp = T(exp >> 1);
    base = T(base * base);
  }
  return result;
}

template <BinaryOp op, typename T, typename S = T>
inline auto apply(T a, T b, T alpha, ZeroDivision& zero) {
  using enum BinaryOp;
  if constexpr (op == add || op == sub) {
    // PyTorch's AVX2 kernel computes a + alpha * b as one fused multiply-add.
    if constexpr (kIsFloat<T>) return op == add ? std::fma(b, alpha, a) : std::fma(b, -alpha, a);
    else if constexpr (std::is_same_v<T, bool>) return bool(a || (alpha && b));
    else return op == add ? T(a + alpha * b) : T(a - alpha * b);
  } else if constexpr (op == mul) {
    if constexpr (std::is_same_v<T, bool>) return bool(a && b); else return T(a * b);
  } else if constexpr (op == div) return a / b;
  else if constexpr (op == div_floor) {
    if constexpr (kIsFloat<T>) return div_floor_float<S>(a, b);
    else {
      if (zero.check(b)) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T(T(0) - a);  // avoids INT_MIN / -1
        T q = T(a / b);
        return T((a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q);
      } else return T(a / b);
    }
  } else if constexpr (op == div_trunc) {
    if constexpr (kIsFloat<T>) return std::trunc(round_to<S>(a / b));
    else {
      if (zero.check(b)) return T(0);
      if constexpr (std::is_signed_v<T>) { if (b == T(-1)) return T(T(0) - a); }
      return T(a / b);
    }
  } else if constexpr (op == remainder) {
    if constexpr (kIsFloat<T>) {
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
    if constexpr (kIsFloat<T>) return std::fmod(a, b);
    else {
      if (zero.check(b)) return T(0);
      if constexpr (std::is_signed_v<T>) { if (b == T(-1)) return T(0); }
      return T(a % b);
    }
  } else if constexpr (op == pow) {
    if constexpr (kIsFloat<T>) return std::pow(a, b);
    else if constexpr (std::is_signed_v<T>) {
      if (b < 0) return T(a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0);
      return int_pow(a, b);
    } else return int_pow(a, b);
  } else if constexpr (op == maximum || op == minimum) {
    if constexpr (kIsFloat<T>) {
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
constexpr bool supported() {
  using enum BinaryOp;
  constexpr bool is_float = kIsFloat<opmath_t<T>>;
  constexpr bool is_bool = std::is_same_v<T, bool>;
  switch (op) {
    case div: case atan2: return is_float;
    case bitwise_and: case bitwise_or: case bitwise_xor: return !is_float;
    case bitwise_left_shift: case bitwise_right_shift: return !is_float && !is_bool;
    case sub: case div_floor: case div_trunc: case remainder: case fmod: case pow: return !is_bool;
    default: return true;
  }
}

template <BinaryOp op>
void run(const TensorImpl& a, const TensorImpl& b, TensorImpl& out, const ElementwiseParams& p) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using M = opmath_t<T>;
    if constexpr (!supported<op, T>()) {
      fail<TypeError>(kBinaryOpNames[int(op)], ": not implemented for dtype ", dtype_name(a.dtype()));
    } else {
      ZeroDivision zero;
      using R = decltype(apply<op, M>(M{}, M{}, M{}, zero));
      using Out = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
      const M alpha = p.alpha.to<M>();
      if constexpr ((op == BinaryOp::add || op == BinaryOp::sub) && kIsFloat<M>) {
        if (alpha == M(1)) {  // a + b exactly, without the multiply (vectorises better)
          cpu_kernel<Out, T, T>(out, {&a, &b}, [](T x, T y) {
            return static_cast<Out>(op == BinaryOp::add ? M(x) + M(y) : M(x) - M(y));
          });
          return;
        }
      }
      cpu_kernel<Out, T, T>(out, {&a, &b}, [alpha, &zero](T x, T y) {
        return static_cast<Out>(apply<op, M, T>(M(x), M(y), alpha, zero));
      });
      NB_CHECK(!zero.seen.load(), RuntimeError, kBinaryOpNames[int(op)], ": ZeroDivisionError (integer division by zero in a ",
               dtype_name(a.dtype()), " tensor); divide in floating point (.to(kFloat32)) to get inf/nan instead");
    }
  });
}

void binary(BinaryOp op, const TensorImpl& a, const TensorImpl& b, TensorImpl& out, const ElementwiseParams& p) {
  switch (op) {
#define NB_BINARY_OP(name, result, dtypes, diff) \
  case BinaryOp::name: return run<BinaryOp::name>(a, b, out, p);
#include "core/binary_ops.def"
#undef NB_BINARY_OP
  }
}

}  // namespace

NB_REGISTER_KERNEL(binary_kernel, kCPU, binary);

}  // namespace nabla::cpu
