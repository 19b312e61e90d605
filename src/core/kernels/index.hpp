#pragma once
// Indexing kernels. Every indexing op (advanced indexing, index_put_, index_select, gather,
// scatter, masked_select) is reduced by the ops layer to element offsets: a tensor `offsets` of
// int64 holding, per result element, how far (in elements) the addressed element lies from where
// a restrided view of the source points. The kernels then only move data by those offsets.
#include <optional>

#include "core/dispatch.hpp"
#include "nabla/core/tensor_impl.hpp"

namespace nabla {

// Calls fn(TypeTag<U>{}) with U an unsigned type of `dtype`'s size: what kernels that only move
// elements are instantiated for.
template <typename Fn>
void visit_itemsize(DType dtype, Fn&& fn) {
  switch (itemsize(dtype)) {
    case 1: return fn(TypeTag<uint8_t>{});
    case 2: return fn(TypeTag<uint16_t>{});
    case 4: return fn(TypeTag<uint32_t>{});
    default: return fn(TypeTag<uint64_t>{});
  }
}

// Calls fn(TypeTag<I>{}) with I the type of an index tensor (int32 or int64).
template <typename Fn>
void visit_index_dtype(DType dtype, Fn&& fn) {
  if (dtype == kInt32) return fn(TypeTag<int32_t>{});
  return fn(TypeTag<int64_t>{});
}

// offsets[i] += normalize(index[i]) * stride, index (int32/int64) broadcast to offsets' shape.
// normalize wraps negative indices when wrap_negative, and any index outside [-size, size) (or
// [0, size) without wrapping) leaves the offsets unspecified and is returned instead; the first
// such index in row-major order is returned, whatever the thread count.
using IndexOffsetsFn = std::optional<int64_t> (*)(TensorImpl& offsets, const TensorImpl& index, int64_t size,
                                                  int64_t stride, bool wrap_negative);
// out[i] = *(&src[i] + offsets[i]); src and offsets broadcast to out's shape; same dtype.
using IndexFn = void (*)(TensorImpl& out, const TensorImpl& src, const TensorImpl& offsets);
// *(&dst[i] + offsets[i]) = values[i] (or += when accumulate); offsets and values broadcast to
// dst's shape; dst and values share a dtype. dst may have zero strides (several i, one element):
// with duplicate targets and !accumulate, which value lands is unspecified, as in PyTorch.
using IndexPutFn = void (*)(TensorImpl& dst, const TensorImpl& offsets, const TensorImpl& values, bool accumulate);
// The number of elements of x that are not zero.
using CountNonzeroFn = int64_t (*)(const TensorImpl& x);
// out (int64, shape (count_nonzero(x), x.dim()), contiguous) = the coordinates of x's nonzeros.
using NonzeroFn = void (*)(const TensorImpl& x, TensorImpl& out);

inline constinit KernelSlot<IndexOffsetsFn> index_offsets_kernel("index_offsets");
inline constinit KernelSlot<IndexFn> index_kernel("index");
inline constinit KernelSlot<IndexPutFn> index_put_kernel("index_put");
inline constinit KernelSlot<CountNonzeroFn> count_nonzero_kernel("count_nonzero");
inline constinit KernelSlot<NonzeroFn> nonzero_kernel("nonzero");

}  // namespace nabla
