// The softmax / log_softmax kernel on CUDA (Note [Reduction kernels]); src/cpu/scan.cpp's softmax
// is the reference. Numerically stable: the line's maximum (NaN-propagating) is subtracted before
// exp, and everything is computed in float for the 16-bit floats.
//
// A group of G threads takes one line: G = 32 (a warp) for lines up to kWarpLine elements, such as
// the class scores of a cross-entropy, G = kThreads (the block) for longer ones, and G = 1 (a
// thread per line, so adjacent threads read adjacent elements) when many lines lie side by side
// in memory (softmax over dim 0). The group reads its line three times: max, sum of exp, output.

#include "core/float_traits.hpp"
#include "core/kernels/reduce.hpp"
#include "cuda/reduce_common.cuh"

namespace nabla::cuda {
namespace {

constexpr int64_t kSerialLines = 4096;

template <typename T, int G>
__global__ void __launch_bounds__(kThreads) softmax_lines(LineLayout l, bool log, const T* in, T* out) {
  using V = opmath_t<T>;
  const int lane = threadIdx.x % G;
  const int64_t line = int64_t(blockIdx.x) * (kThreads / G) + threadIdx.x / G;
  const bool active = line < l.num_lines;
  int64_t off[2] = {0, 0};
  if (active) offsets_of(l.lines, line, off);
  const T* x = in + off[0];
  T* y = out + off[1];
  const int64_t n = active ? l.len : 0;
  auto at = [&](int64_t i) { return V(x[i * l.in_step]); };
  const auto [m, sum] = line_max_and_exp_sum<G>(at, n, lane);
  if (log) {
    // (x - max) - log(sum), in that order: x - (max + log(sum)) would round away the digits of
    // large logits.
    const V log_sum = std::log(sum);
    for (int64_t i = lane; i < n; i += G) y[i * l.out_step] = T((at(i) - m) - log_sum);
  } else {
    const V scale = V(1) / sum;
    for (int64_t i = lane; i < n; i += G) y[i * l.out_step] = T(std::exp(at(i) - m) * scale);
  }
}

template <typename T, int G>
void launch(const LineLayout& l, bool log, const T* x, T* y) {
  softmax_lines<T, G><<<unsigned(ceil_div(l.num_lines, kThreads / G)), kThreads, 0, stream()>>>(l, log, x, y);
  NB_CUDA_LAUNCH_CHECK();
}

template <typename T>
void softmax_typed(const TensorImpl& in, TensorImpl& out, const LineLayout& l, bool log) {
  NB_CHECK(out.dtype() == in.dtype(), RuntimeError, "softmax: internal error: output dtype ",
           dtype_name(out.dtype()), " for input dtype ", dtype_name(in.dtype()));
  const T* x = in.data_as<T>();
  T* y = out.data_as<T>();
  if (l.lanes && l.num_lines >= kSerialLines) launch<T, 1>(l, log, x, y);
  else if (l.len <= kWarpLine) launch<T, 32>(l, log, x, y);
  else launch<T, kThreads>(l, log, x, y);
}

void softmax(const TensorImpl& in, TensorImpl& out, int64_t dim, bool log) {
  if (out.numel() == 0) return;
  DeviceGuard guard(in.device());
  const LineLayout l = make_line_layout(in, out, dim, "softmax");
  visit_floating_dtype(in.dtype(), "softmax", [&](auto tag) { softmax_typed<typename decltype(tag)::type>(in, out, l, log); });
}

}  // namespace

NB_REGISTER_KERNEL(softmax_kernel, kCUDA, softmax);

}  // namespace nabla::cuda
