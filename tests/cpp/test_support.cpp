#include "test_support.hpp"

#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/check.hpp"

namespace nb = nabla;

namespace test_support {

std::vector<nb::Tensor> grad_inputs(const std::vector<nb::Tensor>& inputs) {
  std::vector<nb::Tensor> out;
  for (const nb::Tensor& t : inputs)
    if (t.requires_grad()) out.push_back(t);
  return out;
}

std::vector<nb::Tensor> torch_grads(const std::string& expr, const std::vector<nb::Tensor>& inputs) {
  std::string code = "xs = [t.detach().clone().requires_grad_(t.is_floating_point()) for t in (";
  for (size_t i = 0; i < inputs.size(); ++i) code += std::string(1, char('a' + i)) + ",";
  code += ")]\n";
  for (size_t i = 0; i < inputs.size(); ++i)
    code += std::string(1, char('a' + i)) + " = xs[" + std::to_string(i) + "]\n";
  code += (expr.find('\n') == std::string::npos ? "out = " + expr : expr) + "\n";
  code += "w = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)\n";
  code += "fs = [x for x in xs if x.requires_grad]\n";
  code += "result = tuple(g if g is not None else torch.zeros_like(x) for g, x in "
          "zip(torch.autograd.grad((out * w).sum(), fs, allow_unused=True), fs))\n";
  auto r = oracle::exec(code, inputs);
  EXPECT_TRUE(r.ok) << expr << ": " << r.error_message;
  return r.outputs;
}

std::vector<nb::Tensor> our_grads(const nb::Tensor& out, const std::vector<nb::Tensor>& inputs) {
  std::vector<nb::Tensor> wrt = grad_inputs(inputs);
  nb::Tensor w = nb::linspace(-1, 1, out.numel(), out.dtype()).reshape(out.sizes());
  auto g = nb::autograd::grad({(out * w).sum()}, wrt, {}, std::nullopt, false, true);
  for (size_t i = 0; i < g.size(); ++i)
    if (!g[i].defined()) g[i] = nb::zeros_like(wrt[i]);
  return g;
}

void expect_grads(const std::string& expr, const std::vector<nb::Tensor>& inputs, const nb::Tensor& out,
                  oracle::Tolerance tol) {
  auto expected = torch_grads(expr, inputs);
  auto actual = our_grads(out, inputs);
  ASSERT_EQ(expected.size(), actual.size()) << expr;
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_CLOSE(actual[i], expected[i], tol) << expr << " input " << i;
}

void TempDirTest::SetUp() {
  char pattern[] = "/tmp/nabla-test-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  dir_ = pattern;
}

void TempDirTest::TearDown() { std::filesystem::remove_all(dir_); }

std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

::testing::AssertionResult same_bits(const nb::Tensor& a, const nb::Tensor& b) {
  if (a.dtype() != b.dtype())
    return ::testing::AssertionFailure() << "dtype " << nb::dtype_name(a.dtype()) << " vs " << nb::dtype_name(b.dtype());
  if (!(a.sizes() == b.sizes()))
    return ::testing::AssertionFailure() << "shape " << nb::shape_str(a.sizes()) << " vs " << nb::shape_str(b.sizes());
  const nb::Tensor ca = a.contiguous(), cb = b.contiguous();
  if (ca.nbytes() && std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) != 0)
    return ::testing::AssertionFailure() << "bytes differ";
  return ::testing::AssertionSuccess();
}

}  // namespace test_support
