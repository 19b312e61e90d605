// The unary element-wise kernels (ops listed in src/core/unary_ops.def).
#include "core/kernels/elementwise_math.hpp"
#include "cpu/loops.hpp"
#include "cpu/math.hpp"

namespace nabla::cpu {
namespace {

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
    for (int64_t i = n - n % lanes; i < n; ++i) out[i] = apply_unary<op, T, Math>(in[i], {});
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
    if constexpr (!unary_supported<op, T>()) {
      fail_elementwise_dtype(kUnaryOpNames[int(op)], in.dtype());
    } else {
      using R = decltype(apply_unary<op, M, Math>(M{}, {}));
      using Out = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
#if NABLA_SLEEF_AVX2
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        if (in.is_contiguous() && out.is_contiguous() && in.sizes() == out.sizes() &&
            run_vectorized<op, T>(in.data_as<T>(), out.data_as<T>(), in.numel()))
          return;
      }
#endif
      const ClampBounds<M> bounds = clamp_bounds<M>(p);
      cpu_kernel<Out, T>(out, {&in}, [bounds](T x) { return static_cast<Out>(apply_unary<op, M, Math>(M(x), bounds)); });
    }
  });
}

void unary(UnaryOp op, const TensorImpl& in, TensorImpl& out, const ElementwiseParams& p) {
  visit_unary_op(op, [&](auto op_tag) { run<decltype(op_tag)::value>(in, out, p); });
}

}  // namespace

NB_REGISTER_KERNEL(unary_kernel, kCPU, unary);

}  // namespace nabla::cpu
