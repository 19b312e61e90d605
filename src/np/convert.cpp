// The conversion contract of DESIGN.md: from_numpy and Tensor::numpy share the storage (any strides, every
// dtype NumPy has) and each handle keeps it alive; numpy() refuses what PyTorch refuses, naming the fix.
#include "nabla/autograd.hpp"
#include "np/common.hpp"

namespace nabla {

Tensor from_numpy(const np::ndarray& a) {
  np::check_defined(a, "from_numpy");
  return np::alias_of(a.tensor());
}

np::ndarray Tensor::numpy(bool force) const {
  NB_CHECK(defined(), ValueError, "numpy: got an undefined tensor");
  if (force) {
    Tensor t = device().is_cpu() ? *this : to(Device(kCPU));
    NB_CHECK(t.dtype() != kBFloat16, TypeError, "numpy: NumPy has no bfloat16 dtype; convert first with "
             "t.to(kFloat32).numpy()");
    return np::ndarray(t);
  }
  NB_CHECK(!(requires_grad() && is_grad_enabled()), RuntimeError,
           "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  NB_CHECK(device().is_cpu(), TypeError, "can't convert ", device().str(), " device type tensor to numpy. Use "
           "Tensor.cpu() to copy the tensor to host memory first.");
  NB_CHECK(dtype() != kBFloat16, TypeError, "Got unsupported ScalarType BFloat16: NumPy has no bfloat16; convert "
           "first with t.to(kFloat32).numpy()");
  return np::ndarray(*this);
}

}  // namespace nabla
