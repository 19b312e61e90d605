#pragma once
// The unary and binary element-wise kernel families (ops listed in unary_ops.def, binary_ops.def).
#include <type_traits>

#include "core/dispatch.hpp"
#include "nabla/core/scalar.hpp"
#include "nabla/core/tensor_impl.hpp"

namespace nabla {

enum class UnaryOp : uint8_t {
#define NB_UNARY_OP(name, result, dtypes, diff) name,
#include "core/unary_ops.def"
#undef NB_UNARY_OP
};
enum class BinaryOp : uint8_t {
#define NB_BINARY_OP(name, result, dtypes, diff) name,
#include "core/binary_ops.def"
#undef NB_BINARY_OP
};

inline constexpr const char* kUnaryOpNames[] = {
#define NB_UNARY_OP(name, result, dtypes, diff) #name,
#include "core/unary_ops.def"
#undef NB_UNARY_OP
};
inline constexpr const char* kBinaryOpNames[] = {
#define NB_BINARY_OP(name, result, dtypes, diff) #name,
#include "core/binary_ops.def"
#undef NB_BINARY_OP
};

// Calls fn(std::integral_constant<UnaryOp, op>{}) for the runtime `op`: the one switch over the ops,
// through which each backend instantiates its kernel per op.
template <typename Fn>
void visit_unary_op(UnaryOp op, Fn&& fn) {
  switch (op) {
#define NB_UNARY_OP(name, result, dtypes, diff) \
  case UnaryOp::name: return fn(std::integral_constant<UnaryOp, UnaryOp::name>{});
#include "core/unary_ops.def"
#undef NB_UNARY_OP
  }
}
template <typename Fn>
void visit_binary_op(BinaryOp op, Fn&& fn) {
  switch (op) {
#define NB_BINARY_OP(name, result, dtypes, diff) \
  case BinaryOp::name: return fn(std::integral_constant<BinaryOp, BinaryOp::name>{});
#include "core/binary_ops.def"
#undef NB_BINARY_OP
  }
}

// Extra arguments: clamp's bounds (NaN/absent = unbounded), add/sub's alpha.
struct ElementwiseParams {
  bool has_min = false, has_max = false;
  Scalar min, max;
  Scalar alpha = 1;
};

// out = op(in). `in` has the compute dtype (== out's dtype unless the op yields bool).
using UnaryFn = void (*)(UnaryOp op, const TensorImpl& in, TensorImpl& out, const ElementwiseParams& p);
// out = op(a, b). a and b share the compute dtype and broadcast to out's shape.
using BinaryFn = void (*)(BinaryOp op, const TensorImpl& a, const TensorImpl& b, TensorImpl& out,
                          const ElementwiseParams& p);

inline constinit KernelSlot<UnaryFn> unary_kernel("unary");
inline constinit KernelSlot<BinaryFn> binary_kernel("binary");

}  // namespace nabla
