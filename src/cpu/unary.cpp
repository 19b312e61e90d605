// The unary element-wise kernels (ops listed in src/core/unary_ops.def).
#include <cmath>
#include <limits>

#include "core/check.hpp"
#include "core/kernels/elementwise.hpp"
#include "cpu/loops.hpp"
#include "cpu/math.hpp"

namespace nabla::cpu {
namespace {

template <typename T> constexpr bool kIsFloat = std::is_floating_point_v<T>;

// The value of op on one element, computed in T = opmath type (float for the 16-bit floats).
template <UnaryOp op, typename T>
inline auto apply(T x, const ElementwiseParams& p, T lo, T hi) {
  using enum UnaryOp;
  if constexpr (op == neg) return T(-x);
  else if constexpr (op == abs) {
    if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return x;
    else if constexpr (kIsFloat<T>) return std::fabs(x);
    else return T(x < 0 ? -x : x);
  } else if constexpr (op == sign) {
    if constexpr (std::is_same_v<T, bool>) return x;
    else return T((T(0) < x) - (x < T(0)));
  } else if constexpr (op == exp) return math::exp(x);
  else if constexpr (op == expm1) return math::expm1(x);
  else if constexpr (op == log) return math::log(x);
  else if constexpr (op == log1p) return math::log1p(x);
  else if constexpr (op == log2) return math::log2(x);
  else if constexpr (op == sqrt) return std::sqrt(x);
  else if constexpr (op == rsqrt) return T(1) / std::sqrt(x);
  else if constexpr (op == sin) return math::sin(x);
  else if constexpr (op == cos) return math::cos(x);
  else if constexpr (op == tan) return math::tan(x);
  else if constexpr (op == tanh) return math::tanh(x);
  else if constexpr (op == sigmoid) return T(1) / (T(1) + math::exp(-x));
  else if constexpr (op == relu) {
    if constexpr (kIsFloat<T>) return std::isnan(x) ? x : (x > T(0) ? x : T(0));
    else return x > T(0) ? x : T(0);
  } else if constexpr (op == gelu) return T(0.5) * x * (T(1) + math::erf(x * T(M_SQRT1_2)));
  else if constexpr (op == gelu_tanh) {
    const T k = T(M_SQRT2 * M_2_SQRTPI * 0.5);
    return T(0.5) * x * (T(1) + math::tanh(k * (x + T(0.044715) * x * x * x)));
  } else if constexpr (op == silu) return x / (T(1) + math::exp(-x));
  else if constexpr (op == erf) return math::erf(x);
  else if constexpr (op == floor) {
    if constexpr (kIsFloat<T>) return std::floor(x); else return x;
  } else if constexpr (op == ceil) {
    if constexpr (kIsFloat<T>) return std::ceil(x); else return x;
  } else if constexpr (op == round) {
    if constexpr (kIsFloat<T>) return std::nearbyint(x); else return x;
  } else if constexpr (op == trunc) {
    if constexpr (kIsFloat<T>) return std::trunc(x); else return x;
  } else if constexpr (op == reciprocal) return T(1) / x;
  else if constexpr (op == square) return T(x * x);
  else if constexpr (op == logical_not) return !bool(x);
  else if constexpr (op == bitwise_not) {
    if constexpr (std::is_same_v<T, bool>) return !x; else return T(~x);
  } else if constexpr (op == isnan) {
    if constexpr (kIsFloat<T>) return bool(std::isnan(x)); else return false;
  } else if constexpr (op == isinf) {
    if constexpr (kIsFloat<T>) return bool(std::isinf(x)); else return false;
  } else if constexpr (op == clamp) {
    if constexpr (kIsFloat<T>) {
      if (std::isnan(x)) return x;
      if (p.has_min && (std::isnan(lo) || x < lo)) x = lo;
      if (p.has_max && (std::isnan(hi) || x > hi)) x = hi;
      return x;
    } else {
      if (p.has_min && x < lo) x = lo;
      if (p.has_max && x > hi) x = hi;
      return x;
    }
  }
}

// Which (op, element type) pairs have a kernel. The ops layer promotes integers to float32 for
// the float-valued ops, so those only meet floating types here.
template <UnaryOp op, typename T>
constexpr bool supported() {
  using enum UnaryOp;
  constexpr bool is_float = kIsFloat<opmath_t<T>>;
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

#if NABLA_SLEEF_AVX2
// Contiguous float/double runs of the transcendental ops go through SLEEF's AVX2 vector
// routines, which give the same values as the scalar ones in math.hpp.
template <UnaryOp op, typename T>
bool run_vectorized(const T* in, T* out, int64_t n) {
  using enum UnaryOp;
  constexpr int lanes = 32 / sizeof(T);
  auto loop = [&](auto vfn) {
    parallel_for(n / lanes, kGrainSize / lanes, [&](int64_t b, int64_t e) {
      for (int64_t i = b * lanes; i < e * lanes; i += lanes) {
        if constexpr (std::is_same_v<T, float>) _mm256_storeu_ps(out + i, vfn(_mm256_loadu_ps(in + i)));
        else _mm256_storeu_pd(out + i, vfn(_mm256_loadu_pd(in + i)));
      }
    });
    ElementwiseParams none;
    for (int64_t i = n - n % lanes; i < n; ++i) out[i] = apply<op, T>(in[i], none, T(0), T(0));
    return true;
  };
#define NB_SLEEF_CASE(name, fn)                                                                   \
  if constexpr (op == name) {                                                                     \
    if constexpr (std::is_same_v<T, float>) return loop([](__m256 v) { return Sleef_##fn##f8_u10avx2(v); }); \
    else return loop([](__m256d v) { return Sleef_##fn##d4_u10avx2(v); });                       \
  }
  NB_SLEEF_CASE(exp, exp)
  NB_SLEEF_CASE(expm1, expm1)
  NB_SLEEF_CASE(log, log)
  NB_SLEEF_CASE(log1p, log1p)
  NB_SLEEF_CASE(log2, log2)
  NB_SLEEF_CASE(sin, sin)
  NB_SLEEF_CASE(cos, cos)
  NB_SLEEF_CASE(tan, tan)
  NB_SLEEF_CASE(tanh, tanh)
  NB_SLEEF_CASE(erf, erf)
#undef NB_SLEEF_CASE
  return false;
}
#endif

template <UnaryOp op>
void run(const TensorImpl& in, TensorImpl& out, const ElementwiseParams& p) {
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using M = opmath_t<T>;
    if constexpr (!supported<op, T>()) {
      fail<TypeError>(kUnaryOpNames[int(op)], ": not implemented for dtype ", dtype_name(in.dtype()));
    } else {
      using R = decltype(apply<op, M>(M{}, p, M{}, M{}));
      using Out = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
#if NABLA_SLEEF_AVX2
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        if (in.is_contiguous() && out.is_contiguous() && in.sizes() == out.sizes() &&
            run_vectorized<op, T>(in.data_as<T>(), out.data_as<T>(), in.numel()))
          return;
      }
#endif
      const M lo = p.has_min ? p.min.to<M>() : M{}, hi = p.has_max ? p.max.to<M>() : M{};
      cpu_kernel<Out, T>(out, {&in}, [&p, lo, hi](T x) { return static_cast<Out>(apply<op, M>(M(x), p, lo, hi)); });
    }
  });
}

void unary(UnaryOp op, const TensorImpl& in, TensorImpl& out, const ElementwiseParams& p) {
  switch (op) {
#define NB_UNARY_OP(name, result, dtypes, diff) \
  case UnaryOp::name: return run<UnaryOp::name>(in, out, p);
#include "core/unary_ops.def"
#undef NB_UNARY_OP
  }
}

}  // namespace

NB_REGISTER_KERNEL(unary_kernel, kCPU, unary);

}  // namespace nabla::cpu
