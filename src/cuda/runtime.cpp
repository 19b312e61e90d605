// Device selection, the per-device stream, CUDA errors, and the hooks behind include/nabla/cuda.hpp.
#include "cuda/runtime.hpp"

#include <array>
#include <mutex>

#include "core/check.hpp"
#include "core/cuda_hooks.hpp"
#include "cuda/allocator.hpp"
#include "cuda/generator.hpp"
#include "cuda/pinned.hpp"

namespace nabla::cuda {
namespace {

struct DeviceState {
  std::once_flag stream_once;
  cudaStream_t stream = nullptr;
  int sms = 0;
};
std::array<DeviceState, kMaxDevices>& devices() {
  static auto* d = new std::array<DeviceState, kMaxDevices>;  // streams outlive static destruction
  return *d;
}

}  // namespace

void fail_cuda(cudaError_t err, const char* call, const char* file, int line) {
  cudaGetLastError();  // clears a sticky-free error so the next call is not blamed for this one
  fail<RuntimeError>("CUDA error: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), ") in ", call, " at ", file,
                     ":", line);
}

int gpu_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      return 0;  // no driver or no GPU: the public API answers "not available"
    }
    return n < kMaxDevices ? n : kMaxDevices;
  }();
  return count;
}

int active_device() {
  int d = 0;
  NB_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

int device_index(Device device) {
  const int n = gpu_count();
  NB_CHECK(n > 0, RuntimeError, "Found no NVIDIA driver or GPU on this machine, so a tensor cannot be put on ",
           device.str(), ". Check nabla.cuda.is_available() first, or keep the tensor on the CPU.");
  const int index = device.index < 0 ? active_device() : device.index;
  NB_CHECK(index < n, RuntimeError, "CUDA error: invalid device ordinal: ", device.str(),
           " was asked for, but this machine has ", n, " CUDA device(s) (cuda:0 to cuda:", n - 1, ")");
  return index;
}

cudaStream_t stream() {
  const int d = active_device();
  DeviceState& s = devices()[size_t(d)];
  std::call_once(s.stream_once, [&] { NB_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking)); });
  return s.stream;
}

void sync_stream() { NB_CUDA_CHECK(cudaStreamSynchronize(stream())); }

int num_sms() {
  DeviceState& s = devices()[size_t(active_device())];
  if (s.sms == 0) NB_CUDA_CHECK(cudaDeviceGetAttribute(&s.sms, cudaDevAttrMultiProcessorCount, active_device()));
  return s.sms;
}

DeviceGuard::DeviceGuard(Device device) : previous_(active_device()) {
  const int target = device_index(device);
  switched_ = target != previous_;
  if (switched_) NB_CUDA_CHECK(cudaSetDevice(target));
}

DeviceGuard::~DeviceGuard() {
  if (switched_) cudaSetDevice(previous_);
}

namespace {

void synchronize_all() {
  for (int d = 0; d < gpu_count(); ++d) {
    DeviceGuard guard(Device(kCUDA, d));
    sync_stream();
  }
}

const CudaHooks kHooks{
    .device_count = &gpu_count,
    .current_device = &active_device,
    .set_device = [](int index) { NB_CUDA_CHECK(cudaSetDevice(index)); },
    .synchronize = &synchronize_all,
    .stream = [](int device) {
      DeviceGuard guard(Device(kCUDA, device));
      return reinterpret_cast<uintptr_t>(stream());
    },
    .manual_seed = &seed_generators,
    .memory_allocated = [](int d) { return allocator_stats(d).allocated; },
    .memory_reserved = [](int d) { return allocator_stats(d).reserved; },
    .max_memory_allocated = [](int d) { return allocator_stats(d).peak_allocated; },
    .reset_peak_memory_stats = &reset_peak_allocated,
    .empty_cache = &release_cached_blocks,
    .allocate_pinned = &allocate_pinned,
    .is_pinned = &is_pinned,
};
[[maybe_unused]] const bool hooks_registered = (cuda_hooks = &kHooks, true);

}  // namespace
}  // namespace nabla::cuda
