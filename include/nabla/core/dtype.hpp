#pragma once
// The 13 element types, their traits, and the single place that maps a DType to a C++ type.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nabla/core/half.hpp"

namespace nabla {

// Order is the promotion lattice within each category; never reorder (serialized in files).
enum class DType : uint8_t {
  kBool, kUInt8, kInt8, kInt16, kInt32, kInt64, kUInt16, kUInt32, kUInt64,
  kFloat16, kBFloat16, kFloat32, kFloat64,
};
inline constexpr int kNumDTypes = 13;

inline constexpr DType kBool = DType::kBool, kUInt8 = DType::kUInt8, kInt8 = DType::kInt8,
                       kInt16 = DType::kInt16, kInt32 = DType::kInt32, kInt64 = DType::kInt64,
                       kUInt16 = DType::kUInt16, kUInt32 = DType::kUInt32, kUInt64 = DType::kUInt64,
                       kFloat16 = DType::kFloat16, kBFloat16 = DType::kBFloat16,
                       kFloat32 = DType::kFloat32, kFloat64 = DType::kFloat64;
inline constexpr DType kHalf = kFloat16, kFloat = kFloat32, kDouble = kFloat64, kLong = kInt64,
                       kInt = kInt32, kByte = kUInt8, kChar = kInt8, kShort = kInt16;

constexpr size_t itemsize(DType t) {
  constexpr uint8_t sizes[kNumDTypes] = {1, 1, 1, 2, 4, 8, 2, 4, 8, 2, 2, 4, 8};
  return sizes[int(t)];
}
constexpr bool is_floating(DType t) { return t >= DType::kFloat16; }
constexpr bool is_integral(DType t, bool include_bool) {
  return t == DType::kBool ? include_bool : !is_floating(t);
}
constexpr bool is_signed(DType t) {
  return t == kInt8 || t == kInt16 || t == kInt32 || t == kInt64 || is_floating(t);
}
constexpr bool is_unsigned_wide(DType t) { return t == kUInt16 || t == kUInt32 || t == kUInt64; }

// "float32", as torch spells it after "torch."
std::string_view dtype_name(DType t);

template <typename T> struct dtype_of;
template <DType D> struct ctype_of;
#define NB_DTYPE_PAIR(ctype, D)                                             \
  template <> struct dtype_of<ctype> { static constexpr DType value = D; }; \
  template <> struct ctype_of<D> { using type = ctype; };
NB_DTYPE_PAIR(bool, kBool)
NB_DTYPE_PAIR(uint8_t, kUInt8)
NB_DTYPE_PAIR(int8_t, kInt8)
NB_DTYPE_PAIR(int16_t, kInt16)
NB_DTYPE_PAIR(int32_t, kInt32)
NB_DTYPE_PAIR(int64_t, kInt64)
NB_DTYPE_PAIR(uint16_t, kUInt16)
NB_DTYPE_PAIR(uint32_t, kUInt32)
NB_DTYPE_PAIR(uint64_t, kUInt64)
NB_DTYPE_PAIR(Half, kFloat16)
NB_DTYPE_PAIR(BFloat16, kBFloat16)
NB_DTYPE_PAIR(float, kFloat32)
NB_DTYPE_PAIR(double, kFloat64)
#undef NB_DTYPE_PAIR
template <typename T> inline constexpr DType dtype_v = dtype_of<T>::value;

// The type arithmetic on T is carried out in: float for the 16-bit floats, T otherwise.
template <typename T> struct opmath { using type = T; };
template <> struct opmath<Half> { using type = float; };
template <> struct opmath<BFloat16> { using type = float; };
template <typename T> using opmath_t = typename opmath<T>::type;

template <typename T> struct TypeTag { using type = T; };

// The one dtype switch: calls fn(TypeTag<T>{}) with T the C++ type of `t`.
template <typename Fn>
decltype(auto) visit_dtype(DType t, Fn&& fn) {
  switch (t) {
    case kBool: return fn(TypeTag<bool>{});
    case kUInt8: return fn(TypeTag<uint8_t>{});
    case kInt8: return fn(TypeTag<int8_t>{});
    case kInt16: return fn(TypeTag<int16_t>{});
    case kInt32: return fn(TypeTag<int32_t>{});
    case kInt64: return fn(TypeTag<int64_t>{});
    case kUInt16: return fn(TypeTag<uint16_t>{});
    case kUInt32: return fn(TypeTag<uint32_t>{});
    case kUInt64: return fn(TypeTag<uint64_t>{});
    case kFloat16: return fn(TypeTag<Half>{});
    case kBFloat16: return fn(TypeTag<BFloat16>{});
    case kFloat32: return fn(TypeTag<float>{});
    case kFloat64: return fn(TypeTag<double>{});
  }
  return fn(TypeTag<float>{});
}

}  // namespace nabla
