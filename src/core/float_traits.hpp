#pragma once
// What std::numeric_limits and <type_traits> do not say about Half and BFloat16: which element types
// are floating-point, and their largest finite value; and the dtype switch of float-only kernels.
#include <limits>
#include <type_traits>

#include "core/check.hpp"
#include "nabla/core/dtype.hpp"
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

// visit_dtype for kernels that exist for floating dtypes only (the ops layer has already refused the
// others with a message for the user): calls fn(TypeTag<T>{}) for a floating dtype.
template <typename Fn>
void visit_floating_dtype(DType dtype, const char* kernel, Fn&& fn) {
  visit_dtype(dtype, [&](auto tag) {
    if constexpr (kIsFloat<typename decltype(tag)::type>) fn(tag);
    else fail<RuntimeError>(kernel, ": internal error: no kernel for dtype ", dtype_name(dtype));
  });
}

}  // namespace nabla
