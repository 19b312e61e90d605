#pragma once
// The device-level CUDA functions (include/nabla/cuda.hpp) reach the CUDA backend through this one
// table, which src/cuda/ fills at load time; a build without CUDA leaves it empty and the public
// functions answer "no GPU". Kernels go through KernelSlots instead (dispatch.hpp).
#include <cstddef>
#include <cstdint>

#include "nabla/core/storage.hpp"

namespace nabla {

struct CudaHooks {
  int (*device_count)();
  int (*current_device)();
  void (*set_device)(int index);
  void (*synchronize)();
  uintptr_t (*stream)(int device);
  void (*manual_seed)(uint64_t seed);
  size_t (*memory_allocated)(int device);
  size_t (*memory_reserved)(int device);
  size_t (*max_memory_allocated)(int device);
  void (*reset_peak_memory_stats)(int device);
  void (*empty_cache)();
  Storage (*allocate_pinned)(size_t nbytes);
  bool (*is_pinned)(const void* ptr);
};

// What set_float32_matmul_precision asked for: kHighest keeps float32 GEMMs in float32; kHigh and
// kMedium let CUDA use TF32 tensor cores.
enum class MatmulPrecision : uint8_t { kHighest, kHigh, kMedium };
MatmulPrecision float32_matmul_precision();

// Null in a build without CUDA.
inline constinit const CudaHooks* cuda_hooks = nullptr;

}  // namespace nabla
