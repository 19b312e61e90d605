#include "nabla/core/dtype.hpp"

#include "core/check.hpp"

namespace nabla {

std::string_view dtype_name(DType t) {
  constexpr std::string_view names[kNumDTypes] = {"bool",    "uint8",   "int8",    "int16",   "int32",
                                                  "int64",   "uint16",  "uint32",  "uint64",  "float16",
                                                  "bfloat16", "float32", "float64"};
  return names[int(t)];
}

std::string shape_str(IntArrayRef sizes) {
  std::string s = "(";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  if (sizes.size() == 1) s += ",";
  return s + ")";
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = ndim > 0 ? ndim : 1;  // a 0-d tensor accepts dim 0 and -1, as in PyTorch
  NB_CHECK(dim >= -n && dim < n, IndexError, op, ": Dimension out of range (expected to be in range of [",
           -n, ", ", n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

}  // namespace nabla
