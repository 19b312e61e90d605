#pragma once
// Shared by the unary and binary ops: how an op's result dtype follows from its inputs.
#include "core/kernels/elementwise.hpp"
#include "ops/common.hpp"

namespace nabla {

enum class ResultRule : uint8_t { kSame, kPromoted, kFloat, kBool };

// The dtype the kernel computes in, and the dtype of the result.
struct ElementwiseTypes {
  DType compute, result;
};
inline ElementwiseTypes elementwise_types(ResultRule rule, DType common) {
  switch (rule) {
    case ResultRule::kFloat: {
      DType f = is_floating(common) ? common : kFloat32;
      return {f, f};
    }
    case ResultRule::kBool: return {common, kBool};
    default: return {common, common};
  }
}

// torch.can_cast: no floating -> integral, no non-bool -> bool.
bool can_cast(DType from, DType to);
// The in-place rule: the op's result dtype must be castable to self's dtype.
void check_inplace_cast(DType result, DType self, const char* op);

}  // namespace nabla
