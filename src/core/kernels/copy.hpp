#pragma once
// Copy/cast and fill: the kernels every other op leans on.
#include "core/dispatch.hpp"
#include "nabla/core/scalar.hpp"
#include "nabla/core/tensor_impl.hpp"

namespace nabla {

// dst[...] = cast(src[...]); src broadcasts to dst's shape; any dtypes, any strides.
using CopyFn = void (*)(const TensorImpl& src, TensorImpl& dst);
// Every element of dst = value (converted to dst's dtype).
using FillFn = void (*)(TensorImpl& dst, const Scalar& value);
// out = cond ? a : b; all three broadcast to out; a, b and out share a dtype; cond is bool.
using WhereFn = void (*)(const TensorImpl& cond, const TensorImpl& a, const TensorImpl& b, TensorImpl& out);

inline constinit KernelSlot<CopyFn> copy_kernel("copy");
inline constinit KernelSlot<FillFn> fill_kernel("fill");
inline constinit KernelSlot<WhereFn> where_kernel("where");

}  // namespace nabla
