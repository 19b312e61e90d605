// A table of bad inputs across the op families: each raises the right nabla error kind, with a
// message that names the op and the offending shapes or dtypes. None crashes.
#include <functional>

#include "oracle.hpp"

namespace nb = nabla;

namespace {

struct BadInput {
  const char* what;
  std::function<void()> call;
  nb::ErrorKind kind;
  std::vector<std::string> mentions;  // substrings the message must contain
};

const char* kind_name(nb::ErrorKind k) {
  switch (k) {
    case nb::ErrorKind::kValueError: return "ValueError";
    case nb::ErrorKind::kTypeError: return "TypeError";
    case nb::ErrorKind::kIndexError: return "IndexError";
    case nb::ErrorKind::kRuntimeError: return "RuntimeError";
    case nb::ErrorKind::kNotImplementedError: return "NotImplementedError";
  }
  return "?";
}

}  // namespace

TEST(Errors, BadInputsRaiseNamedErrors) {
  nb::Tensor m23 = nb::ones({2, 3}), m45 = nb::ones({4, 5}), v3 = nb::ones({3}), i23 = nb::ones({2, 3}, nb::kInt64);
  nb::Tensor b2 = nb::ones({2}, nb::kBool);
  using K = nb::ErrorKind;
  std::vector<BadInput> table = {
      {"matmul inner dims", [&] { nb::matmul(m23, m45); }, K::kRuntimeError, {"matmul", "(2, 3)", "(4, 5)"}},
      {"mm of a vector", [&] { nb::mm(v3, m23); }, K::kRuntimeError, {"mm", "(3,)"}},
      {"matmul dtype mismatch", [&] { nb::matmul(m23, nb::ones({3, 2}, nb::kFloat64)); }, K::kRuntimeError, {"float32", "float64"}},
      {"add shapes", [&] { m23 + m45; }, K::kRuntimeError, {"(2, 3)", "(4, 5)"}},
      {"bitwise on floats", [&] { nb::bitwise_or(m23, m23); }, K::kTypeError, {"bitwise_or", "float32"}},
      {"int floor division by zero", [&] { nb::floor_divide(i23, 0); }, K::kRuntimeError, {"ZeroDivisionError", "int64"}},
      {"in-place growth", [&] { v3.clone().add_(m23); }, K::kRuntimeError, {"add", "(3,)", "(2, 3)"}},
      {"in-place float into int", [&] { i23.clone().mul_(1.5); }, K::kRuntimeError, {"mul", "float32", "int64"}},
      {"view of incompatible size", [&] { m23.view({4}); }, K::kRuntimeError, {"view", "(4,)"}},
      {"view across strides", [&] { m23.t().view({6}); }, K::kRuntimeError, {"view", "reshape"}},
      {"transpose dim", [&] { m23.transpose(0, 2); }, K::kIndexError, {"transpose", "[-2, 1]", "2"}},
      {"sum dim", [&] { m23.sum(5); }, K::kIndexError, {"[-2, 1]", "5"}},
      {"mean of ints", [&] { i23.mean(); }, K::kRuntimeError, {"mean", "int64"}},
      {"select out of range", [&] { m23.select(1, 3); }, K::kIndexError, {"3", "size 3"}},
      {"index out of range", [&] { m23.index({nb::tensor({0, 7})}); }, K::kIndexError, {"7", "size 2"}},
      {"too many indices", [&] { m23.index({0, 0, 0}); }, K::kIndexError, {"too many indices"}},
      {"mask shape", [&] { v3.index({b2}); }, K::kIndexError, {"(2,)", "(3,)"}},
      {"gather index dtype", [&] { m23.gather(1, nb::zeros({2, 3}, nb::kInt32)); }, K::kRuntimeError, {"gather", "int64"}},
      {"cat of ranks", [&] { nb::cat({m23, v3}); }, K::kRuntimeError, {"cat"}},
      {"cat of empty list", [&] { nb::cat({}); }, K::kRuntimeError, {"non-empty"}},
      {"stack of shapes", [&] { nb::stack({m23, m45}); }, K::kRuntimeError, {"stack"}},
      {"topk k too large", [&] { nb::topk(v3, 4); }, K::kRuntimeError, {"k", "out of range"}},
      {"expand", [&] { m23.expand({4, 3}); }, K::kRuntimeError, {"expand", "(4, 3)", "(2, 3)"}},
      {"item of many", [&] { m23.item(); }, K::kRuntimeError, {"item", "(2, 3)"}},
      {"ragged nested list", [&] { nb::tensor({{1, 2}, {3}}); }, K::kValueError, {"tensor", "length"}},
      {"negative size", [&] { nb::zeros({2, -1}); }, K::kRuntimeError, {"negative", "-1"}},
      {"arange zero step", [&] { nb::arange(0, 5, 0); }, K::kRuntimeError, {"arange", "step"}},
      {"requires_grad on ints", [&] { i23.clone().requires_grad_(); }, K::kRuntimeError, {"floating point", "int64"}},
      {"cuda without CUDA", [&] { m23.to(nb::Device(nb::kCUDA)); }, K::kRuntimeError, {"CUDA", "cuda"}},
      {"neg of bool", [&] { -b2; }, K::kTypeError, {"neg", "logical_not"}},
      {"clamp without bounds", [&] { m23.clamp(std::nullopt, std::nullopt); }, K::kRuntimeError, {"clamp"}},
      {"div rounding mode", [&] { nb::div(m23, m23, "up"); }, K::kValueError, {"rounding_mode", "up"}},
      {"randint empty range", [&] { nb::randint(5, 5, {2}); }, K::kRuntimeError, {"randint"}},
      {"permute length", [&] { m23.permute({0}); }, K::kRuntimeError, {"permute", "2"}},
      {"reshape numel", [&] { m23.reshape({7}); }, K::kRuntimeError, {"(7,)", "6"}},
      {"softmax dim", [&] { nb::softmax(m23, 3); }, K::kIndexError, {"[-2, 1]", "3"}},
      {"dot of matrices", [&] { nb::dot(m23, m23); }, K::kRuntimeError, {"dot", "1-D", "(2, 3)"}},
      {"read-only write", [&] {
         static float data[2] = {1, 2};
         nb::Tensor t = nb::from_blob(data, {2}, nb::kFloat32);
         t.impl()->storage()->set_read_only(true);
         t.add_(1);
       }, K::kRuntimeError, {"add", "read-only", "clone"}},
      {"item of scalar is fine, of empty is not", [&] { nb::zeros({0}).item(); }, K::kRuntimeError, {"item", "(0,)"}},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.what);
    try {
      row.call();
      ADD_FAILURE() << "no error raised";
    } catch (const nb::Error& e) {
      EXPECT_EQ(kind_name(e.kind()), std::string(kind_name(row.kind))) << e.what();
      for (const auto& m : row.mentions)
        EXPECT_NE(std::string(e.what()).find(m), std::string::npos) << "message lacks '" << m << "': " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "raised a non-nabla exception: " << e.what();
    }
  }
}
