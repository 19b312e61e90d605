// Every unary and binary op of the op table against PyTorch: values and result dtypes over
// dtypes, broadcasting, strided and zero-size inputs; PyTorch's errors are our errors.
#include <limits>
#include <map>

#include "oracle.hpp"

namespace nb = nabla;

namespace {

// How PyTorch spells the table's ops that have no torch function of the same name.
std::string torch_call(std::string_view name, int arity) {
  static const std::map<std::string_view, std::string> special = {
      {"gelu", "F.gelu(a)"},
      {"gelu_tanh", "F.gelu(a, approximate='tanh')"},
      {"silu", "F.silu(a)"},
      {"relu", "torch.relu(a)"},
      {"clamp", "torch.clamp(a, -0.5, 0.5)"},
      {"div_floor", "torch.div(a, b, rounding_mode='floor')"},
      {"div_trunc", "torch.div(a, b, rounding_mode='trunc')"},
  };
  if (auto it = special.find(name); it != special.end()) return it->second;
  return "torch." + std::string(name) + (arity == 1 ? "(a)" : "(a, b)");
}

const nb::DType kTorchDTypes[] = {nb::kBool,  nb::kUInt8,   nb::kInt8,     nb::kInt16,   nb::kInt32,
                                  nb::kInt64, nb::kFloat16, nb::kBFloat16, nb::kFloat32, nb::kFloat64};

bool is_division(std::string_view name) {
  return name == "div" || name == "div_floor" || name == "div_trunc" || name == "remainder" || name == "fmod";
}

// Inputs in a range where the op is interesting and integer results don't overflow.
nb::Tensor input_for(std::string_view op, int which, nb::IntArrayRef shape, nb::DType dtype, uint64_t seed) {
  bool shift = op.find("shift") != std::string_view::npos;
  if (shift && which == 1) return oracle::random_tensor(shape, dtype, seed, 0, 9);
  if (op == "pow" && !nb::is_floating(dtype)) return oracle::random_tensor(shape, dtype, seed, which ? 0 : -3, 4);
  nb::Tensor t = oracle::random_tensor(shape, dtype, seed, -4, 4);
  if (which == 1 && is_division(op) && !nb::is_floating(dtype) && dtype != nb::kBool)
    t = oracle::random_tensor(shape, dtype, seed, 1, 5);  // integer division by zero raises: tested apart
  return t;
}

bool missing_torch_kernel(const oracle::Result& r) {
  return r.error_message.find("not implemented for 'Half'") != std::string::npos ||
         r.error_message.find("not implemented for 'Bool'") != std::string::npos;
}

void expect_matches_torch(const nb::OpInfo& op, const std::vector<nb::Tensor>& inputs, const std::string& where) {
  SCOPED_TRACE(std::string(op.name) + " " + where);
  oracle::Result r = oracle::eval(torch_call(op.name, op.arity), inputs);
  if (!r.ok && missing_torch_kernel(r) && op.accepts(inputs[0].dtype())) {
    // PyTorch 1.13 lacks this CPU kernel (later versions have it); nabla runs it. The expected
    // value is PyTorch's result computed in a wider dtype and rounded back once.
    std::vector<nb::Tensor> wide;
    for (const auto& t : inputs) wide.push_back(t.to(nb::is_floating(t.dtype()) ? nb::kFloat32 : nb::kInt64));
    oracle::Result w = oracle::eval(torch_call(op.name, op.arity), wide);
    ASSERT_TRUE(w.ok) << w.error_message;
    nb::Tensor got = op.invoke(inputs);
    EXPECT_CLOSE(got, w.value().to(got.dtype()), oracle::tolerance_for(got.dtype(), op.rtol, op.atol));
    return;
  }
  if (!r.ok) {
    EXPECT_THROW(op.invoke(inputs), nb::Error) << "PyTorch raised " << r.error_type << ": " << r.error_message;
    return;
  }
  nb::Tensor got;
  try {
    got = op.invoke(inputs);
  } catch (const nb::Error& e) {
    ADD_FAILURE() << "nabla raised but PyTorch did not: " << e.what();
    return;
  }
  EXPECT_CLOSE(got, r.value(), oracle::tolerance_for(got.dtype(), op.rtol, op.atol));
}

}  // namespace

TEST(Elementwise, UnaryOpsMatchTorch) {
  const std::vector<nb::DimVector> shapes = {{}, {7}, {3, 5}, {2, 3, 17}, {0, 3}};
  uint64_t seed = 1;
  for (const nb::OpInfo& op : nb::op_table()) {
    if (op.kind != nb::OpKind::kUnary) continue;
    for (nb::DType dtype : kTorchDTypes) {
      for (const auto& shape : shapes) {
        nb::Tensor x = input_for(op.name, 0, shape, dtype, seed++);
        expect_matches_torch(op, {x}, std::string(nb::dtype_name(dtype)) + " contiguous");
      }
      nb::Tensor x = oracle::strided_copy(input_for(op.name, 0, {4, 6}, dtype, seed), seed);
      ++seed;
      expect_matches_torch(op, {x}, std::string(nb::dtype_name(dtype)) + " strided");
    }
  }
}

TEST(Elementwise, BinaryOpsMatchTorch) {
  const std::vector<std::pair<nb::DimVector, nb::DimVector>> shapes = {
      {{6}, {6}}, {{3, 1}, {1, 4}}, {{2, 3, 5}, {5}}, {{}, {4}}, {{4}, {}}, {{0, 2}, {2}}, {{2, 40}, {2, 40}}};
  uint64_t seed = 1000;
  for (const nb::OpInfo& op : nb::op_table()) {
    if (op.kind != nb::OpKind::kBinary) continue;
    for (nb::DType dtype : kTorchDTypes) {
      for (const auto& [sa, sb] : shapes) {
        nb::Tensor a = input_for(op.name, 0, sa, dtype, seed++), b = input_for(op.name, 1, sb, dtype, seed++);
        expect_matches_torch(op, {a, b}, std::string(nb::dtype_name(dtype)) + " broadcast");
      }
      nb::Tensor a = oracle::strided_copy(input_for(op.name, 0, {4, 6}, dtype, seed), seed);
      nb::Tensor b = oracle::strided_copy(input_for(op.name, 1, {4, 6}, dtype, seed + 1), seed + 1);
      seed += 2;
      expect_matches_torch(op, {a, b}, std::string(nb::dtype_name(dtype)) + " strided");
    }
  }
}

TEST(Elementwise, MixedDTypesPromoteLikeTorch) {
  uint64_t seed = 5000;
  const char* ops[] = {"add", "mul", "div", "maximum", "lt", "div_floor", "pow", "atan2"};
  for (const char* name : ops) {
    const nb::OpInfo& op = nb::op_info(name);
    for (nb::DType da : kTorchDTypes)
      for (nb::DType db : {nb::kBool, nb::kUInt8, nb::kInt32, nb::kInt64, nb::kFloat16, nb::kBFloat16, nb::kFloat64}) {
        // Dim tensors, and a 0-d second operand (which only wins across categories).
        for (nb::DimVector sb : {nb::DimVector{3}, nb::DimVector{}}) {
          nb::Tensor a = input_for(name, 0, {3}, da, seed++), b = input_for(name, 1, sb, db, seed++);
          expect_matches_torch(op, {a, b}, std::string(nb::dtype_name(da)) + " with " + std::string(nb::dtype_name(db)));
        }
      }
  }
}

TEST(Elementwise, ScalarOperandsPromoteLikeTorch) {
  nb::Tensor i32 = nb::tensor({1, 2, 3}, nb::kInt32), u8 = nb::tensor({1, 2, 250}, nb::kUInt8);
  nb::Tensor f16 = nb::tensor({1.5, -2.25}, nb::kFloat16), b = nb::tensor({true, false});
  struct Case {
    nb::Tensor got;
    const char* expr;
    std::vector<nb::Tensor> in;
  };
  std::vector<Case> cases = {
      {i32 + 2.5, "a + 2.5", {i32}},          {i32 * 2, "a * 2", {i32}},
      {u8 + 10, "a + 10", {u8}},              {f16 * 3.0, "a * 3.0", {f16}},
      {b + 1, "a + 1", {b}},                  {b * 1.5, "a * 1.5", {b}},
      {i32 / 2, "a / 2", {i32}},              {2 - i32, "2 - a", {i32}},
      {1.5 / f16, "1.5 / a", {f16}},          {i32 > 1.5, "a > 1.5", {i32}},
      {nb::pow(i32, 2), "a ** 2", {i32}},     {nb::pow(2, i32), "2 ** a", {i32}},
      {i32.add(i32, 3), "torch.add(a, a, alpha=3)", {i32}},
      {f16.sub(f16, 0.5), "torch.sub(a, a, alpha=0.5)", {f16}},
      {nb::clamp(i32, 1.5), "torch.clamp(a, 1.5)", {i32}},
      {nb::clamp(i32, 2, 2), "torch.clamp(a, 2, 2)", {i32}},
      {i32 % -2, "a % -2", {i32}},            {nb::floor_divide(i32, -2), "a // -2", {i32}},
      {u8 << 1, "a << 1", {u8}},              {~b, "~a", {b}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.expr);
    EXPECT_CLOSE(c.got, oracle::eval(c.expr, c.in).value());
  }
}

TEST(Elementwise, InPlaceFollowsTorchCastingRules) {
  nb::Tensor f = nb::tensor({1.5f, 2.5f}), i = nb::tensor({1, 2});
  nb::Tensor f_copy = f.clone();
  f_copy += i;
  EXPECT_CLOSE(f_copy, oracle::eval("a.clone().add_(b)", {f, i}).value());
  EXPECT_THROW(i.clone().add_(f), nb::RuntimeError);       // float result into an int tensor
  EXPECT_THROW(i.clone().exp_(), nb::RuntimeError);
  EXPECT_THROW(f.clone().add_(nb::zeros({3, 2})), nb::RuntimeError);  // would need to grow
  nb::Tensor v = nb::zeros({4});
  nb::Tensor view = v.slice(0, 1, 3);
  view.add_(1);
  EXPECT_CLOSE(v, nb::tensor({0.f, 1.f, 1.f, 0.f}));
}

TEST(Elementwise, SpecialValuesMatchTorch) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  nb::Tensor specials = nb::tensor({0.0, -0.0, 1.0, -1.0, 1e30, -1e30, 1e-30, 100.0, -100.0, inf, -inf, nan});
  nb::Tensor reversed = nb::tensor({nan, -inf, inf, -100.0, 100.0, 1e-30, -1e30, 1e30, -1.0, 1.0, -0.0, 0.0});
  for (const nb::OpInfo& op : nb::op_table()) {
    if (op.kind == nb::OpKind::kUnary && op.accepts(nb::kFloat32)) expect_matches_torch(op, {specials}, "specials");
    if (op.kind == nb::OpKind::kBinary && op.accepts(nb::kFloat32))
      expect_matches_torch(op, {specials, reversed}, "specials");
  }
}

// where with a single value on one side (a ReLU's gradient is where(mask, grad, 0)) and with three
// tensors, for every dtype, over a length with a vector loop and a tail, contiguous and strided:
// the unselected side may hold infinities and NaN, and must never leak into the result.
TEST(Elementwise, WhereSelectsWithoutLeakingTheOtherSide) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  uint64_t seed = 70;
  for (nb::DType d : {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kBFloat16, nb::kInt64, nb::kInt8, nb::kUInt8, nb::kBool}) {
    SCOPED_TRACE(nb::dtype_name(d));
    nb::Tensor cond = oracle::random_tensor({3, 37}, nb::kBool, ++seed);
    nb::Tensor x = oracle::random_tensor({3, 37}, d, ++seed), y = oracle::random_tensor({3, 37}, d, ++seed);
    if (x.is_floating_point()) {
      x.index_put_({nb::tensor({0, 1, 2}), nb::tensor({5, 20, 36})}, nb::tensor({nan, inf, -inf}).to(d));
      y.index_put_({nb::tensor({0, 1, 2}), nb::tensor({6, 21, 35})}, nb::tensor({-inf, nan, inf}).to(d));
    }
    for (const nb::Tensor& c : {cond, oracle::strided_copy(cond, ++seed)})
      for (const nb::Tensor& a : {x, oracle::strided_copy(x, ++seed)}) {
        EXPECT_CLOSE(nb::where(c, a, y), oracle::eval("torch.where(a, b, c)", {c, a, y}).value());
        EXPECT_CLOSE(nb::where(c, a, nb::Scalar(1)), oracle::eval("torch.where(a, b, 1)", {c, a}).value());
        EXPECT_CLOSE(nb::where(c, nb::Scalar(1), a), oracle::eval("torch.where(a, 1, b)", {c, a}).value());
      }
  }
}

TEST(Elementwise, ErrorsNameTheOpAndTypes) {
  auto message_of = [](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const nb::Error& e) {
      return e.what();
    }
    return "";
  };
  nb::Tensor f = nb::ones({2, 3}), i = nb::ones({2, 3}, nb::kInt64), b = nb::ones({2}, nb::kBool);
  EXPECT_THROW(f + nb::ones({4}), nb::RuntimeError);
  EXPECT_NE(message_of([&] { f + nb::ones({4}); }).find("(2, 3) and (4,)"), std::string::npos);
  EXPECT_THROW(nb::bitwise_and(f, f), nb::TypeError);
  EXPECT_NE(message_of([&] { nb::bitwise_and(f, f); }).find("bitwise_and"), std::string::npos);
  EXPECT_THROW(-b, nb::TypeError);
  EXPECT_THROW(b - b, nb::RuntimeError);  // PyTorch's kinds: RuntimeError for any bool operand of sub
  EXPECT_THROW(f - true, nb::RuntimeError);
  EXPECT_THROW(true - f, nb::RuntimeError);
  EXPECT_NE(message_of([&] { f.sub_(nb::ones({3}, nb::kBool)); }).find("float32 tensor and bool tensor"), std::string::npos);
  EXPECT_THROW(nb::floor_divide(i, nb::zeros({2, 3}, nb::kInt64)), nb::RuntimeError);
  EXPECT_NE(message_of([&] { nb::remainder(i, 0); }).find("ZeroDivisionError"), std::string::npos);
  EXPECT_THROW(nb::pow(i, -1), nb::RuntimeError);
  EXPECT_THROW(i.add(i, 0.5), nb::RuntimeError);
  EXPECT_THROW(nb::gelu(i), nb::TypeError);
  EXPECT_THROW(nb::div(f, f, "round"), nb::ValueError);
  EXPECT_THROW(nb::clamp(f, std::nullopt, std::nullopt), nb::RuntimeError);
}
