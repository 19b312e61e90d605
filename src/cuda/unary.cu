// The unary element-wise kernels on CUDA: the scalar math of core/kernels/elementwise_math.hpp (shared
// with the CPU) run by launch_elementwise (Note [CUDA element-wise loops]).
#include "core/kernels/elementwise_math.hpp"
#include "cuda/loops.cuh"

namespace nabla::cuda {
namespace {

// The Math policy: CUDA's math library (float routines within 2 ulp, double within 1; the CPU's
// SLEEF is within 1, so results may differ from the CPU's in the last bits).
struct DeviceMath {
#define NB_DEVICE_MATH(name)                                          \
  NB_HOST_DEVICE static float name(float x) { return ::name##f(x); } \
  NB_HOST_DEVICE static double name(double x) { return ::name(x); }
  NB_DEVICE_MATH(exp)
  NB_DEVICE_MATH(expm1)
  NB_DEVICE_MATH(log)
  NB_DEVICE_MATH(log1p)
  NB_DEVICE_MATH(log2)
  NB_DEVICE_MATH(sin)
  NB_DEVICE_MATH(cos)
  NB_DEVICE_MATH(tan)
  NB_DEVICE_MATH(tanh)
  NB_DEVICE_MATH(erf)
#undef NB_DEVICE_MATH
};

// (A __device__ lambda may not sit inside visit_dtype's generic lambda: see src/cuda/copy.cu.)
template <UnaryOp op, typename T>
void run_as(const TensorImpl& in, TensorImpl& out, const ElementwiseParams& p) {
  using M = opmath_t<T>;
  using R = decltype(apply_unary<op, M, DeviceMath>(M{}, {}));
  using Out = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
  const ClampBounds<M> bounds = clamp_bounds<M>(p);
  launch_elementwise<Out, T>(
      out, {&in}, [bounds] __device__(T x) { return static_cast<Out>(apply_unary<op, M, DeviceMath>(M(x), bounds)); },
      kUnaryOpNames[int(op)]);
}

template <UnaryOp op>
void run(const TensorImpl& in, TensorImpl& out, const ElementwiseParams& p) {
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!unary_supported<op, T>()) fail_elementwise_dtype(kUnaryOpNames[int(op)], in.dtype());
    else run_as<op, T>(in, out, p);
  });
}

void unary(UnaryOp op, const TensorImpl& in, TensorImpl& out, const ElementwiseParams& p) {
  visit_unary_op(op, [&](auto op_tag) { run<decltype(op_tag)::value>(in, out, p); });
}

}  // namespace

NB_REGISTER_KERNEL(unary_kernel, kCUDA, unary);

}  // namespace nabla::cuda
