// The binary element-wise kernels (ops listed in src/core/binary_ops.def).
#include <atomic>

#include "core/kernels/elementwise_math.hpp"
#include "cpu/loops.hpp"

namespace nabla::cpu {
namespace {

// The Zero policy of core/kernels/elementwise_math.hpp.
struct ZeroDivision {
  std::atomic<bool> seen{false};
  template <typename T> bool check(T b) {
    if (b != T(0)) return false;
    seen.store(true, std::memory_order_relaxed);
    return true;
  }
};

template <BinaryOp op>
void run(const TensorImpl& a, const TensorImpl& b, TensorImpl& out, const ElementwiseParams& p) {
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using M = opmath_t<T>;
    if constexpr (!binary_supported<op, T>()) {
      fail_elementwise_dtype(kBinaryOpNames[int(op)], a.dtype());
    } else {
      ZeroDivision zero;
      using R = decltype(apply_binary<op, M>(M{}, M{}, M{}, zero));
      using Out = std::conditional_t<std::is_same_v<R, bool>, bool, T>;
      const M alpha = p.alpha.to<M>();
      if constexpr ((op == BinaryOp::add || op == BinaryOp::sub) && std::is_floating_point_v<M>) {
        if (alpha == M(1)) {  // a + b exactly, without the multiply (vectorises better)
          cpu_kernel<Out, T, T>(out, {&a, &b}, [](T x, T y) {
            return static_cast<Out>(op == BinaryOp::add ? M(x) + M(y) : M(x) - M(y));
          });
          return;
        }
      }
      cpu_kernel<Out, T, T>(out, {&a, &b}, [alpha, &zero](T x, T y) {
        return static_cast<Out>(apply_binary<op, M, T>(M(x), M(y), alpha, zero));
      });
      if (zero.seen.load()) fail_integer_division_by_zero(kBinaryOpNames[int(op)], a.dtype());
    }
  });
}

void binary(BinaryOp op, const TensorImpl& a, const TensorImpl& b, TensorImpl& out, const ElementwiseParams& p) {
  visit_binary_op(op, [&](auto op_tag) { run<decltype(op_tag)::value>(a, b, out, p); });
}

}  // namespace

NB_REGISTER_KERNEL(binary_kernel, kCPU, binary);

}  // namespace nabla::cpu
