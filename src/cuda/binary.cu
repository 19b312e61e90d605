// The binary element-wise kernels on CUDA: the scalar math of core/kernels/elementwise_math.hpp (shared
// with the CPU) run by launch_elementwise (Note [CUDA element-wise loops]).
#include "core/kernels/elementwise_math.hpp"
#include "cuda/loops.cuh"
#include "nabla/core/storage.hpp"

namespace nabla::cuda {
namespace {

// The Zero policy: a zero divisor sets a flag in device memory, which the host reads after the kernel.
// Ops that never divide integers get a null flag, which they never touch.
struct DeviceZeroFlag {
  int* flag;
  template <typename T>
  NB_HOST_DEVICE bool check(T b) const {
    if (b != T(0)) return false;
    *flag = 1;
    return true;
  }
};

// (A __device__ lambda may not sit inside visit_dtype's generic lambda: see src/cuda/copy.cu.)
template <BinaryOp op, typename T>
void launch_op(const TensorImpl& a, const TensorImpl& b, TensorImpl& out, opmath_t<T> alpha, DeviceZeroFlag zero) {
  using M = opmath_t<T>;
  using R = decltype(apply_binary<op, M>(M{}, M{}, M{}, zero));
  using Out = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
  launch_elementwise<Out, T, T>(
      out, {&a, &b},
      [alpha, zero] __device__(T x, T y) { return static_cast<Out>(apply_binary<op, M, T>(M(x), M(y), alpha, zero)); },
      kBinaryOpNames[int(op)]);
}

// add/sub with alpha == 1 on floats: a + b exactly, without the multiply, as the CPU's fast path.
template <BinaryOp op, typename T>
void launch_plain_add_sub(const TensorImpl& a, const TensorImpl& b, TensorImpl& out) {
  using M = opmath_t<T>;
  launch_elementwise<T, T, T>(
      out, {&a, &b},
      [] __device__(T x, T y) { return static_cast<T>(op == BinaryOp::add ? M(x) + M(y) : M(x) - M(y)); },
      kBinaryOpNames[int(op)]);
}

template <BinaryOp op, typename T>
void run_as(const TensorImpl& a, const TensorImpl& b, TensorImpl& out, const ElementwiseParams& p) {
  using M = opmath_t<T>;
  const M alpha = p.alpha.to<M>();
  if constexpr ((op == BinaryOp::add || op == BinaryOp::sub) && std::is_floating_point_v<M>) {
    if (alpha == M(1)) return launch_plain_add_sub<op, T>(a, b, out);
  }
  if constexpr (divides_integers(op) && !std::is_floating_point_v<M>) {
    DeviceGuard guard(out.device());
    Storage flag = allocate_storage(sizeof(int), out.device());
    int* flag_ptr = static_cast<int*>(flag->data());
    NB_CUDA_CHECK(cudaMemsetAsync(flag_ptr, 0, sizeof(int), stream()));
    launch_op<op, T>(a, b, out, alpha, DeviceZeroFlag{flag_ptr});
    int seen = 0;
    NB_CUDA_CHECK(cudaMemcpyAsync(&seen, flag_ptr, sizeof(int), cudaMemcpyDeviceToHost, stream()));
    sync_stream();
    if (seen) fail_integer_division_by_zero(kBinaryOpNames[int(op)], a.dtype());
  } else {
    launch_op<op, T>(a, b, out, alpha, DeviceZeroFlag{nullptr});
  }
}

template <BinaryOp op>
void run(const TensorImpl& a, const TensorImpl& b, TensorImpl& out, const ElementwiseParams& p) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!binary_supported<op, T>()) fail_elementwise_dtype(kBinaryOpNames[int(op)], a.dtype());
    else run_as<op, T>(a, b, out, p);
  });
}

void binary(BinaryOp op, const TensorImpl& a, const TensorImpl& b, TensorImpl& out, const ElementwiseParams& p) {
  visit_binary_op(op, [&](auto op_tag) { run<decltype(op_tag)::value>(a, b, out, p); });
}

}  // namespace

NB_REGISTER_KERNEL(binary_kernel, kCUDA, binary);

}  // namespace nabla::cuda
