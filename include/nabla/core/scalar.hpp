#pragma once
// A number that is not a tensor: a C++ literal or a Python scalar. Its kind (bool, integer,
// floating) takes part in type promotion the way a Python number does in PyTorch.
#include <cstdint>
#include <type_traits>

#include "nabla/core/convert.hpp"
#include "nabla/core/dtype.hpp"

namespace nabla {

class Scalar {
 public:
  enum class Kind : uint8_t { kBool, kInt, kUInt, kFloat };
  Scalar() : kind_(Kind::kInt), i_(0) {}
  Scalar(bool v) : kind_(Kind::kBool), i_(v) {}
  Scalar(Half v) : kind_(Kind::kFloat), d_(float(v)) {}
  Scalar(BFloat16 v) : kind_(Kind::kFloat), d_(float(v)) {}
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Scalar(T v) {
    if constexpr (std::is_floating_point_v<T>) {
      kind_ = Kind::kFloat;
      d_ = double(v);
    } else if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
      kind_ = Kind::kUInt;
      u_ = v;
    } else {
      kind_ = Kind::kInt;
      i_ = int64_t(v);
    }
  }

  Kind kind() const { return kind_; }
  bool is_floating() const { return kind_ == Kind::kFloat; }
  bool is_integral() const { return kind_ == Kind::kInt || kind_ == Kind::kUInt; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  // The dtype a Python number of this kind becomes when standing alone (torch.tensor(3.5)).
  DType default_dtype() const {
    return kind_ == Kind::kFloat ? kFloat32 : kind_ == Kind::kBool ? kBool
                                   : kind_ == Kind::kUInt      ? kUInt64 : kInt64;
  }

  template <typename T> T to() const {
    switch (kind_) {
      case Kind::kFloat: return cast<T>(d_);
      case Kind::kUInt: return cast<T>(u_);
      default: return cast<T>(i_);
    }
  }
  double to_double() const { return to<double>(); }
  int64_t to_int64() const { return to<int64_t>(); }

 private:
  template <typename T, typename V> static T cast(V v) { return convert<T, V>(v); }
  Kind kind_;
  union {
    int64_t i_;
    uint64_t u_;
    double d_;
  };
};

}  // namespace nabla
