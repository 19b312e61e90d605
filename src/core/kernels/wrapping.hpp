#pragma once
// Integer arithmetic that wraps around on overflow (two's complement), as PyTorch's and NumPy's
// integer ops do on every backend. Signed overflow is undefined behaviour in C++, so integers are
// computed in an unsigned type at least as wide as `unsigned` (narrower ones would promote to int,
// which can overflow again). Floating-point and bool values pass through unchanged.
#include <type_traits>

#include "nabla/core/host_device.hpp"

namespace nabla {

template <typename T>
inline constexpr bool kWrapsAsUnsigned = std::is_integral_v<T> && !std::is_same_v<T, bool>;

template <typename T>
using wrapping_t = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

template <typename T>
NB_HOST_DEVICE constexpr T wrapping_add(T a, T b) {
  if constexpr (kWrapsAsUnsigned<T>) return T(wrapping_t<T>(a) + wrapping_t<T>(b));
  else return a + b;
}
template <typename T>
NB_HOST_DEVICE constexpr T wrapping_sub(T a, T b) {
  if constexpr (kWrapsAsUnsigned<T>) return T(wrapping_t<T>(a) - wrapping_t<T>(b));
  else return a - b;
}
template <typename T>
NB_HOST_DEVICE constexpr T wrapping_mul(T a, T b) {
  if constexpr (kWrapsAsUnsigned<T>) return T(wrapping_t<T>(a) * wrapping_t<T>(b));
  else return a * b;
}
template <typename T>
NB_HOST_DEVICE constexpr T wrapping_neg(T a) { return wrapping_sub(T(0), a); }

}  // namespace nabla
