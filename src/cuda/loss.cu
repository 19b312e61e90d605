// The fused cross-entropy kernels on CUDA (Note [Fused cross-entropy]); src/cpu/loss.cpp is the
// reference. A group of G threads takes one row, as in the softmax kernel: a warp for rows up to
// kWarpLine classes, the whole block for longer ones. The forward reads its row twice (max, then the
// sums of exponentials), the backward reads it once and writes the gradient once.

#include "core/float_traits.hpp"
#include "core/kernels/loss_math.hpp"
#include "cuda/reduce_common.cuh"

namespace nabla::cuda {
namespace {

template <typename T>
struct Rows {
  const T* logits;
  const int64_t* target;
  const T* weight;
  const opmath_t<T>* weight_total;
  int64_t rows, classes, ignore_index;
  double label_smoothing;
};

template <typename T>
Rows<T> rows_of(const CrossEntropyRows& in) {
  return {in.logits->data_as<T>(),
          in.target->data_as<int64_t>(),
          in.weight ? in.weight->data_as<T>() : nullptr,
          in.weight ? in.weight_total->data_as<opmath_t<T>>() : nullptr,
          in.logits->sizes()[0],
          in.logits->sizes()[1],
          in.ignore_index,
          in.label_smoothing};
}

template <typename T>
__device__ CrossEntropyRowMath<opmath_t<T>> row_math(const Rows<T>& p) {
  using V = opmath_t<T>;
  return {p.label_smoothing, p.classes, p.weight ? *p.weight_total : V(p.classes)};
}

template <typename T, int G>
__global__ void __launch_bounds__(kThreads) forward_rows(Rows<T> p, T* loss, T* row_weight, opmath_t<T>* stats,
                                                         unsigned long long* bad_row) {
  using V = opmath_t<T>;
  const int lane = threadIdx.x % G;
  const int64_t row = int64_t(blockIdx.x) * (kThreads / G) + threadIdx.x / G;
  const bool active = row < p.rows;
  const int64_t t = active ? p.target[row] : p.ignore_index;
  const bool bad = t != p.ignore_index && (t < 0 || t >= p.classes);
  // Every thread of the block takes part in the reductions; the rows past the end have no elements.
  const int64_t n = active ? p.classes : 0;
  const T* x = p.logits + (active ? row * p.classes : 0);
  auto at = [&](int64_t i) { return V(x[i]); };
  const auto [max, sum] = line_max_and_exp_sum<G>(at, n, lane);
  const CrossEntropyRowMath<V> math = row_math(p);
  V weighted_shifted = 0;
  if (math.smoothing) {
    for (int64_t i = lane; i < n; i += G) weighted_shifted += (p.weight ? V(p.weight[i]) : V(1)) * (at(i) - max);
    weighted_shifted = group_allreduce<G>(weighted_shifted, [](V a, V b) { return a + b; });
  }
  if (!active || lane != 0) return;
  if (bad) {
    atomicMin(bad_row, static_cast<unsigned long long>(row));
    return;
  }
  const V log_sum = std::log(sum);
  stats[row * kCrossEntropyStats] = max;
  stats[row * kCrossEntropyStats + 1] = log_sum;
  if (t == p.ignore_index) {
    loss[row] = T(0);
    row_weight[row] = T(0);
    return;
  }
  const V w_t = p.weight ? V(p.weight[t]) : V(1);
  loss[row] = T(math.loss(max, log_sum, at(t), w_t, weighted_shifted));
  row_weight[row] = T(w_t);
}

template <typename T, int G>
__global__ void __launch_bounds__(kThreads) backward_rows(Rows<T> p, const opmath_t<T>* stats, const T* grad,
                                                          int64_t grad_step, T* grad_logits) {
  using V = opmath_t<T>;
  const int lane = threadIdx.x % G;
  const int64_t row = int64_t(blockIdx.x) * (kThreads / G) + threadIdx.x / G;
  if (row >= p.rows) return;
  const int64_t t = p.target[row], n = p.classes;
  const T* x = p.logits + row * n;
  T* out = grad_logits + row * n;
  if (t == p.ignore_index) {
    for (int64_t i = lane; i < n; i += G) out[i] = T(0);
    return;
  }
  const V max = stats[row * kCrossEntropyStats], log_sum = stats[row * kCrossEntropyStats + 1];
  const auto c = row_math(p).grad(V(grad[row * grad_step]), p.weight ? V(p.weight[t]) : V(1));
  for (int64_t i = lane; i < n; i += G) {
    V d = c.scale * std::exp((V(x[i]) - max) - log_sum) - c.per_weight * (p.weight ? V(p.weight[i]) : V(1));
    if (i == t) d -= c.at_target;
    out[i] = T(d);
  }
}

// Launches `kernel`, made for groups of G threads, with a group per row.
template <typename T, int G, typename Kernel, typename... Args>
void launch_groups(Kernel kernel, const Rows<T>& p, Args... args) {
  kernel<<<unsigned(ceil_div(p.rows, kThreads / G)), kThreads, 0, stream()>>>(p, args...);
  NB_CUDA_LAUNCH_CHECK();
}

void forward(const CrossEntropyRows& in, TensorImpl& loss, TensorImpl& row_weight, TensorImpl& stats,
             TensorImpl& bad_row) {
  if (in.logits->sizes()[0] == 0) return;
  DeviceGuard guard(in.logits->device());
  visit_floating_dtype(in.logits->dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const Rows<T> p = rows_of<T>(in);
    T* l = loss.data_as<T>();
    T* w = row_weight.data_as<T>();
    auto* s = stats.data_as<opmath_t<T>>();
    auto* bad = reinterpret_cast<unsigned long long*>(bad_row.data_as<int64_t>());
    if (p.classes <= kWarpLine) launch_groups<T, 32>(forward_rows<T, 32>, p, l, w, s, bad);
    else launch_groups<T, kThreads>(forward_rows<T, kThreads>, p, l, w, s, bad);
  });
}

void backward(const CrossEntropyRows& in, const TensorImpl& stats, const TensorImpl& grad, TensorImpl& grad_logits) {
  if (grad_logits.numel() == 0) return;
  DeviceGuard guard(in.logits->device());
  visit_floating_dtype(in.logits->dtype(), "cross_entropy backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const Rows<T> p = rows_of<T>(in);
    const auto* s = stats.data_as<opmath_t<T>>();
    const T* g = grad.data_as<T>();
    const int64_t step = grad.numel() == 1 ? 0 : 1;
    T* dx = grad_logits.data_as<T>();
    if (p.classes <= kWarpLine) launch_groups<T, 32>(backward_rows<T, 32>, p, s, g, step, dx);
    else launch_groups<T, kThreads>(backward_rows<T, kThreads>, p, s, g, step, dx);
  });
}

}  // namespace

NB_REGISTER_KERNEL(cross_entropy_forward_kernel, kCUDA, forward);
NB_REGISTER_KERNEL(cross_entropy_backward_kernel, kCUDA, backward);

}  // namespace nabla::cuda
