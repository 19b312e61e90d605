// tensor(), zeros/ones/full/empty, arange, linspace, eye, *_like, from_blob.
#include <cmath>
#include <functional>

#include "core/kernels/copy.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

// The shape of a nesting, checked to be rectangular: every number at the same depth (the last),
// every list at a given depth of the same length.
struct NestingShape {
  DimVector shape;
  Scalar::Kind kind = Scalar::Kind::kBool;
  bool seen_number = false;
};

void collect_shape(const NestedList& node, size_t depth, NestingShape& out) {
  if (node.is_scalar()) {
    NB_CHECK(depth == out.shape.size(), ValueError, "tensor: expected a sequence of length ", out.shape[depth],
             " at dim ", depth, " (got a number); every row must have the same length");
    out.seen_number = true;
    if (int(node.scalar().kind()) > int(out.kind)) out.kind = node.scalar().kind();
    return;
  }
  const int64_t n = int64_t(node.items().size());
  if (depth == out.shape.size()) {
    NB_CHECK(!out.seen_number, ValueError, "tensor: expected a number at dim ", depth,
             " (got a sequence of length ", n, "); every row must have the same length");
    out.shape.push_back(n);
  } else {
    NB_CHECK(out.shape[depth] == n, ValueError, "tensor: expected sequence of length ", out.shape[depth], " at dim ",
             depth, " (got ", n, "); every row must have the same length");
  }
  for (const auto& item : node.items()) collect_shape(item, depth + 1, out);
}

template <typename T>
void write_values(const NestedList& node, T*& out) {
  if (node.is_scalar()) {
    *out++ = node.scalar().to<T>();
    return;
  }
  for (const auto& item : node.items()) write_values(item, out);
}

DType kind_dtype(Scalar::Kind k) {
  switch (k) {
    case Scalar::Kind::kBool: return kBool;
    case Scalar::Kind::kFloat: return kFloat32;
    case Scalar::Kind::kUInt: return kUInt64;
    default: return kInt64;
  }
}

void finish(Tensor& t, const TensorOptions& o) {
  if (o.requires_grad_) t.requires_grad_(true);
}

Tensor on_device(Tensor cpu_tensor, const TensorOptions& o) {
  Tensor t = o.device_.is_cpu() ? cpu_tensor : cpu_tensor.to(o.device_);
  finish(t, o);
  return t;
}

}  // namespace

Tensor tensor(const NestedList& data, const TensorOptions& o) {
  NestingShape nesting;
  collect_shape(data, 0, nesting);
  // Lists without numbers ([] or [[], []]) give float32, as torch.tensor([]) does.
  DType dtype = o.dtype_or(nesting.seen_number ? kind_dtype(nesting.kind) : kFloat32);
  Tensor t = make_empty(nesting.shape, dtype, Device(kCPU));
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.impl()->data_as<T>();
    write_values(data, p);
  });
  return on_device(t, o);
}

template <typename T>
Tensor tensor(const std::vector<T>& values, const TensorOptions& o) {
  DType natural = std::is_floating_point_v<T> ? kFloat32 : std::is_same_v<T, bool> ? kBool : kInt64;
  Tensor src = from_blob(const_cast<T*>(values.data()), {int64_t(values.size())}, TensorOptions(dtype_v<T>));
  Tensor t = src.to(o.dtype_or(natural), /*copy=*/true);
  return on_device(t, o);
}
template Tensor tensor(const std::vector<float>&, const TensorOptions&);
template Tensor tensor(const std::vector<double>&, const TensorOptions&);
template Tensor tensor(const std::vector<int64_t>&, const TensorOptions&);
template Tensor tensor(const std::vector<int32_t>&, const TensorOptions&);
template Tensor tensor(const std::vector<uint8_t>&, const TensorOptions&);

Tensor empty(IntArrayRef sizes, const TensorOptions& o) {
  Tensor t = make_empty(sizes, o.dtype_or(kFloat32), o.device_);
  finish(t, o);
  return t;
}

Tensor full(IntArrayRef sizes, const Scalar& value, const TensorOptions& o) {
  const DType dtype = o.dtype_or(value.default_dtype());
  check_fill_value(value, dtype, "full");
  Tensor t = make_empty(sizes, dtype, o.device_);
  fill_kernel(o.device_)(*t.impl(), value);
  finish(t, o);
  return t;
}

Tensor zeros(IntArrayRef sizes, const TensorOptions& o) { return full(sizes, 0, o.dtype(o.dtype_or(kFloat32))); }
Tensor ones(IntArrayRef sizes, const TensorOptions& o) { return full(sizes, 1, o.dtype(o.dtype_or(kFloat32))); }

static TensorOptions like(const Tensor& t, const TensorOptions& o) {
  TensorOptions r = o;
  if (!r.dtype_) r.dtype_ = t.dtype();
  if (o.device_ == Device() ) r.device_ = t.device();
  return r;
}
Tensor empty_like(const Tensor& t, const TensorOptions& o) { return empty(t.sizes(), like(t, o)); }
Tensor zeros_like(const Tensor& t, const TensorOptions& o) { return zeros(t.sizes(), like(t, o)); }
Tensor ones_like(const Tensor& t, const TensorOptions& o) { return ones(t.sizes(), like(t, o)); }
Tensor full_like(const Tensor& t, const Scalar& v, const TensorOptions& o) { return full(t.sizes(), v, like(t, o)); }

Tensor arange(const Scalar& end, const TensorOptions& o) { return arange(0, end, 1, o); }

// As PyTorch: size = ceil((end - start) / step) in double; element i = start + i * step in
// double (int64 for integers), rounded once. PyTorch's AVX2 loop rounds some lanes differently
// (base + j * step), so float results may differ from it in the last bit.
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& o) {
  bool any_float = start.is_floating() || end.is_floating() || step.is_floating();
  DType dtype = o.dtype_or(any_float ? kFloat32 : kInt64);
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  NB_CHECK(st != 0, RuntimeError, "arange: step must be nonzero");
  NB_CHECK(std::isfinite(s) && std::isfinite(e), RuntimeError, "arange: unsupported range: ", s, " -> ", e);
  NB_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), RuntimeError,
           "arange: upper bound and larger bound inconsistent with step sign (start ", s, ", end ", e, ", step ", st, ")");
  double size_d = std::ceil((e - s) / st);
  NB_CHECK(size_d >= 0 && size_d < 9.2e18, RuntimeError, "arange: invalid size, possible overflow?");
  int64_t n = int64_t(size_d);
  Tensor t = make_empty({n}, dtype, Device(kCPU));
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.impl()->data_as<T>();
    if (!is_floating(dtype)) {
      int64_t si = start.to_int64(), sti = step.to_int64();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(si + i * sti);
      return;
    }
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(s + st * double(i));
  });
  return on_device(t, o);
}

// As PyTorch's CPU kernel: the first half counts up from start, the second half down from end.
Tensor linspace(double start, double end, int64_t steps, const TensorOptions& o) {
  NB_CHECK(steps >= 0, RuntimeError, "linspace: number of steps must be non-negative (got ", steps, ")");
  DType dtype = o.dtype_or(kFloat32);
  Tensor t = make_empty({steps}, dtype, Device(kCPU));
  visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    T* p = t.impl()->data_as<T>();
    if (steps == 1) p[0] = static_cast<T>(A(start));
    if (steps < 2) return;
    if (!is_floating(dtype)) {
      double step = (end - start) / double(steps - 1);
      for (int64_t i = 0; i < steps; ++i) p[i] = static_cast<T>(start + step * double(i));
      return;
    }
    A a = A(start), b = A(end), step = (b - a) / A(steps - 1);
    int64_t half = steps / 2;
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<T>(i < half ? a + step * A(i) : b - step * A(steps - i - 1));
  });
  return on_device(t, o);
}

Tensor eye(int64_t n, std::optional<int64_t> m, const TensorOptions& o) {
  int64_t cols = m.value_or(n);
  NB_CHECK(n >= 0 && cols >= 0, RuntimeError, "eye: n and m must be non-negative, got ", n, ", ", cols);
  Tensor t = zeros({n, cols}, TensorOptions(o.dtype_or(kFloat32)));
  t.diagonal().fill_(1);
  return on_device(t, o);
}

namespace {

struct BlobDeleter {
  std::function<void(void*)> fn;
};
void run_blob_deleter(void* ctx, void* data, size_t) {
  auto* d = static_cast<BlobDeleter*>(ctx);
  if (d->fn) d->fn(data);
  delete d;
}

}  // namespace

Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& o,
                 std::function<void(void*)> deleter) {
  NB_CHECK(sizes.size() == strides.size(), ValueError, "from_blob: sizes ", shape_str(sizes), " and strides ",
           shape_str(strides), " must have the same length");
  DType dtype = o.dtype_or(kFloat32);
  int64_t span = 1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    NB_CHECK(sizes[i] >= 0, ValueError, "from_blob: negative size in ", shape_str(sizes));
    if (sizes[i] == 0) span = 0;
  }
  for (size_t i = 0; span && i < sizes.size(); ++i) span += (sizes[i] - 1) * (strides[i] < 0 ? -strides[i] : strides[i]);
  auto* ctx = new BlobDeleter{std::move(deleter)};
  Storage storage = make_intrusive<StorageImpl>(data, size_t(span) * itemsize(dtype), o.device_, &run_blob_deleter, ctx);
  Tensor t(make_intrusive<TensorImpl>(std::move(storage), 0, DimVector(sizes), DimVector(strides), dtype));
  finish(t, o);
  return t;
}

Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& o, std::function<void(void*)> deleter) {
  return from_blob(data, sizes, contiguous_strides(sizes), o, std::move(deleter));
}

}  // namespace nabla
