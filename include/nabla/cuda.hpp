#pragma once
// The CUDA device API, as torch.cuda spells it. Every function answers in a build without CUDA or on
// a machine without a GPU: is_available() is false, device_count() is 0, the rest do nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nabla {

// "highest" (float32 matmul in float32, the default), "high" or "medium" (TF32 tensor cores on CUDA),
// as torch.set_float32_matmul_precision.
void set_float32_matmul_precision(std::string_view precision);
std::string get_float32_matmul_precision();

namespace cuda {

bool is_available();
int device_count();
int current_device();
void set_device(int index);
// Waits for all work queued on the current device.
void synchronize();
// The cudaStream_t nabla queues its work on for `device` (-1: the current one), as an integer, for
// handing to other libraries (DLPack's __dlpack__(stream=...)); 0 without a GPU.
uintptr_t current_stream(int device = -1);
// Seeds the Philox generators of every device (nabla::manual_seed does this too).
void manual_seed(uint64_t seed);
void manual_seed_all(uint64_t seed);
// The caching allocator: bytes held by live tensors, bytes taken from the driver (live + cached),
// the peak of the first since the last reset; empty_cache() returns the cached blocks to the driver.
size_t memory_allocated(int device = -1);
size_t memory_reserved(int device = -1);
size_t max_memory_allocated(int device = -1);
void reset_peak_memory_stats(int device = -1);
void empty_cache();

}  // namespace cuda
}  // namespace nabla
