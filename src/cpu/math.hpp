#pragma once
// Scalar math shared by the element-wise kernels: float functions go through SLEEF's 1-ulp
// routines when the build has SLEEF (the ones PyTorch's AVX2 kernels use), libm otherwise.
#include <cmath>
#include <type_traits>

#if defined(NABLA_HAVE_SLEEF) && defined(__AVX2__)
#include <sleef.h>
#define NABLA_SLEEF_AVX2 1
#endif

namespace nabla::cpu::math {

#if NABLA_SLEEF_AVX2
#define NB_MATH_FN(name)                                                   \
  inline float name(float x) { return Sleef_##name##f1_u10purecfma(x); }  \
  inline double name(double x) { return Sleef_##name##d1_u10purecfma(x); }
#else
#define NB_MATH_FN(name)                              \
  inline float name(float x) { return std::name(x); } \
  inline double name(double x) { return std::name(x); }
#endif
#define NB_MATH_FNS(X) X(exp) X(expm1) X(log) X(log1p) X(log2) X(sin) X(cos) X(tan) X(tanh) X(erf)
NB_MATH_FNS(NB_MATH_FN)
#undef NB_MATH_FN

}  // namespace nabla::cpu::math

namespace nabla::cpu {

// The Math policy of core/kernels/elementwise_math.hpp: the functions above.
struct Math {
#define NB_MATH_MEMBER(name) \
  template <typename T>      \
  static T name(T x) { return math::name(x); }
  NB_MATH_FNS(NB_MATH_MEMBER)
#undef NB_MATH_MEMBER
};
#undef NB_MATH_FNS

}  // namespace nabla::cpu
