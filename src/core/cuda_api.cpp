// include/nabla/cuda.hpp over the hooks the CUDA backend registers (core/cuda_hooks.hpp).
#include "core/check.hpp"
#include "core/cuda_hooks.hpp"
#include "nabla/cuda.hpp"

#include <atomic>

namespace nabla {
namespace {

std::atomic<MatmulPrecision> matmul_precision{MatmulPrecision::kHighest};
constexpr std::string_view kPrecisionNames[] = {"highest", "high", "medium"};

}  // namespace

MatmulPrecision float32_matmul_precision() { return matmul_precision.load(std::memory_order_relaxed); }

void set_float32_matmul_precision(std::string_view precision) {
  for (int i = 0; i < 3; ++i) {
    if (precision == kPrecisionNames[i]) return matmul_precision.store(MatmulPrecision(i));
  }
  fail<ValueError>("set_float32_matmul_precision: expected \"highest\", \"high\" or \"medium\", got \"", precision, "\"");
}

std::string get_float32_matmul_precision() { return std::string(kPrecisionNames[int(float32_matmul_precision())]); }

}  // namespace nabla

namespace nabla::cuda {
namespace {

int resolve(int device) { return device >= 0 ? device : current_device(); }

}  // namespace

int device_count() { return cuda_hooks ? cuda_hooks->device_count() : 0; }
bool is_available() { return device_count() > 0; }

int current_device() {
  NB_CHECK(is_available(), RuntimeError, cuda_hooks ? "current_device: no CUDA GPU is visible (device_count() is 0)"
                                                     : "current_device: nabla was built without CUDA");
  return cuda_hooks->current_device();
}

void set_device(int index) {
  NB_CHECK(index >= 0 && index < device_count(), RuntimeError, "set_device: device ", index,
           " does not exist; this machine has ", device_count(), " CUDA device(s)");
  cuda_hooks->set_device(index);
}

void synchronize() {
  if (is_available()) cuda_hooks->synchronize();
}
uintptr_t current_stream(int device) { return is_available() ? cuda_hooks->stream(resolve(device)) : 0; }

void manual_seed(uint64_t seed) {
  if (cuda_hooks) cuda_hooks->manual_seed(seed);
}
void manual_seed_all(uint64_t seed) { manual_seed(seed); }
size_t memory_allocated(int device) { return is_available() ? cuda_hooks->memory_allocated(resolve(device)) : 0; }
size_t memory_reserved(int device) { return is_available() ? cuda_hooks->memory_reserved(resolve(device)) : 0; }
size_t max_memory_allocated(int device) {
  return is_available() ? cuda_hooks->max_memory_allocated(resolve(device)) : 0;
}
void reset_peak_memory_stats(int device) {
  if (is_available()) cuda_hooks->reset_peak_memory_stats(resolve(device));
}
void empty_cache() {
  if (is_available()) cuda_hooks->empty_cache();
}

}  // namespace nabla::cuda
