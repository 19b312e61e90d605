#pragma once
// Note [The op table]
// Every public op has one entry here: its name (torch's), kind, arity, accepted dtypes, whether
// it is differentiable, which backends run it, and the tolerance its float32 results are held
// to against PyTorch. Tests, benchmarks and the Python bindings iterate this table; adding an op
// means adding its entry (src/ops/op_table.cpp), its kernels and its gradient.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "nabla/tensor.hpp"

namespace nabla {

enum class OpKind : uint8_t { kUnary, kBinary, kReduction, kScan, kLinalg, kIndexing, kShape, kCreation, kRandom };

using DTypeMask = uint16_t;
constexpr DTypeMask dtype_bit(DType t) { return DTypeMask(1u << int(t)); }
inline constexpr DTypeMask kAllDTypes = 0x1fff;
inline constexpr DTypeMask kFloatingDTypes =
    dtype_bit(kFloat16) | dtype_bit(kBFloat16) | dtype_bit(kFloat32) | dtype_bit(kFloat64);
inline constexpr DTypeMask kIntegralDTypes = kAllDTypes & ~kFloatingDTypes;  // bool included
inline constexpr DTypeMask kNumericDTypes = kAllDTypes & ~dtype_bit(kBool);

enum BackendBits : uint8_t { kOnCPU = 1, kOnCUDA = 2 };

struct OpInfo {
  std::string_view name;
  OpKind kind;
  int arity;                 // tensor inputs
  DTypeMask dtypes;          // input dtypes accepted
  bool differentiable;
  uint8_t backends;          // BackendBits
  double rtol, atol;         // float32 tolerance against PyTorch
  // Calls the op with its default arguments (reductions over all dims, dim = -1 for scans);
  // null for ops that need more than tensors (creation, random).
  Tensor (*invoke)(const std::vector<Tensor>& inputs);

  bool accepts(DType t) const { return dtypes & dtype_bit(t); }
};

std::span<const OpInfo> op_table();
// The entry named `name`; ValueError if there is none.
const OpInfo& op_info(std::string_view name);

}  // namespace nabla
