#pragma once
// One error hierarchy; each kind maps to the Python exception of the same name.
#include <stdexcept>
#include <string>

namespace nabla {

enum class ErrorKind { kValueError, kTypeError, kIndexError, kRuntimeError, kNotImplementedError };

namespace detail {
// A message quotes what the caller passed, which may hold NUL bytes; what() is read as a C string
// (Python's exception translation too), so a NUL would end the message there. It is written as \x00.
inline std::string without_nul(std::string msg) {
  for (size_t i = msg.find('\0'); i != std::string::npos; i = msg.find('\0', i + 4)) msg.replace(i, 1, "\\x00");
  return msg;
}
}  // namespace detail

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(detail::without_nul(msg)), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

#define NB_DEFINE_ERROR(Name)                                                  \
  class Name : public Error {                                                  \
   public:                                                                     \
    explicit Name(const std::string& msg) : Error(ErrorKind::k##Name, msg) {} \
  };
NB_DEFINE_ERROR(ValueError)
NB_DEFINE_ERROR(TypeError)
NB_DEFINE_ERROR(IndexError)
NB_DEFINE_ERROR(RuntimeError)
NB_DEFINE_ERROR(NotImplementedError)
#undef NB_DEFINE_ERROR

}  // namespace nabla
