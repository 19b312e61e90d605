// contiguous, clone, copy_, to, fill_, where: the ops built on the copy/fill/where kernels, with
// their gradients.
#include <cmath>
#include <limits>

#include "autograd/function.hpp"
#include "core/kernels/copy.hpp"
#include "core/cuda_hooks.hpp"
#include "core/float_traits.hpp"
#include "nabla/cuda.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

// The gradient passes through unchanged (the node casts it back to the input's dtype).
void record_identity(const char* name, const Tensor& in, const Tensor& out) {
  set_history(out, make_node(name, {&in}, [](FunctionNode&, Grads& g) -> Grads { return {g[0]}; }));
}

// PyTorch's c10::overflows<To>(value).
bool overflows(const Scalar& v, DType dtype) {
  if (dtype == kBool || v.is_bool()) return false;
  return visit_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (kIsFloat<T>) {
      const double x = v.to<double>();
      return std::isfinite(x) && std::fabs(x) > max_finite<T>();
    } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      const uint64_t max = uint64_t(std::numeric_limits<T>::max());
      switch (v.kind()) {
        case Scalar::Kind::kFloat: {
          const double x = v.to<double>();
          return std::isnan(x) || x < double(std::numeric_limits<T>::lowest()) || x > double(max);
        }
        case Scalar::Kind::kUInt: return v.to<uint64_t>() > max;
        default: {
          const int64_t x = v.to_int64();
          if (x >= 0) return uint64_t(x) > max;
          const uint64_t magnitude = uint64_t(-(x + 1)) + 1;
          // An unsigned type takes a negative integer whose magnitude it could hold (it wraps).
          return std::is_unsigned_v<T> ? magnitude > max : x < int64_t(std::numeric_limits<T>::min());
        }
      }
    }
    return false;
  });
}

}  // namespace

void check_fill_value(const Scalar& value, DType dtype, const char* op) {
  if (!overflows(value, dtype)) return;
  auto refuse = [&](const auto& shown) {
    fail<RuntimeError>(op, ": value ", shown, " cannot be converted to type ", dtype_name(dtype), " without overflow");
  };
  if (value.is_floating()) refuse(value.to<double>());
  if (value.kind() == Scalar::Kind::kUInt) refuse(value.to<uint64_t>());
  refuse(value.to_int64());
}

Tensor Tensor::contiguous() const {
  check_defined(*this, "contiguous");
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  check_defined(*this, "clone");
  Tensor out = make_empty(sizes(), dtype(), device());
  copy_kernel(device())(*impl(), *out.impl());
  if (grad_needed(*this)) record_identity("CloneBackward0", *this, out);
  return out;
}

Tensor& Tensor::copy_(const Tensor& src) {
  check_defined(*this, "copy_");
  check_defined(src, "copy_");
  broadcast_shapes(sizes(), src.sizes());
  NB_CHECK(int64_t(src.dim()) <= dim() && broadcast_shapes(sizes(), src.sizes()) == sizes(), RuntimeError,
           "copy_: the source of shape ", shape_str(src.sizes()), " cannot be broadcast to the destination shape ",
           shape_str(sizes()));
  if (grad_needed(*this, src)) {
    return record_inplace(*this, "copy_", [&] {
      Tensor out = make_empty(sizes(), dtype(), device());
      {
        NoGradGuard no_grad;
        out.copy_(src);
      }
      set_history(out, make_node("CopyBackwards", {this, &src}, [](FunctionNode& n, Grads& g) -> Grads {
        return {n.needs_grad(0) ? zeros_like(g[0]) : Tensor(), g[0]};
      }));
      return out;
    });
  }
  begin_write(*this, "copy_");
  if (src.device() == device()) {
    copy_kernel(device())(*src.impl(), *impl());
  } else {
    // A transfer moves one contiguous buffer of dst's dtype and shape: staged on the source device,
    // and landed in a contiguous buffer first when dst itself is not contiguous.
    Tensor staged = src.to(dtype()).expand(sizes()).contiguous();
    Tensor landed = is_contiguous() ? *this : make_empty(sizes(), dtype(), device());
    const Device gpu = device().is_cpu() ? staged.device() : device();
    copy_kernel(gpu)(*staged.impl(), *landed.impl());
    if (!landed.is_same(*this)) copy_kernel(device())(*landed.impl(), *impl());
  }
  return *this;
}

Tensor Tensor::to(DType d, bool copy) const {
  check_defined(*this, "to");
  if (d == dtype() && !copy) return *this;
  Tensor out = make_empty(sizes(), d, device());
  copy_kernel(device())(*impl(), *out.impl());
  if (grad_needed(*this) && is_floating(d)) record_identity("ToCopyBackward0", *this, out);
  return out;
}

bool Tensor::is_pinned() const {
  check_defined(*this, "is_pinned");
  return device().is_cpu() && cuda::is_available() && cuda_hooks->is_pinned(impl()->storage()->data());
}

Tensor Tensor::pin_memory() const {
  check_defined(*this, "pin_memory");
  NB_CHECK(device().is_cpu(), RuntimeError, "pin_memory: cannot pin a ", device().str(),
           " tensor: only dense CPU tensors can be pinned");
  NB_CHECK(cuda::is_available(), RuntimeError, "pin_memory: pinned memory needs a CUDA GPU, and ",
           cuda_hooks ? "none is visible on this machine" : "nabla was built without CUDA", "; drop pin_memory");
  if (is_pinned()) return *this;
  Storage storage = cuda_hooks->allocate_pinned(size_t(numel()) * itemsize(dtype()));
  Tensor out(make_intrusive<TensorImpl>(storage, 0, sizes(), contiguous_strides(sizes()), dtype()));
  copy_kernel(device())(*impl(), *out.impl());
  return out;
}

Tensor Tensor::to(Device dev, bool copy) const { return to(TensorOptions(dtype()).device(dev), copy); }

Tensor Tensor::to(const TensorOptions& o, bool copy) const {
  check_defined(*this, "to");
  DType d = o.dtype_or(dtype());
  if (same_device(o.device_, device()) && d == dtype() && !copy) return *this;
  Tensor out = make_empty(sizes(), d, o.device_);
  out.copy_(*this);
  return out;
}

Tensor& Tensor::fill_(const Scalar& v) {
  check_defined(*this, "fill_");
  check_fill_value(v, dtype(), "fill_");
  begin_write(*this, "fill_");
  fill_kernel(device())(*impl(), v);
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0); }

namespace {

Tensor where_impl(const Tensor& cond, const Tensor& a, const Tensor& b, DType dtype) {
  check_defined(cond, "where");
  NB_CHECK(cond.dtype() == kBool, RuntimeError, "where expected condition to be a boolean tensor, but got a tensor with dtype ",
           dtype_name(cond.dtype()));
  check_same_device(cond, a, "where");
  check_same_device(cond, b, "where");
  DimVector shape = broadcast_shapes(broadcast_shapes(cond.sizes(), a.sizes()), b.sizes());
  Tensor out = make_empty(shape, dtype, cond.device());
  Tensor ca = a.to(dtype), cb = b.to(dtype);
  where_kernel(cond.device())(*cond.impl(), *ca.impl(), *cb.impl(), *out.impl());
  if (grad_needed(ca, cb)) {
    auto node = make_node("WhereBackward0", {&ca, &cb}, [](FunctionNode& n, Grads& g) -> Grads {
      Tensor c = n.saved(0);
      return {n.needs_grad(0) ? where(c, g[0], Scalar(0)) : Tensor(), n.needs_grad(1) ? where(c, Scalar(0), g[0]) : Tensor()};
    });
    node->save(cond);
    set_history(out, std::move(node));
  }
  return out;
}

}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined(a, "where");
  check_defined(b, "where");
  PromotionOperand ops[] = {operand_of(a.dtype(), a.dim()), operand_of(b.dtype(), b.dim())};
  return where_impl(cond, a, b, result_type(ops));
}

Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  check_defined(b, "where");
  PromotionOperand ops[] = {operand_of(a), operand_of(b.dtype(), b.dim())};
  DType d = result_type(ops);
  return where_impl(cond, scalar_tensor(a, d, b.device()), b, d);
}

Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  check_defined(a, "where");
  PromotionOperand ops[] = {operand_of(a.dtype(), a.dim()), operand_of(b)};
  DType d = result_type(ops);
  return where_impl(cond, a, scalar_tensor(b, d, a.device()), d);
}

}  // namespace nabla
