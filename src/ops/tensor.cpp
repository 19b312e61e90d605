// Tensor's own accessors and the helpers of ops/common.hpp.
#include "autograd/function.hpp"
#include "core/kernels/copy.hpp"
#include "nabla/cuda.hpp"
#include "ops/common.hpp"

namespace nabla {

Tensor make_empty(IntArrayRef sizes, DType dtype, Device device) {
  for (int64_t v : sizes)
    NB_CHECK(v >= 0, RuntimeError, "Trying to create tensor with negative dimension ", v, ": ", shape_str(sizes));
  // The byte count must fit: an overflowed one would allocate a small buffer under a huge shape.
  int64_t nbytes = int64_t(itemsize(dtype));
  for (int64_t v : sizes)
    NB_CHECK(!__builtin_mul_overflow(nbytes, v, &nbytes), RuntimeError, "Storage size calculation overflowed with sizes ",
             shape_str(sizes), " of ", dtype_str(dtype), " (more than 2^63 bytes)");
  return Tensor(make_intrusive<TensorImpl>(allocate_storage(size_t(nbytes), device), sizes, dtype));
}

Tensor scalar_tensor(const Scalar& value, DType dtype, Device device) {
  Tensor t = make_empty({}, dtype, device);
  fill_kernel(device)(*t.impl(), value);
  return t;
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  NB_CHECK(a.device() == b.device(), RuntimeError, op,
           ": Expected all tensors to be on the same device, but found at least two devices, ", a.device().str(),
           " and ", b.device().str(), "! Move them with .to(device) first.");
}

bool same_device(Device a, Device b) {
  if (a.type != b.type) return false;
  if (a.index == b.index || a.is_cpu()) return true;
  const int current = cuda::is_available() ? cuda::current_device() : 0;
  return (a.index < 0 ? current : a.index) == (b.index < 0 ? current : b.index);
}

void begin_write(const Tensor& t, const char* op) {
  check_inplace_allowed(t, op);
  NB_CHECK(!(t.requires_grad() && is_grad_enabled()), NotImplementedError, op,
           ": this in-place op does not record gradients yet, and the tensor requires grad; use the out-of-place "
           "form, or run it under NoGradGuard if no gradient should flow through it");
  NB_CHECK(!t.impl()->storage()->read_only(), RuntimeError, op,
           ": the tensor is read-only (it shares memory with a read-only NumPy array or buffer); "
           "clone() it to get a writable copy");
  // An expanded view writes each shared element several times, in an order nobody promised.
  for (size_t d = 0; d < size_t(t.dim()); ++d)
    NB_CHECK(t.strides()[d] != 0 || t.sizes()[d] <= 1, RuntimeError, op,
             ": more than one element of the written-to tensor refers to a single memory location (dim ", d,
             " of shape ", shape_str(t.sizes()), " has stride 0, as after expand()); clone() the tensor first");
  t.impl()->storage()->bump_version();
}

int64_t Tensor::size(int64_t dim) const { return sizes()[size_t(wrap_dim(dim, this->dim(), "size"))]; }
int64_t Tensor::stride(int64_t dim) const { return strides()[size_t(wrap_dim(dim, this->dim(), "stride"))]; }

template <typename T>
T* Tensor::data_ptr() const {
  NB_CHECK(dtype_v<T> == dtype(), TypeError, "data_ptr: expected a tensor of dtype ", dtype_name(dtype_v<T>),
           " but it has dtype ", dtype_name(dtype()));
  return impl_->data_as<T>();
}
#define NB_INSTANTIATE_DATA_PTR(T) template T* Tensor::data_ptr<T>() const;
NB_INSTANTIATE_DATA_PTR(bool) NB_INSTANTIATE_DATA_PTR(uint8_t) NB_INSTANTIATE_DATA_PTR(int8_t)
NB_INSTANTIATE_DATA_PTR(int16_t) NB_INSTANTIATE_DATA_PTR(int32_t) NB_INSTANTIATE_DATA_PTR(int64_t)
NB_INSTANTIATE_DATA_PTR(uint16_t) NB_INSTANTIATE_DATA_PTR(uint32_t) NB_INSTANTIATE_DATA_PTR(uint64_t)
NB_INSTANTIATE_DATA_PTR(Half) NB_INSTANTIATE_DATA_PTR(BFloat16) NB_INSTANTIATE_DATA_PTR(float)
NB_INSTANTIATE_DATA_PTR(double)
#undef NB_INSTANTIATE_DATA_PTR

Scalar Tensor::item() const {
  check_defined(*this, "item");
  NB_CHECK(numel() == 1, RuntimeError, "item: a Tensor with ", numel(),
           " elements cannot be converted to Scalar; shape is ", shape_str(sizes()), ". Index one element first.");
  Tensor c = device().is_cpu() ? *this : cpu();
  return visit_dtype(dtype(), [&](auto tag) -> Scalar {
    using T = typename decltype(tag)::type;
    return Scalar(*c.impl()->data_as<T>());
  });
}

}  // namespace nabla
