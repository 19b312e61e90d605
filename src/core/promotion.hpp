#pragma once
// Note [Type promotion]
// PyTorch's torch.result_type: operands fall in three priority classes, tensors with dims,
// 0-d tensors, and wrapped numbers (C++/Python scalars). Each class promotes within itself;
// a lower class only changes the result when its category (bool < integer < floating) is
// higher, and a floating wrapped number then contributes the default dtype, float32. The
// unsigned 16/32/64-bit types, which PyTorch 1.13 lacks, promote like NumPy's: with a signed
// type they need a signed type twice as wide, and uint64 with a signed type is refused.
#include <span>

#include "nabla/core/dtype.hpp"
#include "nabla/core/scalar.hpp"
#include "nabla/core/shape.hpp"

namespace nabla {

DType promote_types(DType a, DType b);

enum class OperandClass : uint8_t { kDimTensor, kZeroDimTensor, kWrappedNumber };
struct PromotionOperand {
  DType dtype;
  OperandClass cls;
};
DType result_type(std::span<const PromotionOperand> operands);

inline PromotionOperand operand_of(DType dtype, int64_t ndim) {
  return {dtype, ndim == 0 ? OperandClass::kZeroDimTensor : OperandClass::kDimTensor};
}
inline PromotionOperand operand_of(const Scalar& s) { return {s.default_dtype(), OperandClass::kWrappedNumber}; }

// NumPy broadcasting of two shapes; the error names both shapes and the offending dim.
DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b);
// Strides that view a tensor of `sizes`/`strides` as `target` (stride 0 on broadcast dims).
DimVector broadcast_strides(IntArrayRef sizes, IntArrayRef strides, IntArrayRef target);

}  // namespace nabla
