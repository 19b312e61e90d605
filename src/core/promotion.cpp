#include "core/promotion.hpp"

#include <optional>

#include "core/check.hpp"

namespace nabla {
namespace {

int int_bits(DType t) { return int(itemsize(t)) * 8; }

DType signed_int_of_bits(int bits) {
  switch (bits) {
    case 8: return kInt8;
    case 16: return kInt16;
    case 32: return kInt32;
    default: return kInt64;
  }
}

int category(DType t) { return t == kBool ? 0 : is_floating(t) ? 2 : 1; }

}  // namespace

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == kBool) return b;
  if (b == kBool) return a;
  bool fa = is_floating(a), fb = is_floating(b);
  if (fa && fb) {
    bool half_pair = (a == kFloat16 && b == kBFloat16) || (a == kBFloat16 && b == kFloat16);
    return half_pair ? kFloat32 : (a > b ? a : b);
  }
  if (fa) return a;
  if (fb) return b;
  bool sa = is_signed(a), sb = is_signed(b);
  if (sa == sb) return int_bits(a) >= int_bits(b) ? a : b;
  DType u = sa ? b : a, s = sa ? a : b;
  if (int_bits(s) > int_bits(u)) return s;
  NB_CHECK(u != kUInt64, TypeError, "promote_types: no integer dtype holds every value of both ", dtype_name(u),
           " and ", dtype_name(s), "; convert one operand first, e.g. .to(nabla::kInt64) or .to(nabla::kFloat64)");
  return signed_int_of_bits(2 * int_bits(u));
}

DType result_type(std::span<const PromotionOperand> operands) {
  std::optional<DType> by_class[3];
  for (const auto& op : operands) {
    auto& slot = by_class[int(op.cls)];
    DType d = op.dtype;
    if (op.cls == OperandClass::kWrappedNumber && is_floating(d)) d = kFloat32;
    slot = slot ? promote_types(*slot, d) : d;
  }
  // combine(higher, lower): the lower class matters only if its category is higher.
  auto combine = [](std::optional<DType> higher, std::optional<DType> lower) -> std::optional<DType> {
    if (!higher) return lower;
    if (!lower) return higher;
    if (category(*lower) > category(*higher)) return promote_types(*higher, *lower);
    return higher;
  };
  return *combine(by_class[0], combine(by_class[1], by_class[2]));
}

DimVector broadcast_shapes(IntArrayRef a, IntArrayRef b) {
  size_t n = a.size() > b.size() ? a.size() : b.size();
  DimVector out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    NB_CHECK(da == db || da == 1 || db == 1, RuntimeError, "The size of tensor a (", da,
             ") must match the size of tensor b (", db, ") at non-singleton dimension ", i, ": shapes ",
             shape_str(a), " and ", shape_str(b), " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

DimVector broadcast_strides(IntArrayRef sizes, IntArrayRef strides, IntArrayRef target) {
  size_t lead = target.size() - sizes.size();
  DimVector out(target.size(), 0);
  for (size_t i = 0; i < sizes.size(); ++i) out[lead + i] = sizes[i] == 1 && target[lead + i] != 1 ? 0 : strides[i];
  return out;
}

}  // namespace nabla
