// Reductions with NumPy's axis rules and result dtypes.
#include "np/common.hpp"
#include "nabla/ops.hpp"

namespace nabla::np {
namespace {

// The axes as non-negative dims, checked as NumPy does (AxisError is an IndexError there too).
DimVector resolve_axes(const ndarray& a, const Axes& axis) {
  DimVector dims;
  if (axis.all) {
    for (int64_t d = 0; d < a.ndim(); ++d) dims.push_back(d);
    return dims;
  }
  std::vector<bool> seen(size_t(a.ndim()), false);
  for (int64_t d : axis.dims) {
    NB_CHECK(d >= -a.ndim() && d < a.ndim(), IndexError, "axis ", d, " is out of bounds for array of dimension ", a.ndim());
    const int64_t w = d < 0 ? d + a.ndim() : d;
    NB_CHECK(!seen[size_t(w)], ValueError, "duplicate value in 'axis'");
    seen[size_t(w)] = true;
    dims.push_back(w);
  }
  return dims;
}

// Reduces `t` over `dims` with `reduce(t, dims)`, which must keep the reduced dims (keepdim=true), then
// drops them unless keepdims. A 0-d array or an empty axis list reduces nothing.
template <typename Reduce>
ndarray reduce_over(const Tensor& t, const DimVector& dims, bool keepdims, Reduce&& reduce) {
  Tensor r = dims.empty() ? reduce(t.unsqueeze(0), DimVector{0}).squeeze(0) : reduce(t, dims);
  if (!keepdims && !dims.empty()) {
    DimVector shape;
    for (int64_t d = 0; d < t.dim(); ++d)
      if (std::find(dims.begin(), dims.end(), d) == dims.end()) shape.push_back(t.size(d));
    r = r.reshape(shape);
  }
  return adopt(std::move(r));
}

DType sum_dtype(DType d) {
  if (is_floating(d)) return d;
  return d == kBool || is_signed(d) ? kInt64 : kUInt64;
}

void check_nonempty_reduction(const ndarray& a, const DimVector& dims, const char* ufunc) {
  for (int64_t d : dims)
    NB_CHECK(a.shape()[d] != 0, ValueError, "zero-size array to reduction operation ", ufunc, " which has no identity");
}

}  // namespace

ndarray sum(const ndarray& a, const Axes& axis, bool keepdims) {
  check_defined(a, "sum");
  const DType out = sum_dtype(a.dtype());
  return reduce_over(a.tensor(), resolve_axes(a, axis), keepdims,
                     [&](const Tensor& t, const DimVector& dims) { return nabla::sum(t, Dims(dims), true, out); });
}

ndarray mean(const ndarray& a, const Axes& axis, bool keepdims) {
  check_defined(a, "mean");
  const Tensor t = is_floating(a.dtype()) ? a.tensor() : a.tensor().to(kFloat64);
  return reduce_over(t, resolve_axes(a, axis), keepdims,
                     [&](const Tensor& x, const DimVector& dims) { return nabla::mean(x, Dims(dims), true); });
}

ndarray max(const ndarray& a, const Axes& axis, bool keepdims) {
  check_defined(a, "max");
  const DimVector dims = resolve_axes(a, axis);
  check_nonempty_reduction(a, dims, "maximum");
  return reduce_over(a.tensor(), dims, keepdims,
                     [&](const Tensor& t, const DimVector& d) { return nabla::amax(t, Dims(d), true); });
}

ndarray min(const ndarray& a, const Axes& axis, bool keepdims) {
  check_defined(a, "min");
  const DimVector dims = resolve_axes(a, axis);
  check_nonempty_reduction(a, dims, "minimum");
  return reduce_over(a.tensor(), dims, keepdims,
                     [&](const Tensor& t, const DimVector& d) { return nabla::amin(t, Dims(d), true); });
}

namespace {

ndarray arg_reduce(const ndarray& a, std::optional<int64_t> axis, bool keepdims, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  check_defined(a, name);
  auto run = [&](const Tensor& t, std::optional<int64_t> dim, bool keep) {
    const Tensor x = t.dtype() == kBool ? t.to(kUInt8) : t;  // the kernels have no bool variant
    return is_max ? nabla::argmax(x, dim, keep) : nabla::argmin(x, dim, keep);
  };
  if (!axis) {
    NB_CHECK(a.size() > 0, ValueError, "attempt to get ", name, " of an empty sequence");
    Tensor r = run(a.tensor().reshape({-1}), 0, false);
    return adopt(keepdims ? r.reshape(DimVector(size_t(a.ndim()), 1)) : r);
  }
  const int64_t d = resolve_axes(a, Axes(*axis))[0];
  NB_CHECK(a.shape()[d] > 0, ValueError, "attempt to get ", name, " of an empty sequence");
  return adopt(run(a.tensor(), d, keepdims));
}

}  // namespace

ndarray argmax(const ndarray& a, std::optional<int64_t> axis, bool keepdims) { return arg_reduce(a, axis, keepdims, true); }
ndarray argmin(const ndarray& a, std::optional<int64_t> axis, bool keepdims) { return arg_reduce(a, axis, keepdims, false); }

ndarray ndarray::sum(const Axes& axis, bool keepdims) const { return np::sum(*this, axis, keepdims); }
ndarray ndarray::mean(const Axes& axis, bool keepdims) const { return np::mean(*this, axis, keepdims); }
ndarray ndarray::max(const Axes& axis, bool keepdims) const { return np::max(*this, axis, keepdims); }
ndarray ndarray::min(const Axes& axis, bool keepdims) const { return np::min(*this, axis, keepdims); }
ndarray ndarray::argmax(std::optional<int64_t> axis, bool keepdims) const { return np::argmax(*this, axis, keepdims); }
ndarray ndarray::argmin(std::optional<int64_t> axis, bool keepdims) const { return np::argmin(*this, axis, keepdims); }

}  // namespace nabla::np
