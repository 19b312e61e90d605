#pragma once
// Note [Kernel slots]
// Each op family declares one KernelSlot per kernel signature in src/core/kernels/<family>.hpp
// (an inline constinit variable, so it is initialised before any registration runs).
// A backend fills the slot for its device from its own file with NB_REGISTER_KERNEL (src/cpu/...
// for kCPU, src/cuda/... for kCUDA). The ops layer calls slot(device)(args...). A slot left empty
// for a device raises a clear error, which is how a build without CUDA answers.
#include "nabla/core/device.hpp"
#include "nabla/core/storage.hpp"

namespace nabla {

[[noreturn]] void fail_missing_kernel(const char* family, Device device);

template <typename Fn>
class KernelSlot {
 public:
  constexpr explicit KernelSlot(const char* family) : family_(family) {}
  Fn operator()(Device device) const {
    Fn fn = device.type == kCPU ? cpu_ : cuda_;
    if (!fn) fail_missing_kernel(family_, device);
    return fn;
  }
  bool has(DeviceType t) const { return (t == kCPU ? cpu_ : cuda_) != nullptr; }
  bool set(DeviceType t, Fn fn) {
    (t == kCPU ? cpu_ : cuda_) = fn;
    return true;
  }

 private:
  const char* family_;
  Fn cpu_ = nullptr;
  Fn cuda_ = nullptr;
};

#define NB_CONCAT_INNER(a, b) a##b
#define NB_CONCAT(a, b) NB_CONCAT_INNER(a, b)
#define NB_REGISTER_KERNEL(slot, device, fn) \
  [[maybe_unused]] static const bool NB_CONCAT(nb_registered_, __LINE__) = (slot).set(device, fn)

using AllocateFn = Storage (*)(size_t nbytes, Device device);
inline constinit KernelSlot<AllocateFn> allocate_kernel("allocate");

}  // namespace nabla
