// The fused optimizer step on CUDA: one launch updates every parameter tensor of the step.
//
// Multi-tensor apply: the OptimTensors table (plain data: pointers, sizes, scalars) is copied to the
// device together with a list of (tensor, chunk) tasks, one per block, so a step over hundreds of
// small parameters is still one kernel. Each element's update is PyTorch's single-tensor algorithm
// exactly as src/cpu/optim.cpp writes it: the same op order, an FMA at the same sites and plain
// correctly rounded operations elsewhere (the _rn intrinsics keep nvcc from contracting or
// approximating any of them), so float32 and float64 results equal the CPU's bit for bit; 16-bit
// floats are computed in float and rounded to the parameter dtype after every op, as there.
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/kernels/optim.hpp"
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

// Each update runs over elements [begin, end) of one tensor with a block-stride loop; the flags are
// tested per element but are uniform across the launch's threads, so the branches cost nothing.
template <typename T>
__device__ void sgd(const OptimTensors& t, int64_t begin, int64_t end) {
  using A = Arith<T>;
  using C = typename A::C;
  const OptimScalars& s = t.scalars;
  const uint32_t f = s.flags;
  T* param = static_cast<T*>(t.param);
  const T* grad = static_cast<const T*>(t.grad);
  T* buf = static_cast<T*>(t.state[0]);
  const C sign = (f & kOptimMaximize) ? C(-1) : C(1), wd = A::scalar(s.weight_decay), momentum = A::scalar(s.momentum);
  const C buf_grad_scale = A::scalar(s.buf_grad_scale), neg_lr = A::scalar(s.neg_lr);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const C p = C(param[i]);
    C d = C(grad[i]) * sign;
    if (f & kOptimWeightDecay) d = A::fma(p, wd, d);
    if (f & kOptimMomentum) {
      const C b = (f & kOptimFirstStep) ? d : A::fma(d, buf_grad_scale, A::mul(C(buf[i]), momentum));
      buf[i] = T(b);
      d = (f & kOptimNesterov) ? A::fma(b, momentum, d) : b;
    }
    param[i] = T(A::fma(d, neg_lr, p));
  }
}

template <typename T>
__device__ void adam(const OptimTensors& t, int64_t begin, int64_t end) {
  using A = Arith<T>;
  using C = typename A::C;
  const OptimScalars& s = t.scalars;
  const uint32_t f = s.flags;
  T* param = static_cast<T*>(t.param);
  const T* grad = static_cast<const T*>(t.grad);
  T* exp_avg = static_cast<T*>(t.state[0]);
  T* exp_avg_sq = static_cast<T*>(t.state[1]);
  T* max_exp_avg_sq = static_cast<T*>(t.state[2]);
  const C sign = (f & kOptimMaximize) ? C(-1) : C(1), wd = A::scalar(s.weight_decay), decay = A::scalar(s.decay);
  const C beta1 = A::scalar(s.beta1), one_minus_beta1 = A::scalar(s.one_minus_beta1);
  const C beta2 = A::scalar(s.beta2), one_minus_beta2 = A::scalar(s.one_minus_beta2);
  const C bias_correction2_sqrt = A::scalar(s.bias_correction2_sqrt), eps = A::scalar(s.eps);
  const C neg_step_size = A::scalar(s.neg_lr);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    C p = C(param[i]);
    if (f & kOptimDecoupled) p = A::mul(p, decay);
    C g = C(grad[i]) * sign;
    if (f & kOptimWeightDecay) g = A::fma(p, wd, g);
    const C m = A::fma(g, one_minus_beta1, A::mul(C(exp_avg[i]), beta1));
    C v = A::fma(A::mul(one_minus_beta2, g), g, A::mul(C(exp_avg_sq[i]), beta2));
    exp_avg[i] = T(m);
    exp_avg_sq[i] = T(v);
    if (f & kOptimAmsgrad) {
      v = A::maximum(C(max_exp_avg_sq[i]), v);
      max_exp_avg_sq[i] = T(v);
    }
    const C denom = A::add(A::div(A::sqrt(v), bias_correction2_sqrt), eps);
    param[i] = T(A::add(p, A::div(A::mul(neg_step_size, m), denom)));
  }
}

template <typename T>
__device__ void rmsprop(const OptimTensors& t, int64_t begin, int64_t end) {
  using A = Arith<T>;
  using C = typename A::C;
  const OptimScalars& s = t.scalars;
  const uint32_t f = s.flags;
  T* param = static_cast<T*>(t.param);
  const T* grad = static_cast<const T*>(t.grad);
  T* square_avg = static_cast<T*>(t.state[0]);
  T* buf = static_cast<T*>(t.state[1]);
  T* grad_avg = static_cast<T*>(t.state[2]);
  const C sign = (f & kOptimMaximize) ? C(-1) : C(1), wd = A::scalar(s.weight_decay), momentum = A::scalar(s.momentum);
  const C alpha = A::scalar(s.beta2), one_minus_alpha = A::scalar(s.one_minus_beta2);
  const C eps = A::scalar(s.eps), neg_lr = A::scalar(s.neg_lr);
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const C p = C(param[i]);
    C g = C(grad[i]) * sign;
    if (f & kOptimWeightDecay) g = A::fma(p, wd, g);
    const C sq = A::fma(A::mul(one_minus_alpha, g), g, A::mul(C(square_avg[i]), alpha));
    square_avg[i] = T(sq);
    C avg;
    if (f & kOptimCentered) {
      const C ga = A::fma(g, one_minus_alpha, A::mul(C(grad_avg[i]), alpha));
      grad_avg[i] = T(ga);
      avg = A::sqrt(A::fma(-ga, ga, sq));
    } else {
      avg = A::sqrt(sq);
    }
    avg = A::add(avg, eps);
    if (f & kOptimMomentum) {
      const C b = A::add(A::mul(C(buf[i]), momentum), A::div(g, avg));
      buf[i] = T(b);
      param[i] = T(A::fma(b, neg_lr, p));
    } else {
      param[i] = T(A::add(p, A::div(A::mul(neg_lr, g), avg)));
    }
  }
}

template <OptimKind K, typename T>
__device__ void update(const OptimTensors& t, int64_t begin, int64_t end) {
  if constexpr (K == OptimKind::kSGD) sgd<T>(t, begin, end);
  else if constexpr (K == OptimKind::kAdam) adam<T>(t, begin, end);
  else rmsprop<T>(t, begin, end);
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
    const int64_t chunks = blocks_for(t.numel, kChunk);
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
