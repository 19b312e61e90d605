// The fused optimizer step on CUDA: one launch updates every parameter tensor of the step.
//
// Multi-tensor apply: the OptimTensors table (plain data: pointers, sizes, scalars) is copied to the
// device together with a list of (tensor, chunk) tasks, one per block, so a step over hundreds of
// small parameters is still one kernel. Each element's update is the CPU's own code
// (src/core/kernels/optim_math.hpp) over an arithmetic policy of correctly rounded operations (the _rn
// intrinsics keep nvcc from contracting or approximating any of them), so float32 and float64 results
// equal the CPU's bit for bit; 16-bit floats are computed in float and rounded after every op, as there.
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/kernels/optim_math.hpp"
#include "cuda/loops.cuh"
#include "cuda/pointer_device.hpp"

namespace nabla::cuda {
namespace {

constexpr int kOptimThreads = 256;
constexpr int64_t kChunk = 65536;  // elements per block

struct Task {
  uint32_t tensor;
  uint32_t chunk;
};

// The CPU's Arith<T> with explicitly rounded device operations.
template <typename T>
struct Arith {
  using C = opmath_t<T>;
  static constexpr bool kNative = std::is_same_v<T, C>;
  static constexpr bool kDouble = std::is_same_v<C, double>;
  __device__ static C round(C x) {
    if constexpr (kNative) return x;
    else return C(T(x));
  }
  __device__ static C scalar(double s) { return round(C(s)); }
  __device__ static C mul(C a, C b) {
    if constexpr (kDouble) return __dmul_rn(a, b);
    else return round(__fmul_rn(a, b));
  }
  __device__ static C div(C a, C b) {
    if constexpr (kDouble) return __ddiv_rn(a, b);
    else return round(__fdiv_rn(a, b));
  }
  __device__ static C add(C a, C b) {
    if constexpr (kDouble) return __dadd_rn(a, b);
    else return round(__fadd_rn(a, b));
  }
  __device__ static C sqrt(C a) {
    if constexpr (kDouble) return __dsqrt_rn(a);
    else return round(__fsqrt_rn(a));
  }
  __device__ static C fma(C a, C b, C c) {
    if constexpr (kDouble) return __fma_rn(a, b, c);
    else if constexpr (kNative) return __fmaf_rn(a, b, c);
    else return round(__fadd_rn(round(__fmul_rn(a, b)), c));
  }
  __device__ static C maximum(C a, C b) { return (a > b || isnan(a)) ? a : b; }  // NaN propagates
};

// A block-stride loop over elements [begin, end) of one tensor; the flags are tested per element but
// are uniform across the launch's threads, so the branches cost nothing.
template <OptimKind K, typename T>
__device__ void update(const OptimTensors& t, int64_t begin, int64_t end) {
  const uint32_t f = t.scalars.flags;
  const int64_t first = begin + threadIdx.x, stride = blockDim.x;
  if constexpr (K == OptimKind::kSGD) sgd_update<Arith<T>, T>(t, f, first, end, stride);
  else if constexpr (K == OptimKind::kAdam) adam_update<Arith<T>, T>(t, f, first, end, stride);
  else rmsprop_update<Arith<T>, T>(t, f, first, end, stride);
}

template <OptimKind K>
__global__ void __launch_bounds__(kOptimThreads) optim_kernel(const OptimTensors* tensors, const Task* tasks) {
  const Task task = tasks[blockIdx.x];
  const OptimTensors& t = tensors[task.tensor];
  const int64_t begin = int64_t(task.chunk) * kChunk;
  const int64_t end = begin + kChunk < t.numel ? begin + kChunk : t.numel;
  switch (t.dtype) {
    case kFloat32: return update<K, float>(t, begin, end);
    case kFloat64: return update<K, double>(t, begin, end);
    case kFloat16: return update<K, Half>(t, begin, end);
    case kBFloat16: return update<K, BFloat16>(t, begin, end);
    default: return;  // the optim layer admits floating dtypes only
  }
}

void optim_step(OptimKind kind, std::span<const OptimTensors> tensors) {
  if (tensors.empty()) return;
  static_assert(std::is_trivially_copyable_v<OptimTensors>, "the descriptor table is copied to the device bytewise");
  std::vector<Task> tasks;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const OptimTensors& t = tensors[i];
    NB_CHECK(t.dtype == kFloat32 || t.dtype == kFloat64 || t.dtype == kFloat16 || t.dtype == kBFloat16, TypeError,
             "optimizer step: parameters must be floating point on CUDA, got ", dtype_str(t.dtype));
    const int64_t chunks = ceil_div(t.numel, kChunk);
    NB_CHECK(chunks <= int64_t(UINT32_MAX), RuntimeError, "optimizer step: a parameter of ", t.numel,
             " elements is too large for the CUDA kernel");
    for (int64_t c = 0; c < chunks; ++c) tasks.push_back({uint32_t(i), uint32_t(c)});
  }
  if (tasks.empty()) return;
  NB_CHECK(tasks.size() <= size_t(INT32_MAX), RuntimeError, "optimizer step: too many elements for one CUDA launch");
  DeviceGuard guard(device_of_pointer(tensors.front().param));
  // One buffer: the tensor table, then the tasks (its size is a multiple of 8, so they stay aligned).
  const size_t table_bytes = tensors.size() * sizeof(OptimTensors), task_bytes = tasks.size() * sizeof(Task);
  std::vector<char> staging(table_bytes + task_bytes);
  std::memcpy(staging.data(), tensors.data(), table_bytes);
  std::memcpy(staging.data() + table_bytes, tasks.data(), task_bytes);
  // Freed on return: the caching allocator is stream-ordered, so the kernel below still owns it.
  Storage buffer = allocate_storage(staging.size(), Device(kCUDA, active_device()));
  // A pageable source is staged by the driver before cudaMemcpyAsync returns, so `staging` may go.
  NB_CUDA_CHECK(cudaMemcpyAsync(buffer->data(), staging.data(), staging.size(), cudaMemcpyHostToDevice, stream()));
  const auto* table = static_cast<const OptimTensors*>(buffer->data());
  const auto* task_list = reinterpret_cast<const Task*>(static_cast<const char*>(buffer->data()) + table_bytes);
  const unsigned blocks = unsigned(tasks.size());
  switch (kind) {
    case OptimKind::kSGD:
      optim_kernel<OptimKind::kSGD><<<blocks, kOptimThreads, 0, stream()>>>(table, task_list);
      break;
    case OptimKind::kAdam:
      optim_kernel<OptimKind::kAdam><<<blocks, kOptimThreads, 0, stream()>>>(table, task_list);
      break;
    case OptimKind::kRMSprop:
      optim_kernel<OptimKind::kRMSprop><<<blocks, kOptimThreads, 0, stream()>>>(table, task_list);
      break;
  }
  NB_CUDA_LAUNCH_CHECK();
}

}  // namespace
}  // namespace nabla::cuda

namespace nabla {
NB_REGISTER_KERNEL(optim_step_kernel, kCUDA, cuda::optim_step);
}  // namespace nabla
