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
NB_MATH_FN(exp)
NB_MATH_FN(expm1)
NB_MATH_FN(log)
NB_MATH_FN(log1p)
NB_MATH_FN(log2)
NB_MATH_FN(sin)
NB_MATH_FN(cos)
NB_MATH_FN(tan)
NB_MATH_FN(tanh)
NB_MATH_FN(erf)
#undef NB_MATH_FN

}  // namespace nabla::cpu::math
