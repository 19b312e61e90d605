// nn: modules, layers, losses and init against PyTorch 1.13 (forward values, gradients, default
// initialisation bit for bit, state dicts, printing, errors).
#include <cmath>
#include <sstream>

#include "nabla/autograd.hpp"
#include "nabla/nn.hpp"
#include "oracle.hpp"
#include "test_support.hpp"

namespace nb = nabla;
using test_support::raises;
namespace nn = nabla::nn;
namespace F = nabla::nn::F;

namespace {

std::string py_literal(const std::string& code) {
  std::string s = "\"";
  for (char c : code) {
    if (c == '\\' || c == '"') s += '\\';
    if (c == '\n') s += "\\n";
    else s += c;
  }
  return s + "\"";
}

// Runs Python statements (inputs bound to a, b, ...; torch, F and nn in scope) and returns `result`.
oracle::Result run_python(const std::string& statements, const std::string& result,
                          const std::vector<nb::Tensor>& inputs = {}) {
  return oracle::eval("[exec(" + py_literal("nn = torch.nn\n" + statements) + ", globals()), " + result + "][1]",
                      inputs);
}


const oracle::Tolerance kExact{0, 0};

struct LinearRegression : nb::nn::Module {
  std::shared_ptr<nb::nn::Linear> linear = register_module("linear", std::make_shared<nb::nn::Linear>(1, 1));
  nb::Tensor forward(const nb::Tensor& x) { return linear->forward(x); }
};

}  // namespace

TEST(NnInit, DefaultInitialisationEqualsTorchBitForBit) {
  for (uint64_t seed : {0, 1, 42, 20240}) {
    SCOPED_TRACE(seed);
    const std::string s = "torch.manual_seed(" + std::to_string(seed) + ")\n";
    struct Case {
      const char* torch_module;
      std::function<std::shared_ptr<nn::Module>()> make;
    };
    std::vector<Case> cases = {
        {"nn.Linear(784, 256)", [] { return std::make_shared<nn::Linear>(784, 256); }},
        {"nn.Linear(1, 1)", [] { return std::make_shared<nn::Linear>(1, 1); }},
        {"nn.Linear(7, 5, bias=False)", [] { return std::make_shared<nn::Linear>(7, 5, false); }},
        {"nn.Conv2d(1, 8, 3)", [] { return std::make_shared<nn::Conv2d>(1, 8, 3); }},
        {"nn.Conv2d(4, 6, (3, 2), groups=2)", [] { return std::make_shared<nn::Conv2d>(4, 6, nn::IntPair{3, 2}, 1, 0, 1, 2); }},
        {"nn.Embedding(10, 4)", [] { return std::make_shared<nn::Embedding>(10, 4); }},
        {"nn.Embedding(3, 2, padding_idx=-1)", [] { return std::make_shared<nn::Embedding>(3, 2, -1); }},
        {"nn.LayerNorm([2, 3])", [] { return std::make_shared<nn::LayerNorm>(std::vector<int64_t>{2, 3}); }},
        {"nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))",
         [] {
           return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
               std::make_shared<nn::Linear>(784, 256), std::make_shared<nn::ReLU>(),
               std::make_shared<nn::Linear>(256, 128), std::make_shared<nn::ReLU>(),
               std::make_shared<nn::Linear>(128, 10)});
         }},
    };
    for (const auto& c : cases) {
      SCOPED_TRACE(c.torch_module);
      auto expected = run_python(s + "m = " + c.torch_module, "list(m.parameters())");
      ASSERT_TRUE(expected.ok) << expected.error_message;
      nb::manual_seed(seed);
      auto params = c.make()->parameters();
      ASSERT_EQ(params.size(), expected.outputs.size());
      for (size_t i = 0; i < params.size(); ++i) EXPECT_CLOSE(params[i], expected.outputs[i], kExact);
    }
  }
}

TEST(NnInit, InitFunctionsEqualTorch) {
  struct Case {
    const char* torch_call;
    std::function<void(nb::Tensor)> fn;
  };
  std::vector<Case> cases = {
      {"nn.init.uniform_(w, -2, 3)", [](nb::Tensor w) { nn::init::uniform_(w, -2, 3); }},
      {"nn.init.normal_(w, 1, 0.5)", [](nb::Tensor w) { nn::init::normal_(w, 1, 0.5); }},
      {"nn.init.kaiming_uniform_(w)", [](nb::Tensor w) { nn::init::kaiming_uniform_(w); }},
      {"nn.init.kaiming_uniform_(w, a=0.1, mode='fan_out', nonlinearity='relu')",
       [](nb::Tensor w) { nn::init::kaiming_uniform_(w, 0.1, "fan_out", "relu"); }},
      {"nn.init.kaiming_normal_(w, mode='fan_out')", [](nb::Tensor w) { nn::init::kaiming_normal_(w, 0, "fan_out"); }},
      {"nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('tanh'))",
       [](nb::Tensor w) { nn::init::xavier_uniform_(w, nn::init::calculate_gain("tanh")); }},
      {"nn.init.xavier_normal_(w)", [](nb::Tensor w) { nn::init::xavier_normal_(w); }},
      {"nn.init.constant_(w, 0.25)", [](nb::Tensor w) { nn::init::constant_(w, 0.25); }},
      {"nn.init.ones_(w)", [](nb::Tensor w) { nn::init::ones_(w); }},
      {"nn.init.zeros_(w)", [](nb::Tensor w) { nn::init::zeros_(w); }},
  };
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64}) {
    for (const auto& c : cases) {
      SCOPED_TRACE(c.torch_call);
      const std::string make = std::string("torch.manual_seed(3)\nw = torch.empty(6, 5, 3, dtype=torch.") +
                               std::string(nb::dtype_name(dtype)) + ")\n";
      auto expected = run_python(make + c.torch_call, "w");
      nb::manual_seed(3);
      nb::Tensor w = nb::empty({6, 5, 3}, dtype).requires_grad_();
      c.fn(w);
      EXPECT_CLOSE(w, expected.value(), kExact);
      EXPECT_TRUE(w.is_leaf());
    }
  }
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("leaky_relu", std::sqrt(5.0)),
                   oracle::eval("torch.nn.init.calculate_gain('leaky_relu', __import__('math').sqrt(5))")
                       .value()
                       .item<double>());
  EXPECT_TRUE(raises<nb::ValueError>([] { nn::init::kaiming_uniform_(nb::empty({3})); }, "fewer than 2 dimensions"));
  EXPECT_TRUE(raises<nb::ValueError>([] { nn::init::kaiming_uniform_(nb::empty({3, 3}), 0, "fan"); }, "fan_in"));
  EXPECT_TRUE(raises<nb::ValueError>([] { nn::init::calculate_gain("softsign"); }, "Unsupported nonlinearity"));
}

TEST(NnModule, ApiExampleAndTraversal) {
  // The C++ example of API.md, as written there.
  auto model = std::make_shared<LinearRegression>();
  nb::nn::MSELoss criterion;
  nb::Tensor x = nb::tensor({{3.3f}, {4.4f}}), y = nb::tensor({{1.7f}, {2.7f}});
  auto loss = criterion(model->forward(x), y);
  EXPECT_EQ(loss.dim(), 0);
  model->eval();
  EXPECT_EQ(model->state_dict().keys(), (std::vector<std::string>{"linear.weight", "linear.bias"}));
  EXPECT_EQ(model->name(), "LinearRegression");

  // Nested modules, buffers, a module shared by two parents, a parameter registered twice.
  struct Block : nn::Module {
    std::shared_ptr<nn::Linear> fc = register_module("fc", std::make_shared<nn::Linear>(3, 2));
    std::shared_ptr<nn::BatchNorm1d> bn = register_module("bn", std::make_shared<nn::BatchNorm1d>(2));
    nb::Tensor scale = register_parameter("scale", nb::ones({2}));
    nb::Tensor steps = register_buffer("steps", nb::zeros({1}));
  };
  auto shared = std::make_shared<nn::Linear>(2, 2);
  auto root = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<Block>(), shared, std::make_shared<nn::ReLU>(), shared});
  EXPECT_EQ(root->named_parameters().keys(),
            (std::vector<std::string>{"0.scale", "0.fc.weight", "0.fc.bias", "0.bn.weight", "0.bn.bias", "1.weight",
                                      "1.bias"}));
  EXPECT_EQ(root->parameters().size(), 7u);
  EXPECT_EQ(root->parameters(false).size(), 0u);
  EXPECT_EQ(root->named_buffers().keys(),
            (std::vector<std::string>{"0.steps", "0.bn.running_mean", "0.bn.running_var", "0.bn.num_batches_tracked"}));
  EXPECT_EQ(root->state_dict().keys(),
            (std::vector<std::string>{"0.scale", "0.steps", "0.fc.weight", "0.fc.bias", "0.bn.weight", "0.bn.bias",
                                      "0.bn.running_mean", "0.bn.running_var", "0.bn.num_batches_tracked",
                                      "1.weight", "1.bias", "3.weight", "3.bias"}));
  EXPECT_EQ(root->children().size(), 3u);
  EXPECT_EQ(root->named_children().size(), 4u);
  std::vector<std::string> module_names;
  for (const auto& [name, m] : root->named_modules()) module_names.push_back(name + ":" + m->name());
  EXPECT_EQ(module_names, (std::vector<std::string>{":Sequential", "0:Block", "0.fc:Linear", "0.bn:BatchNorm1d",
                                                    "1:Linear", "2:ReLU"}));
  EXPECT_EQ(root->modules().size(), 6u);
  EXPECT_TRUE(root->parameters()[5].is_same(shared->weight));
  EXPECT_TRUE(root->parameters()[0].requires_grad());
  EXPECT_FALSE(root->buffers()[0].requires_grad());
  EXPECT_TRUE((*root)[1].get() == shared.get());

  // train/eval reach every descendant.
  root->eval();
  for (const auto& m : root->modules()) EXPECT_FALSE(m->is_training());
  root->train();
  for (const auto& m : root->modules()) EXPECT_TRUE(m->is_training());

  nn::Linear on_stack(2, 2);
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { on_stack.modules(); }, "std::make_shared"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { on_stack.register_parameter("a.b", nb::ones({1})); }, "can't contain"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { on_stack.register_buffer("weight", nb::ones({1})); }, "already exists"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { on_stack.register_module("", std::make_shared<nn::ReLU>()); }, "empty"));
  EXPECT_TRUE(raises<nb::NotImplementedError>([] { nn::Module().forward(nb::ones({1})); }, "missing the required"));
  EXPECT_TRUE(raises<nb::IndexError>([&] { (*root)[7]; }, "out of range"));
}

TEST(NnModule, ToKeepsParameterHandlesAndConvertsGrads) {
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(3, 2), std::make_shared<nn::BatchNorm1d>(2)});
  auto params = model->parameters();
  nb::Tensor before = params[0].clone();
  params[0].mutable_grad() = nb::ones({2, 3});
  model->to(nb::kFloat64);
  for (const auto& p : model->parameters()) EXPECT_EQ(p.dtype(), nb::kFloat64);
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(params[i].is_same(model->parameters()[i]));
  EXPECT_EQ(params[0].dtype(), nb::kFloat64);
  EXPECT_TRUE(params[0].requires_grad());
  EXPECT_EQ(params[0].grad().dtype(), nb::kFloat64);
  EXPECT_CLOSE(params[0], before.to(nb::kFloat64), kExact);
  auto buffers = model->named_buffers();
  EXPECT_EQ(buffers.at("1.running_mean").dtype(), nb::kFloat64);
  EXPECT_EQ(buffers.at("1.num_batches_tracked").dtype(), nb::kInt64);
  EXPECT_TRUE(raises<nb::TypeError>([&] { model->to(nb::kInt64); }, "floating point"));
  model->to(nb::Device(nb::kCPU));

  model->zero_grad(false);
  EXPECT_CLOSE(params[0].grad(), nb::zeros({2, 3}, nb::kFloat64), kExact);
  model->zero_grad();
  EXPECT_FALSE(params[0].grad().defined());
}

TEST(NnModule, StateDictRoundTripAndStrictChecks) {
  nb::manual_seed(0);
  auto model = std::make_shared<LinearRegression>();
  nb::manual_seed(1);
  auto other = std::make_shared<LinearRegression>();
  nb::StateDict state = other->state_dict();
  EXPECT_FALSE(state.at("linear.weight").requires_grad());
  EXPECT_EQ(state.at("linear.weight").data_ptr(), other->linear->weight.data_ptr());  // shares memory
  model->load_state_dict(state);
  EXPECT_CLOSE(model->linear->weight, other->linear->weight, kExact);
  EXPECT_TRUE(model->linear->weight.requires_grad());

  // Another dtype is an error (PyTorch converts silently), naming every key; converted, it loads.
  nb::StateDict doubles;
  doubles.insert("linear.weight", nb::tensor({{0.5}}, nb::kFloat64));
  doubles.insert("linear.bias", nb::tensor({-0.25}, nb::kFloat64));
  EXPECT_TRUE(raises<nb::RuntimeError>(
      [&] { model->load_state_dict(doubles); },
      "Error(s) in loading state_dict for LinearRegression:\n\tdtype mismatch for linear.weight: copying a param with "
      "dtype float64 from checkpoint, the dtype in current model is float32; convert the checkpoint's tensor (or the "
      "model) with .to() first.\n\tdtype mismatch for linear.bias: "));
  EXPECT_CLOSE(model->linear->weight, other->linear->weight, kExact);
  nb::StateDict floats;
  for (const auto& [key, t] : doubles) floats.insert(key, t.to(nb::kFloat32));
  model->load_state_dict(floats);
  EXPECT_CLOSE(model->linear->weight, nb::tensor({{0.5f}}), kExact);
  EXPECT_EQ(model->linear->bias.item<float>(), -0.25f);

  // Errors leave the module unchanged.
  nb::StateDict bad;
  bad.insert("linear.weight", nb::zeros({2, 1}));
  bad.insert("linear.bias", nb::zeros({1}));
  bad.insert("extra", nb::zeros({1}));
  EXPECT_TRUE(raises<nb::RuntimeError>(
      [&] { model->load_state_dict(bad); },
      "Error(s) in loading state_dict for LinearRegression:\n\tUnexpected key(s) in state_dict: \"extra\". \n\tsize "
      "mismatch for linear.weight: copying a param with shape [2, 1] from checkpoint, the shape in current model is "
      "[1, 1]."));
  EXPECT_EQ(model->linear->bias.item<float>(), -0.25f);
  nb::StateDict partial;
  partial.insert("linear.bias", nb::zeros({1}));
  partial.insert("extra", nb::zeros({1}));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { model->load_state_dict(partial); },
                                       "Missing key(s) in state_dict: \"linear.weight\". "));
  EXPECT_EQ(model->linear->bias.item<float>(), -0.25f);
  auto result = model->load_state_dict(partial, /*strict=*/false);
  EXPECT_EQ(result.missing_keys, std::vector<std::string>{"linear.weight"});
  EXPECT_EQ(result.unexpected_keys, std::vector<std::string>{"extra"});
  EXPECT_EQ(model->linear->bias.item<float>(), 0.0f);
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { model->load_state_dict(bad, false); }, "size mismatch for linear.weight"));

  // BatchNorm's buffers travel in the state dict.
  auto bn = std::make_shared<nn::BatchNorm1d>(3);
  bn->forward(oracle::random_tensor({4, 3}, nb::kFloat32, 1));
  auto bn2 = std::make_shared<nn::BatchNorm1d>(3);
  bn2->load_state_dict(bn->state_dict());
  EXPECT_CLOSE(bn2->running_mean, bn->running_mean, kExact);
  EXPECT_EQ(bn2->num_batches_tracked.item<int64_t>(), 1);
}

TEST(NnModule, ReprEqualsTorch) {
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 8, 3, 1, 1), std::make_shared<nn::Conv2d>(8, 8, nn::IntPair{3, 5}, 2, 0, 2, 2, false),
      std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 256),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Dropout>(0.2), std::make_shared<nn::BatchNorm1d>(256),
      std::make_shared<nn::LayerNorm>(256), std::make_shared<nn::GELU>("tanh"), std::make_shared<nn::Tanh>(),
      std::make_shared<nn::Sigmoid>(), std::make_shared<nn::Embedding>(10, 4, 0),
      std::make_shared<nn::BatchNorm1d>(3, 1e-3, std::nullopt, false), std::make_shared<nn::Softmax>(1),
      std::make_shared<nn::LogSoftmax>(-1), std::make_shared<nn::Linear>(3, 1, false)});
  // The same layers in PyTorch ("nn." is torch.nn in the oracle's expression).
  std::string layers =
      "nn.Conv2d(1, 8, 3, 1, 1), nn.Conv2d(8, 8, (3, 5), 2, 0, 2, 2, False), nn.MaxPool2d(2), nn.Flatten(), "
      "nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.BatchNorm1d(256), nn.LayerNorm(256), nn.GELU('tanh'), "
      "nn.Tanh(), nn.Sigmoid(), nn.Embedding(10, 4, 0), nn.BatchNorm1d(3, 1e-3, None, False), nn.Softmax(1), "
      "nn.LogSoftmax(-1), nn.Linear(3, 1, False)";
  EXPECT_EQ(model->repr(), oracle::str("(lambda nn: repr(nn.Sequential(" + layers + ")))(torch.nn)"));
  std::ostringstream os;
  os << *std::make_shared<LinearRegression>();
  EXPECT_EQ(os.str(), "LinearRegression(\n  (linear): Linear(in_features=1, out_features=1, bias=True)\n)");
}

namespace {

// A tensor of `sizes` with values in [lo, hi), different per `seed`.
nb::Tensor rnd(nb::IntArrayRef sizes, nb::DType dtype, uint64_t seed, double lo = -2, double hi = 2) {
  return oracle::random_tensor(sizes, dtype, seed, lo, hi);
}

struct Arg {
  nb::Tensor value;
  bool requires_grad = true;
};

// Compares fn(args) and the gradients of sum(fn(args) * g) for a fixed random g with PyTorch's for
// `torch_expr` (args bound to a, b, c, ...).
void check_forward_backward(const std::string& torch_expr, const std::function<nb::Tensor(std::vector<nb::Tensor>&)>& fn,
                            const std::vector<Arg>& args, std::optional<oracle::Tolerance> tol = std::nullopt) {
  SCOPED_TRACE(torch_expr);
  std::vector<nb::Tensor> leaves, inputs;
  std::string names, flags;
  for (size_t i = 0; i < args.size(); ++i) {
    nb::Tensor leaf = args[i].value.clone();
    if (args[i].requires_grad) leaf.requires_grad_();
    leaves.push_back(leaf);
    inputs.push_back(args[i].value);
    names += std::string(i ? ", " : "") + char('a' + i);
    flags += std::string(i ? ", " : "") + (args[i].requires_grad ? "True" : "False");
  }
  nb::Tensor out;
  try {
    out = fn(leaves);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "nabla raised: " << e.what();
    return;
  }
  nb::Tensor g = rnd(out.sizes(), out.dtype(), 99, -1, 1);
  inputs.push_back(g);
  const std::string g_name(1, char('a' + args.size()));
  auto expected = run_python("xs = [t.clone().requires_grad_() if r else t for t, r in zip((" + names + ",), (" +
                                 flags + ",))]\nout = (lambda " + names + ": " + torch_expr + ")(*xs)\n(out * " +
                                 g_name + ").sum().backward()",
                             "[out] + [x.grad if x.grad is not None else torch.zeros_like(x) for x, r in zip(xs, (" +
                                 flags + ",)) if r]",
                             inputs);
  ASSERT_TRUE(expected.ok) << expected.error_type << ": " << expected.error_message;
  EXPECT_CLOSE(out, expected.outputs[0], tol);
  try {
    (out * g).sum().backward();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "backward raised: " << e.what();
    return;
  }
  size_t k = 1;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].requires_grad) continue;
    SCOPED_TRACE("gradient of input " + std::string(1, char('a' + i)));
    const nb::Tensor& grad = leaves[i].grad();
    if (!grad.defined()) {
      ADD_FAILURE() << "no gradient reached the input";
    } else {
      EXPECT_CLOSE(grad, expected.outputs[k], tol);
    }
    ++k;
  }
}

using Fn = std::function<nb::Tensor(std::vector<nb::Tensor>&)>;

}  // namespace

TEST(NnFunctional, LayersMatchTorchWithGradients) {
  for (nb::DType dt : {nb::kFloat64, nb::kFloat32}) {
    SCOPED_TRACE(nb::dtype_name(dt));
    const auto tol = dt == nb::kFloat32 ? std::optional<oracle::Tolerance>(oracle::Tolerance{2e-5, 2e-5}) : std::nullopt;
    auto x2 = rnd({5, 7}, dt, 1), x3 = rnd({2, 5, 7}, dt, 2);
    auto w = rnd({4, 7}, dt, 3, -1, 1), b = rnd({4}, dt, 4);
    check_forward_backward("F.linear(a, b, c)", [](auto& v) { return F::linear(v[0], v[1], v[2]); }, {{x2}, {w}, {b}}, tol);
    check_forward_backward("F.linear(a, b, c)", [](auto& v) { return F::linear(v[0], v[1], v[2]); }, {{x3}, {w}, {b}}, tol);
    check_forward_backward("F.linear(a, b)", [](auto& v) { return F::linear(v[0], v[1]); }, {{x3}, {w}}, tol);
    check_forward_backward("F.relu(a)", [](auto& v) { return F::relu(v[0]); }, {{x3}}, tol);
    check_forward_backward("F.gelu(a)", [](auto& v) { return F::gelu(v[0]); }, {{x3}}, tol);
    check_forward_backward("F.gelu(a, approximate='tanh')", [](auto& v) { return F::gelu(v[0], "tanh"); }, {{x3}}, tol);
    check_forward_backward("torch.sigmoid(a)", [](auto& v) { return F::sigmoid(v[0]); }, {{x3}}, tol);
    check_forward_backward("torch.tanh(a)", [](auto& v) { return F::tanh(v[0]); }, {{x3}}, tol);
    check_forward_backward("F.softmax(a, 1)", [](auto& v) { return F::softmax(v[0], 1); }, {{x3}}, tol);
    check_forward_backward("F.log_softmax(a, -1)", [](auto& v) { return F::log_softmax(v[0], -1); }, {{x3}}, tol);
    check_forward_backward("torch.flatten(a, 1)", [](auto& v) { return F::flatten(v[0], 1); }, {{x3}}, tol);
    check_forward_backward("F.pad(a, (1, 2, 0, 3), value=0.5)", [](auto& v) { return F::pad(v[0], {1, 2, 0, 3}, 0.5); },
                           {{x3}}, tol);
    check_forward_backward("F.pad(a, (-1, 2))", [](auto& v) { return F::pad(v[0], {-1, 2}); }, {{x3}}, tol);

    auto ln_w = rnd({7}, dt, 5), ln_b = rnd({7}, dt, 6);
    check_forward_backward("F.layer_norm(a, [7], b, c)", [](auto& v) { return F::layer_norm(v[0], {7}, v[1], v[2]); },
                           {{x3}, {ln_w}, {ln_b}}, tol);
    check_forward_backward("F.layer_norm(a, [5, 7], eps=1e-3)",
                           [](auto& v) { return F::layer_norm(v[0], {5, 7}, {}, {}, 1e-3); }, {{x3}}, tol);

    // batch_norm: training (batch statistics; running statistics updated in place) and evaluation.
    auto bn_x = rnd({6, 3, 4}, dt, 7), bn_w = rnd({3}, dt, 8), bn_b = rnd({3}, dt, 9);
    auto rm = rnd({3}, dt, 10), rv = rnd({3}, dt, 11, 0.5, 2);
    for (bool training : {true, false}) {
      nb::Tensor my_rm = rm.clone(), my_rv = rv.clone();
      const std::string t = training ? "True" : "False";
      check_forward_backward("F.batch_norm(a, d, e, b, c, " + t + ", 0.2, 1e-4)",
                             [&](auto& v) { return F::batch_norm(v[0], v[3], v[4], v[1], v[2], training, 0.2, 1e-4); },
                             {{bn_x}, {bn_w}, {bn_b}, {my_rm, false}, {my_rv, false}}, tol);
      auto stats = run_python("rm = b.clone()\nrv = c.clone()\nF.batch_norm(a, rm, rv, None, None, " + t + ", 0.2)",
                              "[rm, rv]", {bn_x, rm, rv});
      nb::Tensor rm2 = rm.clone(), rv2 = rv.clone();
      F::batch_norm(bn_x, rm2, rv2, {}, {}, training, 0.2);
      EXPECT_CLOSE(rm2, stats.outputs.at(0), tol);
      EXPECT_CLOSE(rv2, stats.outputs.at(1), tol);
    }
    check_forward_backward("F.batch_norm(a, None, None, training=True)",
                           [](auto& v) { return F::batch_norm(v[0], {}, {}, {}, {}, true); }, {{x2}}, tol);

    // conv2d over strides, paddings, dilations, groups, rectangular kernels, unbatched input.
    auto img = rnd({2, 3, 9, 8}, dt, 12);
    struct Conv {
      std::string args;
      nb::DimVector weight;
      nn::IntPair stride, padding, dilation;
      int64_t groups;
      bool bias;
    };
    std::vector<Conv> convs = {
        {"", {4, 3, 3, 3}, 1, 0, 1, 1, true},
        {"stride=2, padding=1", {4, 3, 3, 3}, 2, 1, 1, 1, true},
        {"dilation=2", {5, 3, 3, 2}, 1, 0, 2, 1, false},
        {"stride=(2, 1), padding=(1, 0), groups=3", {6, 1, 3, 2}, {2, 1}, {1, 0}, 1, 3, true},
        {"padding=2, dilation=(1, 2)", {2, 3, 1, 1}, 1, 2, {1, 2}, 1, true},
    };
    for (const auto& c : convs) {
      auto cw = rnd(c.weight, dt, 13, -0.5, 0.5), cb = rnd({c.weight[0]}, dt, 14);
      auto fn = [c](auto& v) {
        return F::conv2d(v[0], v[1], c.bias ? v[2] : nb::Tensor(), c.stride, c.padding, c.dilation, c.groups);
      };
      const std::string torch_call = "F.conv2d(a, b, " + std::string(c.bias ? "c" : "None") +
                                     (c.args.empty() ? "" : ", " + c.args) + ")";
      check_forward_backward(torch_call, fn, {{img}, {cw}, {cb, c.bias}}, tol);
    }
    auto cw = rnd({4, 3, 2, 2}, dt, 15);
    check_forward_backward("F.conv2d(a, b, padding=1)", [](auto& v) { return F::conv2d(v[0], v[1], {}, 1, 1); },
                           {{img.select(0, 1)}, {cw}}, tol);

    // max_pool2d (distinct values, so that the maxima are unique).
    auto pool_in = nb::randperm(2 * 3 * 9 * 8, nb::kInt64).to(dt).view({2, 3, 9, 8}) / 100.0;
    check_forward_backward("F.max_pool2d(a, 2)", [](auto& v) { return F::max_pool2d(v[0], 2); }, {{pool_in}}, tol);
    check_forward_backward("F.max_pool2d(a, 3, 2, 1)", [](auto& v) { return F::max_pool2d(v[0], 3, 2, 1); },
                           {{pool_in}}, tol);
    check_forward_backward("F.max_pool2d(a, (2, 3), 1, dilation=(2, 1))",
                           [](auto& v) { return F::max_pool2d(v[0], nn::IntPair{2, 3}, nn::IntPair{1}, 0, {2, 1}); },
                           {{pool_in}}, tol);
    check_forward_backward("F.max_pool2d(a, 2, padding=1)", [](auto& v) { return F::max_pool2d(v[0], 2, {}, 1); },
                           {{pool_in.select(0, 0)}}, tol);
    // Ties (and -inf) in a window: the gradient goes to the first maximum, as in PyTorch.
    auto ties = (rnd({2, 3, 6, 6}, dt, 17, 0, 3)).floor().masked_fill(rnd({2, 3, 6, 6}, dt, 18) > 1.9, -INFINITY);
    check_forward_backward("F.max_pool2d(a, 3, 1, 1)", [](auto& v) { return F::max_pool2d(v[0], 3, 1, 1); },
                           {{ties}}, tol);

    // embedding, with and without padding_idx (which gets no gradient).
    auto table = rnd({6, 4}, dt, 16);
    auto idx = nb::tensor({{0, 5, 2}, {2, 2, 1}});
    check_forward_backward("F.embedding(a, b)", [](auto& v) { return F::embedding(v[0], v[1]); },
                           {{idx, false}, {table}}, tol);
    check_forward_backward("F.embedding(a, b, padding_idx=2)", [](auto& v) { return F::embedding(v[0], v[1], 2); },
                           {{idx, false}, {table}}, tol);
  }
}

TEST(NnLoss, LossesMatchTorchWithGradients) {
  for (nb::DType dt : {nb::kFloat64, nb::kFloat32}) {
    SCOPED_TRACE(nb::dtype_name(dt));
    const auto tol = dt == nb::kFloat32 ? std::optional<oracle::Tolerance>(oracle::Tolerance{2e-5, 2e-5}) : std::nullopt;
    auto pred = rnd({6, 5}, dt, 21), target = rnd({6, 5}, dt, 22);
    for (const char* r : {"mean", "sum", "none"}) {
      const std::string red = std::string("reduction='") + r + "'";
      check_forward_backward("F.mse_loss(a, b, " + red + ")", [r](auto& v) { return F::mse_loss(v[0], v[1], r); },
                             {{pred}, {target}}, tol);
      check_forward_backward("F.l1_loss(a, b, " + red + ")", [r](auto& v) { return F::l1_loss(v[0], v[1], r); },
                             {{pred}, {target}}, tol);
    }
    check_forward_backward("F.mse_loss(a, b)", [](auto& v) { return F::mse_loss(v[0], v[1]); },
                           {{pred}, {target.select(0, 0)}}, tol);

    // Class indices: weights, ignore_index (the default -100 and a class), label smoothing, K-dim input.
    auto logits = rnd({6, 5}, dt, 23, -3, 3), weight = rnd({5}, dt, 24, 0.1, 2);
    auto labels = nb::tensor({4, 0, -100, 2, 2, 1}), labels_all = nb::tensor({4, 0, 3, 2, 2, 1});
    auto logits4 = rnd({2, 5, 3, 2}, dt, 25, -3, 3);
    auto labels4 = nb::randint(0, 5, {2, 3, 2});
    struct Case {
      std::string torch_args;
      nb::Tensor weight;
      int64_t ignore_index;
      std::string reduction;
      double smoothing;
    };
    std::vector<Case> cases = {
        {"", {}, -100, "mean", 0},
        {"weight=c", weight, -100, "mean", 0},
        {"weight=c, reduction='sum'", weight, -100, "sum", 0},
        {"weight=c, reduction='none'", weight, -100, "none", 0},
        {"ignore_index=2", {}, 2, "mean", 0},
        {"weight=c, ignore_index=2, reduction='none'", weight, 2, "none", 0},
        {"label_smoothing=0.1", {}, -100, "mean", 0.1},
        {"weight=c, label_smoothing=0.25", weight, -100, "mean", 0.25},
        {"weight=c, ignore_index=2, label_smoothing=0.3, reduction='sum'", weight, 2, "sum", 0.3},
        {"ignore_index=0, label_smoothing=0.3, reduction='none'", {}, 0, "none", 0.3},
    };
    for (const auto& c : cases) {
      for (const auto& y : {labels, labels_all}) {
        if (c.ignore_index != -100 && y.is_same(labels)) continue;  // -100 is then an invalid class
        std::vector<Arg> args = {{logits}, {y, false}};
        if (c.weight.defined()) args.push_back({c.weight, false});
        else args.push_back({nb::zeros({1}, dt), false});
        const std::string sep = c.torch_args.empty() ? "" : ", ";
        check_forward_backward("F.cross_entropy(a, b" + sep + c.torch_args + ")",
                               [&](auto& v) {
                                 return F::cross_entropy(v[0], v[1], c.weight.defined() ? v[2] : nb::Tensor(),
                                                         c.ignore_index, c.reduction, c.smoothing);
                               },
                               args, tol);
        if (c.smoothing == 0)
          check_forward_backward("F.nll_loss(F.log_softmax(a, 1), b" + sep + c.torch_args + ")",
                                 [&](auto& v) {
                                   return F::nll_loss(F::log_softmax(v[0], 1), v[1],
                                                      c.weight.defined() ? v[2] : nb::Tensor(), c.ignore_index,
                                                      c.reduction);
                                 },
                                 args, tol);
      }
      const std::string sep = c.torch_args.empty() ? "" : ", ";
      check_forward_backward("F.cross_entropy(a, b" + sep + c.torch_args + ")",
                             [&](auto& v) {
                               return F::cross_entropy(v[0], v[1], c.weight.defined() ? v[2] : nb::Tensor(),
                                                       c.ignore_index, c.reduction, c.smoothing);
                             },
                             {{logits4}, {labels4, false}, {c.weight.defined() ? c.weight : nb::zeros({1}, dt), false}},
                             tol);
    }
    check_forward_backward("F.cross_entropy(a, b)", [](auto& v) { return F::cross_entropy(v[0], v[1]); },
                           {{logits.select(0, 0)}, {nb::tensor(3), false}}, tol);
    check_forward_backward("F.cross_entropy(a, b, reduction='none')",
                           [](auto& v) { return F::cross_entropy(v[0], v[1], {}, -100, "none"); },
                           {{logits.select(0, 0)}, {nb::tensor(3), false}}, tol);
    // All targets ignored: the mean is 0/0 = nan, as in PyTorch.
    EXPECT_TRUE(std::isnan(F::cross_entropy(logits, nb::full({6}, -100, nb::kInt64)).item<double>()));

    // Class probabilities.
    auto probs = rnd({6, 5}, dt, 26, 0, 1);
    probs = probs / probs.sum(1, true);
    for (const char* r : {"mean", "sum", "none"}) {
      const std::string red = std::string("reduction='") + r + "'";
      check_forward_backward("F.cross_entropy(a, b, " + red + ")",
                             [r](auto& v) { return F::cross_entropy(v[0], v[1], {}, -100, r); },
                             {{logits}, {probs}}, tol);
      check_forward_backward("F.cross_entropy(a, b, weight=c, label_smoothing=0.2, " + red + ")",
                             [r](auto& v) { return F::cross_entropy(v[0], v[1], v[2], -100, r, 0.2); },
                             {{logits}, {probs}, {weight, false}}, tol);
    }
    check_forward_backward("F.cross_entropy(a, F.softmax(b, 1))",
                           [](auto& v) { return F::cross_entropy(v[0], F::softmax(v[1], 1)); },
                           {{logits4}, {rnd({2, 5, 3, 2}, dt, 27)}}, tol);

    // Binary losses; logits far from 0 check the stable formula.
    auto p = rnd({4, 3}, dt, 28, 0.02, 0.98), y = rnd({4, 3}, dt, 29, 0, 1), bw = rnd({3}, dt, 30, 0.5, 2);
    auto z = rnd({4, 3}, dt, 31, -30, 30), pos_weight = rnd({3}, dt, 32, 0.5, 3);
    for (const char* r : {"mean", "sum", "none"}) {
      const std::string red = std::string("reduction='") + r + "'";
      check_forward_backward("F.binary_cross_entropy(a, b, " + red + ")",
                             [r](auto& v) { return F::binary_cross_entropy(v[0], v[1], {}, r); }, {{p}, {y}}, tol);
      check_forward_backward("F.binary_cross_entropy(a, b, c, " + red + ")",
                             [r](auto& v) { return F::binary_cross_entropy(v[0], v[1], v[2], r); },
                             {{p}, {y}, {bw, false}}, tol);
      check_forward_backward("F.binary_cross_entropy_with_logits(a, b, " + red + ")",
                             [r](auto& v) { return F::binary_cross_entropy_with_logits(v[0], v[1], {}, r); },
                             {{z}, {y}}, tol);
      check_forward_backward("F.binary_cross_entropy_with_logits(a, b, c, " + red + ", pos_weight=d)",
                             [r](auto& v) { return F::binary_cross_entropy_with_logits(v[0], v[1], v[2], r, v[3]); },
                             {{z}, {y}, {bw, false}, {pos_weight, false}}, tol);
    }
    // log is clamped to >= -100 at 0 and 1.
    auto edge = nb::tensor({0.0, 1.0, 0.5}).to(dt), edge_y = nb::tensor({1.0, 0.0, 1.0}).to(dt);
    EXPECT_CLOSE(F::binary_cross_entropy(edge, edge_y, {}, "none"),
                 oracle::eval("F.binary_cross_entropy(a, b, reduction='none')", {edge, edge_y}).value(), tol);
  }
}

TEST(NnLoss, LossModulesUseTheirOptions) {
  auto logits = rnd({6, 5}, nb::kFloat32, 41), weight = rnd({5}, nb::kFloat32, 42, 0.1, 2);
  auto labels = nb::tensor({4, 0, 1, 2, 2, 1});
  nn::CrossEntropyLoss ce({.weight = weight, .ignore_index = 2, .label_smoothing = 0.1});
  EXPECT_CLOSE(ce(logits, labels),
               oracle::eval("F.cross_entropy(a, b, weight=c, ignore_index=2, label_smoothing=0.1)", {logits, labels, weight})
                   .value());
  EXPECT_EQ(ce.named_buffers().keys(), std::vector<std::string>{"weight"});
  nn::NLLLoss nll({.reduction = "sum"});
  EXPECT_CLOSE(nll(logits, labels), oracle::eval("F.nll_loss(a, b, reduction='sum')", {logits, labels}).value());
  auto p = rnd({6, 5}, nb::kFloat32, 43, 0.05, 0.95), y = rnd({6, 5}, nb::kFloat32, 44, 0, 1);
  EXPECT_CLOSE(nn::BCELoss({.reduction = "sum"})(p, y), oracle::eval("F.binary_cross_entropy(a, b, reduction='sum')", {p, y}).value());
  nn::BCEWithLogitsLoss bce_logits({.pos_weight = weight});
  EXPECT_CLOSE(bce_logits(logits, y),
               oracle::eval("F.binary_cross_entropy_with_logits(a, b, pos_weight=c)", {logits, y, weight}).value());
  EXPECT_CLOSE(nn::MSELoss("sum")(logits, y), oracle::eval("F.mse_loss(a, b, reduction='sum')", {logits, y}).value());
  EXPECT_CLOSE(nn::L1Loss("none")(logits, y), oracle::eval("F.l1_loss(a, b, reduction='none')", {logits, y}).value());
}

TEST(NnLoss, BadInputRaisesLikeTorch) {
  auto x = rnd({3, 4}, nb::kFloat32, 51);
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::nll_loss(x, nb::tensor({0.f, 1.f, 2.f})); },
                                       "expected scalar type Long (int64 class indices) for the target but found float32"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::cross_entropy(x, nb::tensor({0, 1, 2}).to(nb::kInt32)); },
                                       "found int32"));
  EXPECT_TRUE(raises<nb::IndexError>([&] { F::cross_entropy(x, nb::tensor({0, 1, 5})); }, "Target 5 is out of bounds"));
  EXPECT_TRUE(raises<nb::IndexError>([&] { F::cross_entropy(x, nb::tensor({0, 7, -3})); },
                                     "cross_entropy: Target 7 is out of bounds (4 classes)."));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::cross_entropy(x, nb::tensor({0, 1, 2}), nb::ones({4}, nb::kFloat64)); },
                                       "expected a weight of float32 (the input's dtype), got float64"));
  EXPECT_TRUE(raises<nb::IndexError>([&] { F::nll_loss(x, nb::tensor({0, -1, 1})); }, "Target -1 is out of bounds"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { F::cross_entropy(x, nb::tensor({0, 1})); },
                                     "Expected input batch_size (3) to match target batch_size (2)."));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::cross_entropy(rnd({3, 4, 2}, nb::kFloat32, 1), nb::tensor({{0, 1, 2}, {0, 1, 2}, {1, 1, 1}})); },
                                       "Expected target size [3, 2], got [3, 3]"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::cross_entropy(x, rnd({3, 4}, nb::kFloat32, 2), {}, 3); },
                                       "ignore_index is not supported for floating point target"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::cross_entropy(x, nb::zeros({3, 4}, nb::kInt64)); },
                                       "Expected floating point type for target with class probabilities"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::cross_entropy(x, nb::tensor({0, 1, 2}), nb::ones({3})); },
                                       "weight tensor should be defined either for all 4 classes or no classes but got "
                                       "weight tensor of shape: [3]"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { F::cross_entropy(x, nb::tensor({0, 1, 2}), {}, -100, "avg"); },
                                     "avg is not a valid value for reduction"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { F::cross_entropy(x, nb::tensor({0, 1, 2}), {}, -100, "mean", 1.5); },
                                     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { F::binary_cross_entropy(nb::rand({3}), nb::rand({4})); },
                                     "Using a target size ([4]) that is different to the input size ([3])"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::binary_cross_entropy(nb::tensor({0.5, 1.5, 0.25}), nb::rand({3})); },
                                       "all elements of input should be between 0 and 1"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { F::binary_cross_entropy_with_logits(nb::rand({3}), nb::rand({4})); },
                                     "Target size ([4]) must be the same as input size ([3])"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::mse_loss(nb::rand({3}), nb::rand({4})); }, "(3"));
  EXPECT_TRUE(raises<nb::ValueError>([] { nn::MSELoss("avg"); }, "avg is not a valid value for reduction"));
}

TEST(NnLayers, BadInputRaisesLikeTorch) {
  auto x = rnd({3, 4}, nb::kFloat32, 61);
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nn::Linear(3, 2).forward(x); },
                                       "linear: input of shape [3, 4] cannot be multiplied by weight of shape [2, 3].T"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::embedding(nb::tensor({0.f, 1.f}), nb::rand({3, 2})); },
                                       "expected indices of dtype int64 or int32, but got float32"));
  EXPECT_TRUE(raises<nb::IndexError>([&] { F::embedding(nb::tensor({0, 5}), nb::rand({3, 2})); }, "out of"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::layer_norm(x, {3}); },
                                       "Given normalized_shape=[3], expected input with shape [*, 3], but got input of "
                                       "size[3, 4]"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { F::batch_norm(nb::rand({1, 3}), nb::zeros({3}), nb::ones({3}), {}, {}, true); },
                                     "Expected more than 1 value per channel when training, got input size [1, 3]"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { nn::BatchNorm1d(3).forward(nb::rand({2, 3, 4, 5})); },
                                     "expected 2D or 3D input (got 4D input)"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::batch_norm(x, nb::zeros({3}), nb::ones({4})); },
                                       "running_mean should contain 4 elements not 3"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::conv2d(nb::rand({1, 3, 5, 5}), nb::rand({4, 2, 3, 3})); },
                                       "Given groups=1, weight of size [4, 2, 3, 3], expected input[1, 3, 5, 5] to have 2 "
                                       "channels, but got 3 channels instead"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::conv2d(nb::rand({1, 3, 2, 2}), nb::rand({4, 3, 3, 3})); },
                                       "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel "
                                       "size can't be greater than actual input size"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { F::max_pool2d(nb::rand({1, 3, 5, 5}), 2, {}, 2); },
                                       "pad should be at most half of kernel size, but got pad=2 and kernel_size=2"));
  EXPECT_TRUE(raises<nb::ValueError>([&] { F::dropout(x, 1.5); }, "dropout probability has to be between 0 and 1, but got 1.5"));
  EXPECT_TRUE(raises<nb::ValueError>([] { nn::Conv2d(3, 4, 3, 1, 0, 1, 2); }, "in_channels must be divisible by groups"));
}

TEST(NnLayers, DropoutFollowsManualSeedAndMode) {
  auto x = rnd({4, 50}, nb::kFloat32, 71);
  for (double p : {0.2, 0.5, 0.9}) {
    nb::manual_seed(7);
    nb::Tensor out = F::dropout(x, p);
    auto expected = run_python("torch.manual_seed(7)", "F.dropout(a, " + std::to_string(p) + ")", {x});
    EXPECT_CLOSE(out, expected.value(), kExact);
  }
  nn::Dropout dropout(0.5);
  EXPECT_NE(dropout.forward(x).eq(0).sum().item<int64_t>(), 0);
  dropout.eval();
  EXPECT_TRUE(dropout.forward(x).is_same(x));
  EXPECT_TRUE(F::dropout(x, 0.0).is_same(x));
  EXPECT_EQ(F::dropout(x, 1.0).abs().sum().item<float>(), 0.0f);
}

TEST(NnLayers, BatchNorm1dModuleTracksRunningStatsLikeTorch) {
  for (std::optional<double> momentum : {std::optional<double>(0.1), std::optional<double>()}) {
    auto bn = std::make_shared<nn::BatchNorm1d>(3, 1e-5, momentum);
    std::vector<nb::Tensor> batches = {rnd({8, 3}, nb::kFloat32, 81), rnd({8, 3}, nb::kFloat32, 82, 0, 5),
                                       rnd({4, 3}, nb::kFloat32, 83, -1, 1)};
    std::vector<nb::Tensor> outs;
    for (const auto& b : batches) outs.push_back(bn->forward(b));
    bn->eval();
    outs.push_back(bn->forward(batches[0]));
    const std::string m = momentum ? "0.1" : "None";
    auto expected = run_python("bn = nn.BatchNorm1d(3, momentum=" + m + ")\nys = [bn(a), bn(b), bn(c)]\nbn.eval()\n"
                               "ys.append(bn(a))",
                               "ys + [bn.running_mean, bn.running_var, bn.num_batches_tracked]", batches);
    ASSERT_TRUE(expected.ok) << expected.error_message;
    const oracle::Tolerance tol{2e-5, 2e-5};
    for (size_t i = 0; i < outs.size(); ++i) EXPECT_CLOSE(outs[i], expected.outputs[i], tol);
    EXPECT_CLOSE(bn->running_mean, expected.outputs[4], tol);
    EXPECT_CLOSE(bn->running_var, expected.outputs[5], tol);
    EXPECT_CLOSE(bn->num_batches_tracked, expected.outputs[6], kExact);
  }
}

TEST(NnLayers, ModulesTrainLikeTorch) {
  // A small CNN and an MLP with PyTorch's initialisation: one forward/backward, then compare every
  // parameter's gradient with PyTorch's for the same seed.
  nb::manual_seed(11);
  auto cnn = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 4, 3, 1, 1), std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2),
      std::make_shared<nn::Conv2d>(4, 6, 3), std::make_shared<nn::Tanh>(), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(6 * 5 * 5, 16), std::make_shared<nn::BatchNorm1d>(16),
      std::make_shared<nn::GELU>(), std::make_shared<nn::LayerNorm>(16), std::make_shared<nn::Linear>(16, 10)});
  auto images = rnd({4, 1, 14, 14}, nb::kFloat32, 91, 0, 1);
  auto labels = nb::tensor({3, 9, 0, 3});
  nn::CrossEntropyLoss criterion;
  nb::Tensor loss = criterion(cnn->forward(images), labels);
  auto expected = run_python(
      "torch.manual_seed(11)\n"
      "m = nn.Sequential(nn.Conv2d(1, 4, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.Tanh(), "
      "nn.Flatten(), nn.Linear(150, 16), nn.BatchNorm1d(16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 10))\n"
      "loss = nn.CrossEntropyLoss()(m(a), b)\nloss.backward()",
      "[loss] + [p.grad for p in m.parameters()]", {images, labels});
  ASSERT_TRUE(expected.ok) << expected.error_message;
  const oracle::Tolerance tol{1e-4, 1e-5};
  EXPECT_CLOSE(loss, expected.outputs[0], tol);
  loss.backward();
  auto params = cnn->parameters();
  ASSERT_EQ(params.size() + 1, expected.outputs.size());
  for (size_t i = 0; i < params.size(); ++i) {
    SCOPED_TRACE(cnn->named_parameters().keys()[i]);
    ASSERT_TRUE(params[i].grad().defined());
    EXPECT_CLOSE(params[i].grad(), expected.outputs[i + 1], tol);
  }
}
