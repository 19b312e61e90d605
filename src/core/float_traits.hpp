#pragma once
// What std::numeric_limits and <type_traits> do not say about Half and BFloat16: which element types
// are floating-point, and their largest finite value.
#include <limits>
#include <type_traits>

#include "nabla/core/half.hpp"

namespace nabla {

template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> || std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// Largest finite value of a floating T, as a double.
template <typename T>
constexpr double max_finite() {
  if constexpr (std::is_same_v<T, Half>) return 65504.0;
  else if constexpr (std::is_same_v<T, BFloat16>) return 3.3895313892515355e38;
  else return double(std::numeric_limits<T>::max());
}

}  // namespace nabla
