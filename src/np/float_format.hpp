#pragma once
// NumPy's float formatting (numpy/core/src/multiarray/dragon4.c): the shortest digits that identify a
// value among the values of its own type (float16, float32 or float64), cut at a precision with the
// exact value rounded half to even, then trimmed and padded the way np.format_float_positional and
// np.format_float_scientific do it.
#include <string>

#include "nabla/core/dtype.hpp"

namespace nabla::np {

// What happens to trailing zeros and the decimal point (dragon4's TrimMode).
enum class Trim {
  kKeep,      // 'k': keep trailing zeros and the point ("1.000", "1.")
  kDot,       // '.': drop trailing zeros, keep the point ("1.")
  kZero,      // '0': drop trailing zeros, keep one after the point ("1.0")
  kDotZeros,  // '-': drop trailing zeros and the point ("1")
};

struct FloatFormat {
  int precision = -1;   // most digits after the point (-1: as many as the shortest representation needs)
  int min_digits = -1;  // digits after the point below which the value's exact digits are printed, not shortest
  Trim trim = Trim::kKeep;
  int pad_left = -1;    // the integer part (with its sign) right-aligned to this width
  int pad_right = -1;   // the fraction part left-aligned to this width (positional only)
  int exp_digits = -1;  // fewest exponent digits (scientific only; at least 2)
};

// `value` must be finite and exactly a value of `dtype` (float16, float32 or float64).
std::string format_positional(double value, DType dtype, const FloatFormat& f);
std::string format_scientific(double value, DType dtype, const FloatFormat& f);

// str() of a NumPy float scalar: positional for 1e-4 <= |x| < 1e16 ("0.5", "3.0"), scientific otherwise ("1e-05").
std::string format_float_scalar(double value, DType dtype);

}  // namespace nabla::np
