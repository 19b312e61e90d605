// The op table (Note [The op table] in include/nabla/op_table.hpp).
#include "core/kernels/elementwise.hpp"
#include "nabla/index.hpp"
#include "ops/common.hpp"
#include "nabla/op_table.hpp"

namespace nabla {
namespace {

// Every kernel family has a CPU and a CUDA kernel (src/cpu/, src/cuda/); a build without CUDA answers
// for cuda tensors with "built without CUDA" (core/dispatch.cpp).
constexpr uint8_t kEveryBackend = kOnCPU | kOnCUDA;

// Kernel ops whose public spelling takes an argument, under their table names.
Tensor gelu_tanh(const Tensor& x) { return gelu(x, "tanh"); }
Tensor clamp(const Tensor& x) { return nabla::clamp(x, -0.5, 0.5); }
Tensor div_floor(const Tensor& a, const Tensor& b) { return div(a, b, "floor"); }
Tensor div_trunc(const Tensor& a, const Tensor& b) { return div(a, b, "trunc"); }

using Invoke = Tensor (*)(const std::vector<Tensor>&);

std::vector<OpInfo> build_table() {
  std::vector<OpInfo> t;
  auto add_entry = [&](std::string_view name, OpKind kind, int arity, DTypeMask dtypes, bool diff, Invoke fn) {
    t.push_back({name, kind, arity, dtypes, diff, kEveryBackend, 1.3e-6, 1e-5, fn});
  };
#define NB_UNARY_OP(name, result, dtypes, diff) \
  add_entry(#name, OpKind::kUnary, 1, dtypes, diff, [](const std::vector<Tensor>& in) { return name(in[0]); });
#include "core/unary_ops.def"
#undef NB_UNARY_OP
#define NB_BINARY_OP(name, result, dtypes, diff) \
  add_entry(#name, OpKind::kBinary, 2, dtypes, diff, [](const std::vector<Tensor>& in) { return nabla::name(in[0], in[1]); });
#include "core/binary_ops.def"
#undef NB_BINARY_OP

  // The other families: invoke runs the op with its defaults (all dims, dim = -1, dim 0 for
  // indices), so that one table-driven test and benchmark can call every entry.
  using In = const std::vector<Tensor>&;
  constexpr DTypeMask any_dtype = kAllDTypes, num = kNumericDTypes, flt = kFloatingDTypes;
  const auto R = OpKind::kReduction, S = OpKind::kScan, L = OpKind::kLinalg, I = OpKind::kIndexing,
             H = OpKind::kShape;
  add_entry("sum", R, 1, any_dtype, true, [](In in) { return sum(in[0]); });
  add_entry("mean", R, 1, flt, true, [](In in) { return mean(in[0]); });
  add_entry("prod", R, 1, any_dtype, true, [](In in) { return prod(in[0]); });
  add_entry("max", R, 1, any_dtype, true, [](In in) { return max(in[0]); });
  add_entry("min", R, 1, any_dtype, true, [](In in) { return min(in[0]); });
  add_entry("amax", R, 1, any_dtype, true, [](In in) { return amax(in[0], -1); });
  add_entry("amin", R, 1, any_dtype, true, [](In in) { return amin(in[0], -1); });
  add_entry("argmax", R, 1, num, false, [](In in) { return argmax(in[0]); });
  add_entry("argmin", R, 1, num, false, [](In in) { return argmin(in[0]); });
  add_entry("var", R, 1, flt, true, [](In in) { return var(in[0]); });
  add_entry("std", R, 1, flt, true, [](In in) { return nabla::std(in[0]); });
  add_entry("norm", R, 1, flt, true, [](In in) { return norm(in[0]); });
  add_entry("all", R, 1, any_dtype, false, [](In in) { return all(in[0]); });
  add_entry("any", R, 1, any_dtype, false, [](In in) { return any(in[0]); });
  add_entry("logsumexp", R, 1, any_dtype, true, [](In in) { return logsumexp(in[0], -1); });
  add_entry("cumsum", S, 1, any_dtype, true, [](In in) { return cumsum(in[0], -1); });
  add_entry("cumprod", S, 1, any_dtype, true, [](In in) { return cumprod(in[0], -1); });
  add_entry("softmax", S, 1, flt, true, [](In in) { return softmax(in[0], -1); });
  add_entry("log_softmax", S, 1, flt, true, [](In in) { return log_softmax(in[0], -1); });
  add_entry("matmul", L, 2, num, true, [](In in) { return matmul(in[0], in[1]); });
  add_entry("mm", L, 2, num, true, [](In in) { return mm(in[0], in[1]); });
  add_entry("bmm", L, 2, num, true, [](In in) { return bmm(in[0], in[1]); });
  add_entry("addmm", L, 3, num, true, [](In in) { return addmm(in[0], in[1], in[2]); });
  add_entry("dot", L, 2, num, true, [](In in) { return dot(in[0], in[1]); });
  add_entry("outer", L, 2, any_dtype, true, [](In in) { return outer(in[0], in[1]); });
  add_entry("index_select", I, 2, any_dtype, true, [](In in) { return index_select(in[0], 0, in[1]); });
  add_entry("gather", I, 2, any_dtype, true, [](In in) { return gather(in[0], 0, in[1]); });
  add_entry("scatter", I, 3, any_dtype, true, [](In in) { return scatter(in[0], 0, in[1], in[2]); });
  add_entry("scatter_add", I, 3, any_dtype, true, [](In in) { return scatter_add(in[0], 0, in[1], in[2]); });
  add_entry("masked_fill", I, 2, any_dtype, true, [](In in) { return masked_fill(in[0], in[1], 0); });
  add_entry("where", I, 3, any_dtype, true, [](In in) { return where(in[0], in[1], in[2]); });
  add_entry("index", I, 2, any_dtype, true, [](In in) { return in[0].index({in[1]}); });
  add_entry("cat", H, 2, any_dtype, true, [](In in) { return cat(in, 0); });
  add_entry("stack", H, 2, any_dtype, true, [](In in) { return stack(in, 0); });
  add_entry("flip", H, 1, any_dtype, true, [](In in) { return flip(in[0], {0}); });
  add_entry("roll", H, 1, any_dtype, true, [](In in) { return in[0].roll(1); });
  add_entry("sort", H, 1, any_dtype, true, [](In in) { return std::get<0>(sort(in[0])); });
  add_entry("argsort", H, 1, any_dtype, false, [](In in) { return argsort(in[0]); });
  add_entry("topk", H, 1, num, true, [](In in) { return std::get<0>(topk(in[0], 1)); });
  add_entry("unique", H, 1, any_dtype, false, [](In in) { return std::get<0>(unique(in[0])); });
  add_entry("transpose", H, 1, any_dtype, true, [](In in) { return in[0].transpose(0, -1); });
  add_entry("permute", H, 1, any_dtype, true, [](In in) { return in[0].T(); });
  add_entry("reshape", H, 1, any_dtype, true, [](In in) { return in[0].reshape({-1}); });
  add_entry("flatten", H, 1, any_dtype, true, [](In in) { return in[0].flatten(); });
  add_entry("unsqueeze", H, 1, any_dtype, true, [](In in) { return in[0].unsqueeze(0); });
  add_entry("squeeze", H, 1, any_dtype, true, [](In in) { return in[0].squeeze(); });
  add_entry("contiguous", H, 1, any_dtype, true, [](In in) { return in[0].T().contiguous(); });
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
