#pragma once
// Helpers shared by the test files: expecting an error, and gradients against PyTorch's.
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/autograd.hpp"
#include "oracle.hpp"

namespace test_support {

// Runs f, which must raise E with a message containing every one of `parts`.
template <typename E, typename F>
::testing::AssertionResult raises(F&& f, std::initializer_list<std::string_view> parts) {
  try {
    f();
  } catch (const E& e) {
    const std::string message = e.what();
    for (std::string_view p : parts)
      if (message.find(p) == std::string::npos)
        return ::testing::AssertionFailure() << "message '" << message << "' lacks '" << p << "'";
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "raised another exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "raised nothing";
}
template <typename E, typename F>
::testing::AssertionResult raises(F&& f, std::string_view part) {
  return raises<E>(std::forward<F>(f), {part});
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline void write_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

// The inputs that require grad, in order.
std::vector<nabla::Tensor> grad_inputs(const std::vector<nabla::Tensor>& inputs);

// The gradients torch gives for sum(out * w), w a fixed ramp, with respect to the inputs that require
// grad; `expr` is out's expression over a, b, ..., or statements that assign `out`.
std::vector<nabla::Tensor> torch_grads(const std::string& expr, const std::vector<nabla::Tensor>& inputs);
// The same through nabla's autograd, for `out` computed from `inputs`.
std::vector<nabla::Tensor> our_grads(const nabla::Tensor& out, const std::vector<nabla::Tensor>& inputs);
// Both, compared.
void expect_grads(const std::string& expr, const std::vector<nabla::Tensor>& inputs, const nabla::Tensor& out,
                  oracle::Tolerance tol = {1e-10, 1e-10});

// A fresh directory under /tmp for each test, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

// The names in a directory, sorted.
std::vector<std::string> listing(const std::string& dir);

// Same dtype, shape and element bytes (NaN payloads included).
::testing::AssertionResult same_bits(const nabla::Tensor& a, const nabla::Tensor& b);

}  // namespace test_support
