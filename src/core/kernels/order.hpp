#pragma once
// Ordering kernels: sort, topk, unique. (cat, stack, flip and roll are copies through views and
// use copy_kernel.) NaN orders above every number, as in PyTorch.
#include "core/dispatch.hpp"
#include "nabla/core/tensor_impl.hpp"

namespace nabla {

// Sorts every 1-D slice of x along `dim` into values (x's dtype) and indices (int64); both have
// x's shape, any strides. x has at least one dim. With `stable`, equal elements keep their order.
using SortFn = void (*)(const TensorImpl& x, int64_t dim, bool descending, bool stable, TensorImpl& values,
                        TensorImpl& indices);
// The k largest (or smallest) elements of every slice along `dim`, in order when `sorted`.
// values/indices have x's shape with size k at `dim`. x has at least one dim; 0 < k <= x.size(dim).
using TopkFn = void (*)(const TensorImpl& x, int64_t dim, int64_t k, bool largest, bool sorted,
                        TensorImpl& values, TensorImpl& indices);
// The sorted distinct elements of a contiguous, non-empty x, written to the front of `values`
// (1-D, x.numel() long); returns how many there are. `inverse` (x's shape, int64, contiguous)
// receives each element's position in the unique values, `counts` (x.numel() long) how often each
// occurs; either may be null when not wanted. NaNs never compare equal, so each is its own value.
using UniqueFn = int64_t (*)(const TensorImpl& x, TensorImpl& values, TensorImpl* inverse, TensorImpl* counts);

inline constinit KernelSlot<SortFn> sort_kernel("sort");
inline constinit KernelSlot<TopkFn> topk_kernel("topk");
inline constinit KernelSlot<UniqueFn> unique_kernel("unique");

}  // namespace nabla
