#pragma once
// What every op in this layer does first: validate, promote, allocate the output.
#include "core/check.hpp"
#include "core/promotion.hpp"
#include "nabla/creation.hpp"
#include "nabla/ops.hpp"
#include "nabla/tensor.hpp"

namespace nabla {

// A fresh contiguous tensor (no fill).
Tensor make_empty(IntArrayRef sizes, DType dtype, Device device);
// A 0-d tensor holding `value` as `dtype` (how a scalar operand reaches a kernel).
Tensor scalar_tensor(const Scalar& value, DType dtype, Device device);

inline void check_defined(const Tensor& t, const char* op) {
  NB_CHECK(t.defined(), ValueError, op, ": got an undefined tensor");
}
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
// Whether a and b name one device, a bare "cuda" standing for the current CUDA device.
bool same_device(Device a, Device b);
// Refuses a fill value that `dtype` cannot hold, as PyTorch does ("value cannot be converted to type
// uint8_t without overflow"): NaN into an integer type, a finite value beyond the type's range. Like
// PyTorch, negative integers into an unsigned type wrap when their magnitude fits.
void check_fill_value(const Scalar& value, DType dtype, const char* op);
// Before writing into `t` in place: refuses read-only memory and counts the new version.
void begin_write(const Tensor& t, const char* op);

}  // namespace nabla
