// ndarray's geometry, views, copies and indexing, and the creation functions.
#include <cmath>
#include <vector>

#include "nabla/ops.hpp"
#include "np/common.hpp"
#include "np/scalar_range.hpp"

namespace nabla::np {

void check_numpy_dtype(DType dtype, const char* op) {
  NB_CHECK(dtype != kBFloat16, TypeError, op,
           ": NumPy has no bfloat16 dtype; convert first, e.g. t.to(kFloat32), or use float16");
}

std::string tuple_repr(IntArrayRef shape, const char* separator) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += separator;
    s += std::to_string(shape[i]);
  }
  s += shape.size() == 1 ? ",)" : ")";
  return s;
}

Tensor alias_of(const Tensor& t) {
  const TensorImpl& impl = *t.impl();
  return Tensor(make_intrusive<TensorImpl>(impl.storage(), impl.offset(), impl.sizes(), impl.strides(), impl.dtype()));
}

ndarray::ndarray(const Tensor& t) {
  NB_CHECK(t.defined(), ValueError, "ndarray: got an undefined tensor");
  NB_CHECK(t.device().is_cpu(), TypeError, "ndarray: can't view ", t.device().str(),
           " device memory as a NumPy array; copy it to the host first with t.cpu()");
  check_numpy_dtype(t.dtype(), "ndarray");
  tensor_ = alias_of(t);
}

DimVector ndarray::strides() const {
  DimVector s = tensor_.strides();
  for (int64_t& v : s) v *= itemsize();
  return s;
}

bool ndarray::c_contiguous() const { return tensor_.is_contiguous(); }

bool ndarray::f_contiguous() const {
  if (size() == 0) return true;
  int64_t expected = 1;
  for (int64_t d = 0; d < ndim(); ++d) {
    if (shape()[d] == 1) continue;
    if (tensor_.strides()[d] != expected) return false;
    expected *= shape()[d];
  }
  return true;
}

ndarray ndarray::reshape(IntArrayRef new_shape) const {
  check_defined(*this, "reshape");
  int64_t known = 1, unknown = -1;
  for (size_t i = 0; i < new_shape.size(); ++i) {
    if (new_shape[i] == -1) {
      NB_CHECK(unknown < 0, ValueError, "reshape: can only specify one unknown dimension");
      unknown = int64_t(i);
    } else {
      NB_CHECK(new_shape[i] >= 0, ValueError, "reshape: negative dimensions not allowed");
      known *= new_shape[i];
    }
  }
  const bool fits = unknown >= 0 ? (known == 0 ? false : size() % known == 0) : known == size();
  NB_CHECK(fits, ValueError, "cannot reshape array of size ", size(), " into shape ", shape_str(new_shape));
  return adopt(tensor_.reshape(new_shape));
}

ndarray ndarray::transpose() const {
  check_defined(*this, "transpose");
  return adopt(tensor_.T());
}

ndarray ndarray::transpose(IntArrayRef axes) const {
  check_defined(*this, "transpose");
  NB_CHECK(int64_t(axes.size()) == ndim(), ValueError, "transpose: axes ", shape_str(axes),
           " don't match array of shape ", shape_str(shape()));
  // NumPy's own messages, not permute's (which would name the wrong function).
  std::vector<bool> seen(axes.size(), false);
  for (int64_t axis : axes) {
    NB_CHECK(axis >= -ndim() && axis < ndim(), IndexError, "transpose: axis ", axis,
             " is out of bounds for array of dimension ", ndim());
    const size_t wrapped = size_t(axis < 0 ? axis + ndim() : axis);
    NB_CHECK(!seen[wrapped], ValueError, "transpose: repeated axis in transpose ", shape_str(axes));
    seen[wrapped] = true;
  }
  return adopt(tensor_.permute(axes));
}

ndarray ndarray::copy() const { return astype(dtype(), true); }
ndarray ndarray::flatten() const { return copy().reshape({-1}); }

ndarray ndarray::astype(DType to, bool copy) const {
  check_defined(*this, "astype");
  check_numpy_dtype(to, "astype");
  if (!copy && to == dtype()) return *this;
  Tensor out = nabla::empty(shape(), to);
  out.copy_(tensor_);
  return adopt(std::move(out));
}

namespace {

// How many dims of the array an index consumes (None and Ellipsis consume none).
int64_t dims_consumed(const TensorIndex& i) {
  switch (i.kind()) {
    case TensorIndex::Kind::kInteger:
    case TensorIndex::Kind::kSlice: return 1;
    case TensorIndex::Kind::kTensor: return i.tensor().dtype() == kBool ? i.tensor().dim() : 1;
    default: return 0;
  }
}

// Python's slice.indices(n) followed by len(range(...)): the first index and the count selected.
std::pair<int64_t, int64_t> resolve_slice(const Slice& s, int64_t n) {
  const int64_t step = s.step;
  auto clamp = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v < 0 ? *v + n : *v;
    if (step < 0) return std::clamp<int64_t>(x, -1, n - 1);
    return std::clamp<int64_t>(x, 0, n);
  };
  const int64_t start = clamp(s.start, step < 0 ? n - 1 : 0);
  const int64_t stop = clamp(s.stop, step < 0 ? -1 : n);
  const int64_t count = step < 0 ? (start > stop ? (start - stop - 1) / -step + 1 : 0)
                                 : (stop > start ? (stop - start - 1) / step + 1 : 0);
  return {start, count};
}

// Tensor::index does what NumPy does except for negative steps: those dims are reversed here (a view
// with a negative stride) and their slices rewritten with a positive step.
struct PreparedIndex {
  Tensor view;
  std::vector<TensorIndex> indices;
  bool basic = true;  // no integer-array or boolean indices: the result is a view
};

PreparedIndex prepare_index(const Tensor& t, const std::vector<TensorIndex>& indices) {
  PreparedIndex p{t, {}, true};
  int64_t specified = 0;
  for (const TensorIndex& i : indices) specified += dims_consumed(i);
  int64_t d = 0;
  for (const TensorIndex& i : indices) {
    if (i.kind() == TensorIndex::Kind::kEllipsis) d += std::max<int64_t>(t.dim() - specified, 0);
    if (i.kind() == TensorIndex::Kind::kTensor || i.kind() == TensorIndex::Kind::kBool) p.basic = false;
    if (i.kind() == TensorIndex::Kind::kSlice && i.slice().step < 0 && d < t.dim()) {
      const int64_t n = p.view.size(d);
      auto [first, count] = resolve_slice(i.slice(), n);
      DimVector strides = p.view.strides();
      const int64_t offset = p.view.storage_offset() + (n > 0 ? (n - 1) * strides[d] : 0);
      strides[d] = -strides[d];
      p.view = Tensor(make_intrusive<TensorImpl>(p.view.impl()->storage(), offset, p.view.sizes(), strides,
                                                 p.view.dtype()));
      const int64_t reversed_first = n - 1 - first;
      p.indices.push_back(count > 0 ? Slice(reversed_first, reversed_first + (count - 1) * -i.slice().step + 1,
                                            -i.slice().step)
                                    : Slice(0, 0));
    } else {
      p.indices.push_back(i);
    }
    d += dims_consumed(i);
  }
  return p;
}

}  // namespace

ndarray ndarray::index(std::initializer_list<TensorIndex> indices) const {
  return index(std::vector<TensorIndex>(indices));
}

ndarray ndarray::index(const std::vector<TensorIndex>& indices) const {
  check_defined(*this, "index");
  PreparedIndex p = prepare_index(tensor_, indices);
  Tensor r = p.view.index(p.indices);
  return p.basic ? adopt(alias_of(r)) : adopt(std::move(r));
}

void ndarray::index_put(const std::vector<TensorIndex>& indices, const ndarray& value) {
  check_defined(*this, "index_put");
  check_defined(value, "index_put");
  PreparedIndex p = prepare_index(tensor_, indices);
  p.view.index_put_(p.indices, value.tensor().to(dtype()));
}

void ndarray::index_put(const std::vector<TensorIndex>& indices, const Scalar& value) {
  check_defined(*this, "index_put");
  check_scalar_fits(value, dtype());
  PreparedIndex p = prepare_index(tensor_, indices);
  p.view.index_put_(p.indices, value);
}

void ndarray::fill(const Scalar& value) {
  check_defined(*this, "fill");
  check_scalar_fits(value, dtype());
  tensor_.fill_(value);
}

// Creation.
namespace {

struct ListSummary {
  DimVector shape;
  std::optional<size_t> leaf_depth;  // where the numbers are; every one must be at the same depth
  bool any_bool = false, any_int = false, any_big_uint = false, any_negative = false, any_float = false;
};

[[noreturn]] void fail_inhomogeneous(size_t depth) {
  fail<ValueError>("array: setting an array element with a sequence. The requested array has an inhomogeneous "
                   "shape after ", depth, " dimensions");
}

void summarize(const NestedList& node, size_t depth, ListSummary& s) {
  if (node.is_scalar()) {
    if (!s.leaf_depth) s.leaf_depth = depth;
    if (depth != *s.leaf_depth || depth != s.shape.size()) fail_inhomogeneous(std::min(depth, s.shape.size()));
    const Scalar& v = node.scalar();
    switch (v.kind()) {
      case Scalar::Kind::kBool: s.any_bool = true; break;
      case Scalar::Kind::kFloat: s.any_float = true; break;
      case Scalar::Kind::kUInt:
        if (v.to<uint64_t>() > uint64_t(INT64_MAX)) s.any_big_uint = true;
        else s.any_int = true;
        break;
      case Scalar::Kind::kInt:
        s.any_int = true;
        s.any_negative = s.any_negative || v.to_int64() < 0;
        break;
    }
    return;
  }
  if (s.leaf_depth && depth >= *s.leaf_depth) fail_inhomogeneous(*s.leaf_depth);
  const int64_t n = int64_t(node.items().size());
  if (depth == s.shape.size()) s.shape.push_back(n);
  else if (s.shape[depth] != n) fail_inhomogeneous(depth);
  for (const auto& item : node.items()) summarize(item, depth + 1, s);
}

void check_values_fit(const NestedList& node, DType dtype) {
  if (node.is_scalar()) return check_scalar_fits(node.scalar(), dtype);
  for (const auto& item : node.items()) check_values_fit(item, dtype);
}

// NumPy's dtype discovery for Python numbers: floats give float64, ints int64 (uint64 when every one
// is non-negative and one needs 64 unsigned bits, float64 when they also hold a negative), bools bool.
DType discovered_dtype(const ListSummary& s) {
  if (s.any_float) return kFloat64;
  if (s.any_big_uint) return s.any_int ? kFloat64 : kUInt64;
  if (s.any_int) return kInt64;
  return s.any_bool ? kBool : kFloat64;
}

DType dtype_of_scalar(const Scalar& v) {
  switch (v.kind()) {
    case Scalar::Kind::kBool: return kBool;
    case Scalar::Kind::kFloat: return kFloat64;
    case Scalar::Kind::kUInt: return v.to<uint64_t>() > uint64_t(INT64_MAX) ? kUInt64 : kInt64;
    default: return kInt64;
  }
}

void check_shape(IntArrayRef shape, const char* op) {
  for (int64_t s : shape) NB_CHECK(s >= 0, ValueError, op, ": negative dimensions are not allowed");
}

}  // namespace

ndarray array(const NestedList& data, std::optional<DType> dtype) {
  ListSummary s;
  summarize(data, 0, s);
  const DType d = dtype.value_or(discovered_dtype(s));
  check_numpy_dtype(d, "array");
  if (is_integral(d, false)) check_values_fit(data, d);
  return adopt(nabla::tensor(data, TensorOptions(d)));
}

ndarray asarray(const Tensor& t) { return ndarray(t); }

ndarray empty(IntArrayRef shape, DType dtype) {
  check_shape(shape, "empty");
  check_numpy_dtype(dtype, "empty");
  return adopt(nabla::empty(shape, dtype));
}

ndarray full(IntArrayRef shape, const Scalar& value, std::optional<DType> dtype) {
  check_shape(shape, "full");
  const DType d = dtype.value_or(dtype_of_scalar(value));
  check_numpy_dtype(d, "full");
  // NumPy casts the value as it is (70000 into float16 is inf), where torch.full refuses.
  return adopt(nabla::tensor(value, TensorOptions(d)).expand(shape).contiguous());
}

ndarray zeros(IntArrayRef shape, DType dtype) { return np::full(shape, 0, dtype); }
ndarray ones(IntArrayRef shape, DType dtype) { return np::full(shape, 1, dtype); }
ndarray zeros_like(const ndarray& a) { return zeros(a.shape(), a.dtype()); }
ndarray ones_like(const ndarray& a) { return ones(a.shape(), a.dtype()); }

ndarray arange(const Scalar& stop, std::optional<DType> dtype) { return arange(0, stop, 1, dtype); }

// np.arange fills as NumPy's <type>_fill does: the first two values are start and start + step converted
// to the dtype, then value i = start + i * (second - first), computed in the dtype's arithmetic.
ndarray arange(const Scalar& start, const Scalar& stop, const Scalar& step, std::optional<DType> dtype) {
  const bool floating = start.is_floating() || stop.is_floating() || step.is_floating();
  const DType d = dtype.value_or(floating ? kFloat64 : kInt64);
  check_numpy_dtype(d, "arange");
  int64_t length;
  if (floating) {
    NB_CHECK(step.to_double() != 0, ValueError, "arange: step must not be zero");
    const double n = std::ceil((stop.to_double() - start.to_double()) / step.to_double());
    NB_CHECK(!std::isnan(n) && n < 1e15, ValueError, "arange: cannot compute the length of the range from start ",
             start.to_double(), ", stop ", stop.to_double(), " and step ", step.to_double());
    length = n > 0 ? int64_t(n) : 0;
  } else {
    const int64_t a = start.to_int64(), b = stop.to_int64(), s = step.to_int64();
    NB_CHECK(s != 0, ValueError, "arange: step must not be zero");
    const int64_t span = b - a;
    length = s > 0 ? (span > 0 ? (span + s - 1) / s : 0) : (span < 0 ? (-span + -s - 1) / -s : 0);
  }
  NB_CHECK(d != kBool || length <= 2, ValueError, "arange: no fill-function for data-type bool beyond 2 elements");
  Tensor out = nabla::empty({length}, d);
  visit_dtype(d, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using M = std::conditional_t<std::is_integral_v<T> && !std::is_same_v<T, bool>,
                                 std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>, opmath_t<T>>;
    T* p = out.data_ptr<T>();
    if (length == 0) return;
    const Scalar second = floating ? Scalar(start.to_double() + step.to_double()) : Scalar(start.to_int64() + step.to_int64());
    p[0] = start.to<T>();
    if (length > 1) p[1] = second.to<T>();
    if constexpr (!std::is_same_v<T, bool>) {
      const M first = M(p[0]), delta = M(M(p[1]) - first);
      for (int64_t i = 2; i < length; ++i) p[i] = T(first + M(i) * delta);
    }
  });
  return adopt(std::move(out));
}

ndarray linspace(double start, double stop, int64_t num, DType dtype) {
  NB_CHECK(num >= 0, ValueError, "linspace: number of samples, ", num, ", must be non-negative");
  check_numpy_dtype(dtype, "linspace");
  Tensor values = nabla::empty({num}, kFloat64);
  double* p = values.data_ptr<double>();
  const double div = double(num - 1), delta = stop - start, step = num > 1 ? delta / div : NAN;
  for (int64_t i = 0; i < num; ++i) {
    p[i] = num == 1 ? start : step == 0 ? double(i) / div * delta + start : double(i) * step + start;
    if (is_integral(dtype, false)) p[i] = std::floor(p[i]);
  }
  if (num > 1) p[num - 1] = is_integral(dtype, false) ? std::floor(stop) : stop;
  return adopt(values.to(dtype));
}

bool array_equal(const ndarray& a, const ndarray& b) {
  check_defined(a, "array_equal");
  check_defined(b, "array_equal");
  if (!(a.shape() == b.shape())) return false;
  return a.size() == 0 || nabla::all(equal(a, b).tensor()).item<bool>();
}

}  // namespace nabla::np
