#pragma once
// Building error messages: NB_CHECK(cond, ValueError, "op: ", shape_str(s), " ...").
#include <charconv>
#include <string>
#include <string_view>
#include <type_traits>

#include "nabla/core/dtype.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/shape.hpp"

namespace nabla {

// "(2, 3)" as PyTorch writes a shape in messages; "()" for a 0-d shape.
std::string shape_str(IntArrayRef sizes);
// "torch.float32"-free spelling used in messages: "float32".
inline std::string_view dtype_str(DType t) { return dtype_name(t); }

// Appends one part of a message. Numbers are written with std::to_chars, never through an ostream:
// messages must not depend on the global locale, and a process that loaded another C++ runtime's
// locale facets first (PyTorch's pip wheels do, seen on the GPU machine) crashes in ostream's number
// formatting. Floating values get 6 significant digits, as an ostream writes them by default.
inline void append_part(std::string& s, std::string_view v) { s += v; }
inline void append_part(std::string& s, const char* v) { s += v; }
inline void append_part(std::string& s, char c) { s += c; }
inline void append_part(std::string& s, bool v) { s += v ? '1' : '0'; }
template <typename T>
  requires std::is_arithmetic_v<T>
void append_part(std::string& s, T v) {
  char buf[64];
  std::to_chars_result r;
  if constexpr (std::is_floating_point_v<T>) r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
  else r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

// A floating value with a fixed number of decimals ("%.2f"), locale-independent.
inline std::string fixed_str(double v, int decimals) {
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  return std::string(buf, r.ptr);
}

template <typename E, typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::string message;
  (append_part(message, parts), ...);
  throw E(message);
}

// Wraps a possibly negative dim into [0, ndim); raises IndexError like PyTorch otherwise.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

}  // namespace nabla

#define NB_CHECK(cond, ErrorType, ...)                    \
  do {                                                    \
    if (!(cond)) ::nabla::fail<::nabla::ErrorType>(__VA_ARGS__); \
  } while (0)
