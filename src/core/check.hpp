#pragma once
// Building error messages: NB_CHECK(cond, ValueError, "op: ", shape_str(s), " ...").
#include <sstream>
#include <string>

#include "nabla/core/dtype.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/shape.hpp"

namespace nabla {

// "(2, 3)" as PyTorch writes a shape in messages; "()" for a 0-d shape.
std::string shape_str(IntArrayRef sizes);
// "torch.float32"-free spelling used in messages: "float32".
inline std::string_view dtype_str(DType t) { return dtype_name(t); }

template <typename E, typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw E(os.str());
}

// Wraps a possibly negative dim into [0, ndim); raises IndexError like PyTorch otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

}  // namespace nabla

#define NB_CHECK(cond, ErrorType, ...)                    \
  do {                                                    \
    if (!(cond)) ::nabla::fail<::nabla::ErrorType>(__VA_ARGS__); \
  } while (0)
