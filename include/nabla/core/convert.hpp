#pragma once
// Value conversion between element types, as PyTorch's c10::convert does it on x86-64, but
// without undefined behaviour: 16-bit floats go through float; floating -> integer truncates
// toward zero and wraps modulo 2^bits via int64 (so -1.0 -> uint8 255 and 300.0 -> int8 44);
// values outside int64's range become INT64_MIN's bits, as the CPU's cvttsd2si gives.
#include <cstdint>
#include <type_traits>

#include "nabla/core/dtype.hpp"

namespace nabla {

template <typename To, typename From>
NB_HOST_DEVICE inline To convert(From v) {
  using M = opmath_t<From>;
  if constexpr (std::is_same_v<To, From>) return v;
  else if constexpr (std::is_same_v<To, bool>) return static_cast<M>(v) != M(0);
  else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    if constexpr (std::is_same_v<From, double>) return To(float(v));
    else return To(static_cast<float>(static_cast<M>(v)));
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<M>) {
    double d = static_cast<double>(static_cast<M>(v));
    if constexpr (std::is_same_v<To, uint64_t>) {
      if (d >= 9223372036854775808.0 && d < 18446744073709551616.0) return static_cast<uint64_t>(d);
    }
    int64_t i = (d >= -9223372036854775808.0 && d < 9223372036854775808.0) ? static_cast<int64_t>(d) : INT64_MIN;
    return static_cast<To>(i);
  } else return static_cast<To>(static_cast<M>(v));
}

}  // namespace nabla
