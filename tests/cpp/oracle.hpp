#pragma once
// The independent oracle for the C++ tests: PyTorch 1.13 and NumPy in one Python process
// (tests/oracle/oracle.py), started on first use and shared by the whole test binary.
//
//   auto r = oracle::eval("torch.add(a, b, alpha=2)", {x, y});
//   oracle::expect_close(nb::add(x, y, 2), r.value());
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nabla/nabla.hpp"

namespace oracle {

struct Result {
  bool ok = false;
  std::string error_type, error_message;  // what PyTorch raised, when !ok
  std::vector<nabla::Tensor> outputs;
  // The single output; fails the test when PyTorch raised.
  const nabla::Tensor& value() const;
};

// Evaluates a Python expression with the inputs bound to a, b, c, ... (as torch tensors; as
// NumPy arrays for uint16/32/64, which torch 1.13 lacks). Tuples give several outputs.
Result eval(const std::string& expr, const std::vector<nabla::Tensor>& inputs = {});
// Runs Python statements (several lines) in the same scope as eval; their value is what they
// assign to `result`.
Result exec(const std::string& statements, const std::vector<nabla::Tensor>& inputs = {});
// str() of the expression's value, e.g. what print(t) shows.
std::string str(const std::string& expr, const std::vector<nabla::Tensor>& inputs = {});

// Tolerances by dtype, scaled from a float32 (rtol, atol).
struct Tolerance {
  double rtol, atol;
};
Tolerance tolerance_for(nabla::DType dtype, double rtol32 = 1.3e-6, double atol32 = 1e-5);

// Same dtype, same shape, values within tolerance (NaNs match NaNs, infinities must match).
::testing::AssertionResult close(const nabla::Tensor& actual, const nabla::Tensor& expected,
                                 std::optional<Tolerance> tol = std::nullopt);
#define EXPECT_CLOSE(actual, expected, ...) EXPECT_TRUE(::oracle::close(actual, expected, ##__VA_ARGS__))

// Random test data: values from a fixed NumPy-free generator, so every run sees the same inputs.
nabla::Tensor random_tensor(nabla::IntArrayRef sizes, nabla::DType dtype, uint64_t seed, double lo = -4, double hi = 4);
// The same values laid out as a non-contiguous view (transposed storage or a stepped slice).
nabla::Tensor strided_copy(const nabla::Tensor& t, uint64_t seed);

}  // namespace oracle
