// The op table (Note [The op table] in include/nabla/op_table.hpp).
#include "core/kernels/elementwise.hpp"
#include "ops/common.hpp"
#include "nabla/op_table.hpp"

namespace nabla {
namespace {

constexpr uint8_t kCpuOnly = kOnCPU;

// Kernel ops whose public spelling takes an argument, under their table names.
Tensor gelu_tanh(const Tensor& x) { return gelu(x, "tanh"); }
Tensor clamp(const Tensor& x) { return nabla::clamp(x, -0.5, 0.5); }
Tensor div_floor(const Tensor& a, const Tensor& b) { return div(a, b, "floor"); }
Tensor div_trunc(const Tensor& a, const Tensor& b) { return div(a, b, "trunc"); }

using Invoke = Tensor (*)(const std::vector<Tensor>&);

std::vector<OpInfo> build_table() {
  std::vector<OpInfo> t;
  auto add_entry = [&](std::string_view name, OpKind kind, int arity, DTypeMask dtypes, bool diff, Invoke fn) {
    t.push_back({name, kind, arity, dtypes, diff, kCpuOnly, 1.3e-6, 1e-5, fn});
  };
#define NB_UNARY_OP(name, result, dtypes, diff) \
  add_entry(#name, OpKind::kUnary, 1, dtypes, diff, [](const std::vector<Tensor>& in) { return name(in[0]); });
#include "core/unary_ops.def"
#undef NB_UNARY_OP
#define NB_BINARY_OP(name, result, dtypes, diff) \
  add_entry(#name, OpKind::kBinary, 2, dtypes, diff, [](const std::vector<Tensor>& in) { return nabla::name(in[0], in[1]); });
#include "core/binary_ops.def"
#undef NB_BINARY_OP
  return t;
}

const std::vector<OpInfo>& table() {
  static const std::vector<OpInfo> t = build_table();
  return t;
}

}  // namespace

std::span<const OpInfo> op_table() { return table(); }

const OpInfo& op_info(std::string_view name) {
  for (const auto& op : table())
    if (op.name == name) return op;
  fail<ValueError>("op_info: no op named '", name, "' in the op table");
}

}  // namespace nabla
