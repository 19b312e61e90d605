#pragma once
// Whether a Python-like integer scalar fits an integer dtype: NEP 50 refuses `int8_array + 300` rather
// than wrapping 300, and decides comparisons with such a scalar without converting it.
#include "nabla/core/scalar.hpp"

namespace nabla::np {

enum class ScalarFit { kInside, kAbove, kBelow };

// kInside for non-integer scalars or dtypes.
ScalarFit scalar_fit(const Scalar& v, DType dtype);
// ValueError "Python integer 300 out of bounds for int8" (NumPy raises OverflowError) unless v fits.
void check_scalar_fits(const Scalar& v, DType dtype);

}  // namespace nabla::np
