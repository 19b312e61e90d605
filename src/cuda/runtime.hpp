#pragma once
// The CUDA runtime as the kernels use it: error checks, the one stream of each device, and a guard
// that makes a tensor's device current. Host code; included by .cu and .cpp files of src/cuda/.
#include <cuda_runtime.h>

#include "nabla/core/device.hpp"

namespace nabla::cuda {

[[noreturn]] void fail_cuda(cudaError_t err, const char* call, const char* file, int line);

#define NB_CUDA_CHECK(expr)                                                                   \
  do {                                                                                        \
    cudaError_t nb_cuda_err_ = (expr);                                                        \
    if (nb_cuda_err_ != cudaSuccess) ::nabla::cuda::fail_cuda(nb_cuda_err_, #expr, __FILE__, __LINE__); \
  } while (0)
// After every kernel launch: a bad launch configuration is reported here, not at the next sync.
#define NB_CUDA_LAUNCH_CHECK() NB_CUDA_CHECK(cudaGetLastError())

// Per-device state (streams, caches, cuBLAS handles, generators) lives in arrays of this size.
constexpr int kMaxDevices = 64;

int gpu_count();  // 0 when there is no driver or no GPU
int active_device();
// Index of `device` (cuda:N), or the current device for a bare "cuda". Raises for a device that does
// not exist, naming how many there are.
int device_index(Device device);

// The stream every nabla kernel, copy and library call on the current device runs on: one per device,
// created on first use, non-blocking with respect to the legacy default stream. Work on it runs in
// issue order, which is what lets the caching allocator hand a freed block to the next request at once.
cudaStream_t stream();
// Waits until the current device's stream is idle (before the host reads memory the GPU wrote).
void sync_stream();

// Makes `device` current for the scope and restores the previous device after it.
class DeviceGuard {
 public:
  explicit DeviceGuard(Device device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_;
  bool switched_;
};

// Number of streaming multiprocessors of the current device (for grid sizes).
int num_sms();

}  // namespace nabla::cuda
