#pragma once
// Note [Reduction kernels]
// Three kernels carry every reduction op: `reduce` (a whole set of dims folded into one value per
// output, with an index for argmax/argmin), `scan` (running sums/products along one dim) and
// `softmax` (along one dim). The ops layer validates, picks dtypes and shapes, and builds the
// public ops (sum, mean, var, norm, max(dim), ...) from them.
//
// Reduced dims are implied by shapes: `out` (and `indices`) have the input's rank, with size 1 on
// every reduced dim (PyTorch's keepdim shape; the ops layer drops those dims afterwards).
// Results never depend on the thread count: work is split into chunks fixed by the shapes alone
// and partial results are combined in a fixed order.
#include "core/dispatch.hpp"
#include "nabla/core/tensor_impl.hpp"

namespace nabla {

enum class ReduceOp : uint8_t {
  kSum,        // out: int64 for integral inputs (bool included), else the input dtype
  kProd,       // as kSum
  kMean,       // floating inputs only
  kMax,        // NaN propagates; any dtype
  kMin,
  kAll,        // out: bool or uint8 (0/1)
  kAny,
  kNorm,       // floating only: (sum |x|^p)^(1/p), with p = 0, 1, 2, +-inf handled exactly as torch.norm
  kVar,        // floating only: sum (x - mean)^2 / max(0, n - correction)
  kStd,        // sqrt of kVar
  kLogSumExp,  // floating only; -inf over an empty set
  kArgMax,     // indices (int64) of the first maximum, a NaN counting as the maximum; values if asked
  kArgMin,
};

struct ReduceArgs {
  double p = 2;           // kNorm
  double correction = 1;  // kVar, kStd
};

// `indices` is required for kArgMax/kArgMin (their `out`, if not null, receives the values) and
// ignored otherwise. For the index ops the reduced dims must be one dim or all dims: the index
// counts the reduced elements in row-major order.
using ReduceFn = void (*)(ReduceOp op, const TensorImpl& in, TensorImpl* out, TensorImpl* indices,
                          const ReduceArgs& args);

enum class ScanOp : uint8_t { kSum, kProd };
// out[..., i, ...] = op of in[..., 0..i, ...] along `dim`; same shape; out's dtype is int64 for
// integral inputs, else the input's.
using ScanFn = void (*)(ScanOp op, const TensorImpl& in, TensorImpl& out, int64_t dim);

// out = softmax(in) (or log_softmax) along `dim`; same shape and floating dtype.
using SoftmaxFn = void (*)(const TensorImpl& in, TensorImpl& out, int64_t dim, bool log);

inline constinit KernelSlot<ReduceFn> reduce_kernel("reduce");
inline constinit KernelSlot<ScanFn> scan_kernel("scan");
inline constinit KernelSlot<SoftmaxFn> softmax_kernel("softmax");

}  // namespace nabla
