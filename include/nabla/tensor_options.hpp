#pragma once
#include <optional>

#include "nabla/core/device.hpp"
#include "nabla/core/dtype.hpp"

namespace nabla {

// How to make a tensor: dtype (unset = the op's default), device, requires_grad.
struct TensorOptions {
  std::optional<DType> dtype_;
  Device device_;
  bool requires_grad_ = false;

  TensorOptions() = default;
  TensorOptions(DType d) : dtype_(d) {}
  TensorOptions(Device d) : device_(d) {}
  TensorOptions(DeviceType d) : device_(d) {}

  TensorOptions dtype(DType d) const { auto o = *this; o.dtype_ = d; return o; }
  TensorOptions device(Device d) const { auto o = *this; o.device_ = d; return o; }
  TensorOptions requires_grad(bool r = true) const { auto o = *this; o.requires_grad_ = r; return o; }
  DType dtype_or(DType fallback) const { return dtype_.value_or(fallback); }
};

}  // namespace nabla
