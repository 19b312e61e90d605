// The op table (Note [The op table] in include/nabla/op_table.hpp).
#include <algorithm>

#include "core/kernels/elementwise.hpp"
#include "ops/common.hpp"
#include "nabla/op_table.hpp"

namespace nabla {
namespace {

const std::vector<OpInfo>& table() {
  static const std::vector<OpInfo> t = [] {
    std::vector<OpInfo> v;
    return v;
  }();
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
