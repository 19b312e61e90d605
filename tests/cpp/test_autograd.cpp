// The autograd engine and the element-wise, copy and view gradients, against PyTorch 1.13 and
// hand-derived values.
#include <cmath>

#include "autograd/meta.hpp"
#include "nabla/autograd.hpp"
#include "oracle.hpp"
#include "test_support.hpp"

namespace nb = nabla;
using test_support::expect_grads;
using test_support::our_grads;
using test_support::raises;
using test_support::torch_grads;

namespace {

nb::Tensor leaf(nb::IntArrayRef shape, uint64_t seed, double lo = -2, double hi = 2, nb::DType d = nb::kFloat64) {
  return oracle::random_tensor(shape, d, seed, lo, hi).requires_grad_();
}

}  // namespace

TEST(Autograd, LeafAccumulatesAndGraphIsFreed) {
  nb::Tensor x = nb::tensor({1.0, 2.0, 3.0}).requires_grad_();
  EXPECT_TRUE(x.is_leaf());
  nb::Tensor y = (x * x).sum();
  EXPECT_FALSE(y.is_leaf());
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_STREQ(y.grad_fn()->name(), "SumBackward0");
  y.backward();
  EXPECT_TRUE(x.grad().equal(nb::tensor({2.0, 4.0, 6.0})));
  (x * 3).sum().backward();  // accumulates
  EXPECT_TRUE(x.grad().equal(nb::tensor({5.0, 7.0, 9.0})));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { y.backward(); }, "backward through the graph a second time"));
}

TEST(Autograd, NodesThatSaveNothingRunAgainAfterTheGraphIsFreed) {
  nb::Tensor x = nb::tensor({1.0, 2.0}, nb::kFloat64).requires_grad_();
  nb::Tensor y = (x + x - 1).sum();
  y.backward();
  y.backward();  // as in PyTorch: add, sub and sum saved no tensors
  EXPECT_TRUE(x.grad().equal(nb::tensor({4.0, 4.0}, nb::kFloat64)));
  nb::Tensor z = (x * 2).sum();  // mul saved its other operand: a second pass raises, as in PyTorch
  z.backward();
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { z.backward(); }, "backward through the graph a second time"));
}

TEST(Autograd, TrainingLeavesNoGraphBehind) {
  nb::manual_seed(0);
  auto model = std::make_shared<nb::nn::Sequential>(std::vector<std::shared_ptr<nb::nn::Module>>{
      std::make_shared<nb::nn::Linear>(4, 8), std::make_shared<nb::nn::ReLU>(), std::make_shared<nb::nn::Linear>(8, 3)});
  std::vector<nb::Tensor> params = model->parameters();
  {
    nb::optim::Adam optimizer(params, 0.01);
    nb::nn::CrossEntropyLoss criterion;
    for (int step = 0; step < 3; ++step) {
      nb::Tensor loss = criterion(model->forward(nb::randn({5, 4})), nb::tensor({0, 1, 2, 1, 0}));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
  }
  model.reset();
  // Once the loss, the model and the optimizer are gone, nothing else holds a parameter: no node kept
  // its accumulator (which would hold the parameter) alive.
  for (const nb::Tensor& p : params) {
    const nabla::AutogradMeta* meta = nabla::meta_of(*p.impl());
    EXPECT_TRUE(meta == nullptr || meta->grad_accumulator == nullptr);
    EXPECT_EQ(p.impl()->use_count(), 1u);
  }
}

TEST(Autograd, RetainGraphAllowsASecondBackward) {
  nb::Tensor x = nb::tensor({2.0}, nb::kFloat64).requires_grad_();
  nb::Tensor y = x.exp();
  y.backward(nb::Tensor(), true);
  y.backward();
  EXPECT_NEAR(x.grad().item<double>(), 2 * std::exp(2.0), 1e-12);
}

TEST(Autograd, InplaceChangeOfASavedTensorIsRefused) {
  nb::Tensor x = nb::tensor({1.0, 2.0}).requires_grad_();
  nb::Tensor y = x.exp();
  nb::Tensor z = y * y;
  y.add_(1);
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { z.sum().backward(); },
                                      {"modified by an inplace operation", "is at version 1; expected version 0"}));
}

TEST(Autograd, InplaceOnLeafAndIntegerRequiresGradAreRefused) {
  nb::Tensor x = nb::ones({2}).requires_grad_();
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { x.add_(1); }, "a leaf Variable that requires grad"));
  {
    nb::NoGradGuard no_grad;
    x.add_(1);  // allowed: what optimizers do
  }
  EXPECT_TRUE(x.equal(nb::full({2}, 2.0)));
  nb::Tensor i = nb::tensor({1, 2});
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { i.requires_grad_(); }, "floating point"));
  nb::Tensor y = x * 2;
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { y.requires_grad_(false); }, "leaf variables"));
}

TEST(Autograd, InplaceOnNonLeafRecordsHistory) {
  nb::Tensor x = leaf({5}, 1);
  nb::Tensor y = x * 2;
  y.relu_();
  y.add_(3);
  auto expected = torch_grads("((a * 2).relu() + 3) * a", {x});
  EXPECT_CLOSE(our_grads(y * x, {x})[0], expected[0]);
}

TEST(Autograd, NoGradAndDetach) {
  nb::Tensor x = nb::ones({3}).requires_grad_();
  {
    nb::NoGradGuard no_grad;
    EXPECT_FALSE(nb::is_grad_enabled());
    EXPECT_FALSE((x * 2).requires_grad());
    nb::EnableGradGuard enable;
    EXPECT_TRUE((x * 2).requires_grad());
  }
  EXPECT_TRUE(nb::is_grad_enabled());
  nb::Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.data_ptr(), x.data_ptr());
  nb::Tensor y = x * 2;
  y.detach_();
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(y.is_leaf());
}

TEST(Autograd, HooksAndRetainGrad) {
  nb::Tensor x = nb::tensor({1.0, 2.0}).requires_grad_();
  nb::Tensor y = x * 3;
  y.retain_grad();
  y.register_hook([](const nb::Tensor& g) { return g * 10; });
  uint32_t h = x.register_hook([](const nb::Tensor& g) { return g + 1; });
  (y * y).sum().backward();
  // dy = 2y = (6, 12); the hook scales it by 10 before it is retained and flows on to x (times 3).
  EXPECT_TRUE(y.grad().equal(nb::tensor({60.0, 120.0})));
  EXPECT_TRUE(x.grad().equal(nb::tensor({181.0, 361.0})));
  x.remove_hook(h);
  x.mutable_grad() = nb::Tensor();
  (x * 1).sum().backward();
  EXPECT_TRUE(x.grad().equal(nb::tensor({1.0, 1.0})));
}

TEST(Autograd, GradWithCreateGraphToThirdOrder) {
  nb::Tensor x = nb::tensor({1.5, -0.5}).requires_grad_();
  nb::Tensor y = (x * x * x).sum();  // y' = 3x^2, y'' = 6x, y''' = 6
  auto g1 = nb::autograd::grad({y}, {x}, {}, std::nullopt, true);
  EXPECT_TRUE(g1[0].allclose(nb::tensor({6.75, 0.75})));
  auto g2 = nb::autograd::grad({g1[0].sum()}, {x}, {}, std::nullopt, true);
  EXPECT_TRUE(g2[0].allclose(nb::tensor({9.0, -3.0})));
  auto g3 = nb::autograd::grad({g2[0].sum()}, {x}, {}, std::nullopt, true);
  EXPECT_TRUE(g3[0].allclose(nb::tensor({6.0, 6.0})));
  // Saved results take part in the higher-order graph too: d^2/dx^2 exp(x) = exp(x).
  nb::Tensor e = nb::tensor({0.3}, nb::kFloat64).requires_grad_();
  auto d1 = nb::autograd::grad({e.exp().sum()}, {e}, {}, std::nullopt, true);
  auto d2 = nb::autograd::grad({d1[0].sum()}, {e}, {}, std::nullopt, true);
  auto d3 = nb::autograd::grad({d2[0].sum()}, {e});
  EXPECT_NEAR(d3[0].item<double>(), std::exp(0.3), 1e-14);
}

TEST(Autograd, GradErrors) {
  nb::Tensor x = nb::ones({2}).requires_grad_(), u = nb::ones({2}).requires_grad_();
  nb::Tensor y = (x * 2).sum();
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::autograd::grad({y}, {u}, {}, true); }, "not have been used"));
  EXPECT_FALSE(nb::autograd::grad({y}, {u}, {}, true, false, true)[0].defined());
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { (x * 2).backward(); }, "only for scalar outputs"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::ones({2}).sum().backward(); }, "does not require grad"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { (x * 2).backward(nb::ones({3})); }, "Mismatch in shape"));
}

TEST(Autograd, LongChainsNeitherOverflowNorLeak) {
  nb::Tensor x = nb::tensor({1.0}).requires_grad_();
  nb::Tensor y = x;
  for (int i = 0; i < 300000; ++i) y = y * 1.0;
  y.backward();
  EXPECT_EQ(x.grad().item<double>(), 1.0);
  nb::Tensor z = x;
  for (int i = 0; i < 300000; ++i) z = z + 0.0;
  z = nb::Tensor();  // the whole chain is destroyed here, iteratively
  SUCCEED();
}

TEST(Autograd, UnaryGradientsMatchTorch) {
  const char* ops[] = {"neg", "abs", "exp", "expm1", "sin", "cos", "tanh", "sigmoid", "relu", "erf", "square",
                       "floor", "sign"};
  for (const char* op : ops) {
    nb::Tensor x = leaf({3, 4}, 7);
    nb::Tensor out = nb::op_info(op).invoke({x});
    expect_grads(std::string("torch.") + op + "(a)", {x}, out);
  }
  const char* positive_ops[] = {"log", "log1p", "log2", "sqrt", "rsqrt", "reciprocal", "tan"};
  for (const char* op : positive_ops) {
    nb::Tensor x = leaf({3, 4}, 8, 0.2, 1.4);
    expect_grads(std::string("torch.") + op + "(a)", {x}, nb::op_info(op).invoke({x}));
  }
  nb::Tensor x = leaf({4, 3}, 9);
  expect_grads("torch.nn.functional.silu(a)", {x}, x.silu());
  expect_grads("torch.nn.functional.gelu(a)", {x}, x.gelu());
  expect_grads("torch.nn.functional.gelu(a, approximate='tanh')", {x}, x.gelu("tanh"));
  expect_grads("torch.clamp(a, -0.5, 0.7)", {x}, x.clamp(-0.5, 0.7));
}

TEST(Autograd, BinaryGradientsBroadcastAndPromote) {
  nb::Tensor a = leaf({3, 1, 4}, 11), b = leaf({5, 1}, 12, 0.5, 2);
  expect_grads("torch.add(a, b, alpha=2.5)", {a, b}, nb::add(a, b, 2.5));
  expect_grads("torch.sub(a, b, alpha=2)", {a, b}, nb::sub(a, b, 2));
  expect_grads("a * b", {a, b}, a * b);
  expect_grads("a / b", {a, b}, a / b);
  expect_grads("torch.maximum(a, b)", {a, b}, nb::maximum(a, b));
  expect_grads("torch.minimum(a, b)", {a, b}, nb::minimum(a, b));
  expect_grads("torch.atan2(a, b)", {a, b}, nb::atan2(a, b));
  expect_grads("torch.remainder(a, b)", {a, b}, nb::remainder(a, b));
  expect_grads("torch.fmod(a, b)", {a, b}, nb::fmod(a, b));
  expect_grads("torch.pow(b, a)", {a, b}, nb::pow(b, a));
  expect_grads("a ** 2.5", {b}, b.pow(2.5));
  expect_grads("a ** 2", {b}, b.pow(2));
  expect_grads("2.0 ** a", {a}, nb::pow(2.0, a));
  expect_grads("3 - a", {a}, 3 - a);
  expect_grads("2 / a", {b}, 2 / b);
  // Mixed precision: the float32 input's gradient comes back in float32.
  nb::Tensor f = leaf({4}, 13, -1, 1, nb::kFloat32);
  nb::Tensor out = f * b.view({-1}).slice(0, 0, 4);
  auto g = our_grads(out, {f});
  EXPECT_EQ(g[0].dtype(), nb::kFloat32);
  nb::Tensor t = nb::tensor({1.0, 2.0, 2.0}).requires_grad_(), u = nb::tensor({2.0, 2.0, 1.0}).requires_grad_();
  expect_grads("torch.maximum(a, b)", {t, u}, nb::maximum(t, u));  // ties split the gradient
  expect_grads("torch.where(a > 1, a, b)", {t, u}, nb::where(t > 1, t, u));
}

TEST(Autograd, ViewGradients) {
  nb::Tensor x = leaf({3, 4, 2}, 21);
  expect_grads("a.view(4, 6)", {x}, x.view({4, 6}));
  expect_grads("a.transpose(0, 2)", {x}, x.transpose(0, 2));
  expect_grads("a.permute(2, 0, 1)", {x}, x.permute({2, 0, 1}));
  expect_grads("a[1:, ::2]", {x}, x.slice(0, 1, std::nullopt).slice(1, std::nullopt, std::nullopt, 2));
  expect_grads("a[:, 2]", {x}, x.select(1, 2));
  expect_grads("a.unsqueeze(1).expand(3, 5, 4, 2)", {x}, x.unsqueeze(1).expand({3, 5, 4, 2}));
  expect_grads("a.unfold(1, 3, 1)", {x}, x.unfold(1, 3, 1));
  expect_grads("a.diagonal(0, 0, 1)", {x}, x.diagonal(0, 0, 1));
  expect_grads("a.flatten()", {x}, x.flatten());
  nb::Tensor strided = x.transpose(0, 1);  // a non-contiguous input to a slicing view
  nb::Tensor out = strided.slice(0, 1, 3).select(2, 1);
  expect_grads("a.transpose(0, 1)[1:3, :, 1]", {x}, out);
  expect_grads("a.to(torch.float32).exp()", {x}, x.to(nb::kFloat32).exp(), {1e-6, 1e-6});
  expect_grads("a.clone() * 2", {x}, x.clone() * 2);
}

TEST(Autograd, GradcheckAgreesAndCatchesAWrongFormula) {
  nb::Tensor a = leaf({2, 3}, 31), b = leaf({3}, 32, 0.5, 1.5);
  auto f = [](const std::vector<nb::Tensor>& in) {
    return std::vector<nb::Tensor>{(in[0] * in[1]).sin() / in[1] + in[0].transpose(0, 1).exp().sum(1)};
  };
  nb::autograd::GradcheckOptions second;
  second.check_second_order = true;
  EXPECT_TRUE(nb::autograd::gradcheck(f, {a, b}, second));
  // detach() hides a dependence from autograd: the analytical gradient is then wrong.
  auto wrong = [](const std::vector<nb::Tensor>& in) { return std::vector<nb::Tensor>{in[0] * in[0].detach()}; };
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::autograd::gradcheck(wrong, {a}); }, "Jacobian mismatch"));
}
