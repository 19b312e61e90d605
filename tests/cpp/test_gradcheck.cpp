// Every differentiable op of the op table through gradcheck (float64 central differences), first and
// second order, on plain, broadcast, strided and zero-size inputs; and each op's float32 gradient
// and node name against PyTorch 1.13. An op marked differentiable without a recipe here fails.
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include "nabla/autograd.hpp"
#include "oracle.hpp"
#include "test_support.hpp"

namespace nb = nabla;
using test_support::expect_grads;
using test_support::grad_inputs;
using test_support::our_grads;
using test_support::torch_grads;

namespace {

using Inputs = std::vector<nb::Tensor>;

enum class Layout { kPlain, kStrided, kBroadcast, kEmpty };
const char* layout_name(Layout l) {
  switch (l) {
    case Layout::kPlain: return "plain";
    case Layout::kStrided: return "strided";
    case Layout::kBroadcast: return "broadcast";
    default: return "zero-size";
  }
}

// Makes an op's inputs: real() gives a float input that requires grad (laid out as `layout` asks),
// the others give int64 indices and bool masks, which never require grad.
struct Gen {
  Layout layout;
  nb::DType dtype = nb::kFloat64;
  uint64_t seed = 1;

  nb::Tensor real(nb::IntArrayRef shape, double lo = -2, double hi = 2) {
    nb::Tensor t = oracle::random_tensor(shape, dtype, seed++, lo, hi);
    if (layout == Layout::kStrided) t = oracle::strided_copy(t, seed);
    return t.requires_grad_();
  }
  nb::Tensor mask(nb::IntArrayRef shape) { return oracle::random_tensor(shape, nb::kFloat64, seed++) > 0; }
};

std::string shape_of(nb::IntArrayRef sizes) {
  std::string s = "(";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + ")";
}

constexpr double kInf = std::numeric_limits<double>::infinity();

nb::Tensor ints(std::vector<int64_t> values, nb::IntArrayRef shape) {
  return nb::tensor(values, nb::kInt64).view(shape);
}

struct Recipe {
  std::function<Inputs(Gen&)> plain;      // also run with strided float inputs
  std::function<Inputs(Gen&)> broadcast;  // null: the op does not broadcast its inputs
  std::function<Inputs(Gen&)> empty;      // null: the op refuses zero-size inputs
  std::string torch;                      // the op in torch, on a, b, c
  bool second_order = true;
};

using Make = std::function<Inputs(Gen&)>;
Make one(nb::DimVector shape, double lo = -2, double hi = 2) {
  return [=](Gen& g) { return Inputs{g.real(shape, lo, hi)}; };
}
Make two(nb::DimVector sa, nb::DimVector sb, double lo_b = -2, double hi_b = 2) {
  return [=](Gen& g) { return Inputs{g.real(sa), g.real(sb, lo_b, hi_b)}; };
}

std::map<std::string, Recipe> recipes() {
  std::map<std::string, Recipe> r;
  auto unary = [&](const char* name, double lo = -2, double hi = 2, std::string torch = "") {
    r[name] = {one({3, 4}, lo, hi), nullptr, one({0, 3}, lo, hi),
               torch.empty() ? std::string("torch.") + name + "(a)" : torch};
  };
  for (const char* name : {"neg", "abs", "sign", "exp", "expm1", "sin", "cos", "tanh", "sigmoid", "relu", "erf",
                           "floor", "ceil", "round", "trunc", "square"})
    unary(name);
  for (const char* name : {"log", "log1p", "log2", "sqrt", "rsqrt", "reciprocal"}) unary(name, 0.2, 2);
  unary("tan", -1.2, 1.2);
  unary("silu", -2, 2, "torch.nn.functional.silu(a)");
  unary("gelu", -2, 2, "torch.nn.functional.gelu(a)");
  unary("gelu_tanh", -2, 2, "torch.nn.functional.gelu(a, approximate='tanh')");
  unary("clamp", -1, 1, "torch.clamp(a, -0.5, 0.5)");

  auto binary = [&](const char* name, double lo_b = -2, double hi_b = 2, std::string torch = "") {
    r[name] = {two({3, 4}, {3, 4}, lo_b, hi_b), two({2, 1, 4}, {3, 1}, lo_b, hi_b), two({0, 3}, {3}, lo_b, hi_b),
               torch.empty() ? std::string("torch.") + name + "(a, b)" : torch};
  };
  for (const char* name : {"add", "sub", "mul", "maximum", "minimum", "atan2"}) binary(name);
  binary("div", 0.5, 2);
  binary("div_floor", 0.5, 2, "torch.div(a, b, rounding_mode='floor')");
  binary("div_trunc", 0.5, 2, "torch.div(a, b, rounding_mode='trunc')");
  binary("remainder", 0.5, 2);
  binary("fmod", 0.5, 2);
  // pow: a positive base (a is the base).
  r["pow"] = {[](Gen& g) { return Inputs{g.real({3, 4}, 0.5, 2), g.real({3, 4})}; },
              [](Gen& g) { return Inputs{g.real({2, 1, 4}, 0.5, 2), g.real({3, 1})}; },
              [](Gen& g) { return Inputs{g.real({0, 3}, 0.5, 2), g.real({3})}; }, "torch.pow(a, b)"};

  for (const char* name : {"sum", "mean", "var", "std", "norm", "prod"})
    r[name] = {one({3, 4}, 0.5, 1.5), nullptr, one({0, 3}), std::string("torch.") + name + "(a)"};
  r["max"] = {one({3, 4}), nullptr, nullptr, "torch.max(a)"};  // max/min of nothing is an error
  r["min"] = {one({3, 4}), nullptr, nullptr, "torch.min(a)"};
  r["amax"] = {one({3, 4}), nullptr, one({0, 3}), "torch.amax(a, -1)"};
  r["amin"] = {one({3, 4}), nullptr, one({0, 3}), "torch.amin(a, -1)"};
  r["logsumexp"] = {one({3, 4}), nullptr, one({0, 3}), "torch.logsumexp(a, -1)"};
  for (const char* name : {"cumsum", "cumprod", "softmax", "log_softmax"})
    r[name] = {one({3, 4}), nullptr, one({0, 3}), std::string("torch.") + name + "(a, -1)"};

  r["matmul"] = {two({3, 4}, {4, 2}), two({2, 1, 2, 3}, {3, 3, 2}), two({0, 3}, {3, 2}), "torch.matmul(a, b)"};
  r["mm"] = {two({3, 4}, {4, 2}), nullptr, two({2, 0}, {0, 3}), "torch.mm(a, b)"};
  r["bmm"] = {two({2, 3, 4}, {2, 4, 2}), nullptr, two({0, 3, 4}, {0, 4, 2}), "torch.bmm(a, b)"};
  r["addmm"] = {[](Gen& g) { return Inputs{g.real({3, 2}), g.real({3, 4}), g.real({4, 2})}; },
                [](Gen& g) { return Inputs{g.real({2}), g.real({3, 4}), g.real({4, 2})}; },
                [](Gen& g) { return Inputs{g.real({0, 2}), g.real({0, 3}), g.real({3, 2})}; }, "torch.addmm(a, b, c)"};
  r["dot"] = {two({5}, {5}), nullptr, two({0}, {0}), "torch.dot(a, b)"};
  r["outer"] = {two({3}, {4}), nullptr, two({0}, {3}), "torch.outer(a, b)"};

  // Duplicate indices: their gradients add up.
  r["index_select"] = {[](Gen& g) { return Inputs{g.real({4, 3}), ints({2, 0, 2}, {3})}; }, nullptr,
                       [](Gen& g) { return Inputs{g.real({4, 3}), ints({}, {0})}; }, "torch.index_select(a, 0, b)"};
  r["index"] = {[](Gen& g) { return Inputs{g.real({4, 3}), ints({3, 0, -1, 1}, {2, 2})}; }, nullptr,
                [](Gen& g) { return Inputs{g.real({4, 3}), ints({}, {0})}; }, "a[b]"};
  r["gather"] = {[](Gen& g) { return Inputs{g.real({3, 4}), ints({0, 2, 1, 0, 2, 2, 0, 1}, {2, 4})}; }, nullptr,
                 [](Gen& g) { return Inputs{g.real({3, 4}), ints({}, {0, 4})}; }, "torch.gather(a, 0, b)"};
  // scatter overwrites: no index repeats within a column, or the losing src element would have a
  // zero numerical gradient but an analytical one (as in PyTorch).
  const std::vector<int64_t> unique_rows = {0, 1, 2, 0, 2, 0, 1, 1};
  r["scatter"] = {[=](Gen& g) { return Inputs{g.real({3, 4}), ints(unique_rows, {2, 4}), g.real({2, 4})}; }, nullptr,
                  [](Gen& g) { return Inputs{g.real({3, 4}), ints({}, {0, 4}), g.real({0, 4})}; },
                  "torch.scatter(a, 0, b, c)"};
  r["scatter_add"] = {[](Gen& g) {
                        return Inputs{g.real({3, 4}), ints({0, 0, 2, 1, 0, 0, 1, 1}, {2, 4}), g.real({2, 4})};
                      },
                      nullptr, [](Gen& g) { return Inputs{g.real({3, 4}), ints({}, {0, 4}), g.real({0, 4})}; },
                      "torch.scatter_add(a, 0, b, c)"};
  r["masked_fill"] = {[](Gen& g) { return Inputs{g.real({3, 4}), g.mask({3, 4})}; },
                      [](Gen& g) { return Inputs{g.real({3, 4}), g.mask({4})}; },
                      [](Gen& g) { return Inputs{g.real({0, 4}), g.mask({4})}; }, "torch.masked_fill(a, b, 0)"};
  r["where"] = {[](Gen& g) { return Inputs{g.mask({3, 4}), g.real({3, 4}), g.real({3, 4})}; },
                [](Gen& g) { return Inputs{g.mask({4}), g.real({3, 1}), g.real({1, 4})}; },
                [](Gen& g) { return Inputs{g.mask({0, 4}), g.real({0, 4}), g.real({4})}; }, "torch.where(a, b, c)"};

  r["cat"] = {two({2, 3}, {3, 3}), nullptr, two({0, 3}, {2, 3}), "torch.cat([a, b], 0)"};
  r["stack"] = {two({2, 3}, {2, 3}), nullptr, two({0, 3}, {0, 3}), "torch.stack([a, b], 0)"};
  r["flip"] = {one({3, 4}), nullptr, one({0, 3}), "torch.flip(a, [0])"};
  r["roll"] = {one({3, 4}), nullptr, one({0, 3}), "a.roll(1)"};
  r["sort"] = {one({3, 4}), nullptr, one({0, 3}), "torch.sort(a)[0]"};
  r["topk"] = {one({3, 4}), nullptr, one({0, 3}), "torch.topk(a, 1)[0]"};
  r["transpose"] = {one({3, 4}), nullptr, one({0, 3}), "a.transpose(0, -1)"};
  r["permute"] = {one({2, 3, 4}), nullptr, one({0, 3}), "a.T"};
  r["reshape"] = {one({3, 4}), nullptr, one({0, 3}), "a.reshape(-1)"};
  r["flatten"] = {one({3, 4}), nullptr, one({0, 3}), "a.flatten()"};
  r["unsqueeze"] = {one({3, 4}), nullptr, one({0, 3}), "a.unsqueeze(0)"};
  r["squeeze"] = {one({3, 1, 4}), nullptr, one({0, 1}), "a.squeeze()"};
  r["contiguous"] = {one({3, 4}), nullptr, one({0, 3}), "a.T.contiguous()"};
  return r;
}

// With zero-size inputs there is nothing to differentiate numerically: the backward must still run
// and give every input a gradient of its own shape.
::testing::AssertionResult backward_shapes_hold(const nb::OpInfo& op, const Inputs& inputs) {
  nb::Tensor out = op.invoke(inputs);
  if (!out.requires_grad()) return ::testing::AssertionFailure() << "the output does not require grad";
  std::vector<nb::Tensor> wrt = grad_inputs(inputs);
  auto grads = nb::autograd::grad({out}, wrt, {nb::zeros_like(out)}, std::nullopt, false, true);
  for (size_t i = 0; i < wrt.size(); ++i) {
    if (grads[i].defined() && !(grads[i].sizes() == wrt[i].sizes()))
      return ::testing::AssertionFailure() << "gradient " << i << " has shape " << shape_of(grads[i].sizes())
                                           << " for an input of shape " << shape_of(wrt[i].sizes());
  }
  return ::testing::AssertionSuccess();
}

nb::Tensor leaf(nb::IntArrayRef shape, uint64_t seed, double lo = -2, double hi = 2) {
  return oracle::random_tensor(shape, nb::kFloat64, seed, lo, hi).requires_grad_();
}

using Fn = std::function<std::vector<nb::Tensor>(const Inputs&)>;
bool check(const Fn& f, const Inputs& inputs, bool second_order = true) {
  nb::autograd::GradcheckOptions options;
  options.check_second_order = second_order;
  return nb::autograd::gradcheck(f, inputs, options);
}

// The vector-Jacobian product of f's (single) output with a cotangent that is itself the last input:
// gradcheck of it checks that the backward formula differentiates correctly in the incoming gradient
// too (PyTorch's gradgradcheck varies both), which check_second_order, varying the inputs, does not.
Fn vjp_with_cotangent(const Fn& f) {
  return [f](const Inputs& xs) {
    const Inputs inputs(xs.begin(), xs.end() - 1);
    std::vector<nb::Tensor> wrt = grad_inputs(inputs);
    auto grads = nb::autograd::grad({f(inputs)[0]}, wrt, {xs.back()}, std::nullopt, /*create_graph=*/true, true);
    std::vector<nb::Tensor> out;
    for (const nb::Tensor& g : grads)
      if (g.defined()) out.push_back(g);
    return out;
  };
}

}  // namespace

TEST(Gradcheck, EveryDifferentiableOpOfTheTable) {
  // Ops of several inputs that do not broadcast them (in torch neither): the products of exact shapes,
  // the joins, and the index ops, whose index has the input's rank or addresses one dim.
  const std::set<std::string> no_broadcast = {"mm", "bmm", "dot", "outer", "cat", "stack", "index",
                                              "index_select", "gather", "scatter", "scatter_add"};
  const auto all = recipes();
  std::set<std::string> used;
  for (const nb::OpInfo& op : nb::op_table()) {
    const std::string name(op.name);
    auto it = all.find(name);
    if (!op.differentiable) continue;
    if (it == all.end()) {
      ADD_FAILURE() << name << " is marked differentiable but has no gradcheck recipe in test_gradcheck.cpp";
      continue;
    }
    used.insert(name);
    const Recipe& recipe = it->second;
    EXPECT_TRUE(op.arity < 2 || recipe.broadcast || no_broadcast.count(name))
        << name << ": an op of several inputs needs a broadcast case, or a reason why it does not broadcast";
    Fn f = [&op](const Inputs& in) { return std::vector<nb::Tensor>{op.invoke(in)}; };
    for (Layout layout : {Layout::kPlain, Layout::kStrided, Layout::kBroadcast}) {
      const auto& make = layout == Layout::kBroadcast ? recipe.broadcast : recipe.plain;
      if (!make) continue;
      Gen gen{layout};
      Inputs inputs = make(gen);
      try {
        EXPECT_TRUE(check(f, inputs, recipe.second_order)) << name << " " << layout_name(layout);
        if (layout == Layout::kPlain && recipe.second_order) {
          inputs.push_back(gen.real(op.invoke(inputs).sizes()));
          EXPECT_TRUE(check(vjp_with_cotangent(f), inputs, false)) << name << " (cotangent)";
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << name << " (" << layout_name(layout) << " inputs): " << e.what();
      }
    }
    if (recipe.empty) {
      Gen gen{Layout::kEmpty};
      try {
        EXPECT_TRUE(backward_shapes_hold(op, recipe.empty(gen))) << name << " zero-size";
      } catch (const std::exception& e) {
        ADD_FAILURE() << name << " (zero-size inputs): " << e.what();
      }
    }
  }
  for (const auto& [name, recipe] : all)
    EXPECT_TRUE(used.count(name)) << "a recipe for " << name << ", which is no differentiable op of the table";
}

// One float32 case per op: the gradient and the node's name as PyTorch has them.
TEST(Gradcheck, Float32GradientsAndNodeNamesMatchTorch) {
  // Node names that still differ from torch's (the overload numbers of Tensor-Tensor forms, Log1P,
  // square as pow, reshape's ReshapeAliasBackward0), all named in unary.cpp, binary.cpp and views.cpp.
  const std::set<std::string> named_differently = {"log1p", "square", "clamp", "div_floor", "div_trunc",
                                                   "remainder", "fmod", "pow", "reshape", "flatten"};
  const auto all = recipes();
  for (const nb::OpInfo& op : nb::op_table()) {
    auto it = all.find(std::string(op.name));
    if (!op.differentiable || it == all.end()) continue;
    Gen gen{Layout::kPlain, nb::kFloat32, 100};
    Inputs inputs = it->second.plain(gen);
    nb::Tensor out = op.invoke(inputs);
    expect_grads(it->second.torch, inputs, out, {1e-5, 1e-5});
    ASSERT_NE(out.grad_fn(), nullptr) << op.name;
    std::string names;
    for (size_t i = 0; i < inputs.size(); ++i) names += std::string(1, char('a' + i)) + ",";
    const std::string torch_name = oracle::str("(lambda " + names + ": type((" + it->second.torch +
                                               ").grad_fn).__name__)(*[t.detach().clone().requires_grad_("
                                               "t.is_floating_point()) for t in (" + names + ")])",
                                               inputs);
    if (named_differently.count(std::string(op.name))) {
      EXPECT_NE(out.grad_fn()->name(), torch_name) << op.name << " now has torch's name: drop it from the list";
    } else {
      EXPECT_EQ(out.grad_fn()->name(), torch_name) << op.name;
    }
  }
}

TEST(Gradcheck, ProdAndCumprodWithZeros) {
  nb::Tensor one_zero = nb::tensor({{1.5, 0.0, -0.7}, {0.8, 1.2, 2.0}}, nb::kFloat64).requires_grad_();
  nb::Tensor two_zeros = nb::tensor({{1.5, 0.0, -0.7}, {0.8, 0.0, 2.0}}, nb::kFloat64).requires_grad_();
  for (const nb::Tensor& x : {one_zero, two_zeros}) {
    EXPECT_TRUE(check([](const Inputs& in) { return Inputs{in[0].prod()}; }, {x}));
    EXPECT_TRUE(check([](const Inputs& in) { return Inputs{in[0].prod(1)}; }, {x}));
    EXPECT_TRUE(check([](const Inputs& in) { return Inputs{in[0].prod(0, true)}; }, {x}));
    EXPECT_TRUE(check([](const Inputs& in) { return Inputs{in[0].cumprod(1)}; }, {x}));
    EXPECT_TRUE(check([](const Inputs& in) { return Inputs{in[0].cumprod(0)}; }, {x}));
    expect_grads("a.prod()", {x}, x.prod());
    expect_grads("a.prod(1)", {x}, x.prod(1));
    expect_grads("a.cumprod(1)", {x}, x.cumprod(1));
  }
  nb::Tensor scalar = nb::zeros({}, nb::kFloat64).requires_grad_();
  EXPECT_TRUE(check([](const Inputs& in) { return Inputs{in[0].prod(), in[0].cumprod(0)}; }, {scalar}));
}

TEST(Gradcheck, ReductionVariants) {
  nb::Tensor x = leaf({3, 4}, 5), y = leaf({2, 3, 2}, 6);
  for (double p : {1.0, 2.0, 3.0, 0.5, 1.5, kInf, -kInf}) {
    EXPECT_TRUE(check([p](const Inputs& in) { return Inputs{in[0].norm(p), in[0].norm(p, {1}, true)}; }, {x})) << p;
    expect_grads("torch.norm(a, " + std::string(std::isinf(p) ? (p > 0 ? "float('inf')" : "float('-inf')")
                                                               : std::to_string(p)) + ", (0, 2))",
                 {y}, y.norm(p, {0, 2}));
  }
  nb::Tensor zero = nb::zeros({3}, nb::kFloat64).requires_grad_();
  expect_grads("torch.norm(a)", {zero}, zero.norm());  // a zero norm has a zero gradient
  EXPECT_TRUE(check([](const Inputs& in) {
    return Inputs{in[0].var({0, 2}, 0, true), in[0].std({1}, 2), in[0].var(-1), in[0].std({0, 1, 2}, 1)};
  }, {y}));
  expect_grads("a.std((0, 2), correction=0)", {y}, y.std({0, 2}, 0));
  EXPECT_TRUE(check([](const Inputs& in) {
    return Inputs{std::get<0>(in[0].max(1)), std::get<0>(in[0].min(0, true)), in[0].amax({0, 2}),
                  in[0].amin({1}, true), in[0].logsumexp({0, 2}), in[0].sum({0, 2}), in[0].mean({1}, true)};
  }, {y}));
  EXPECT_TRUE(check([](const Inputs& in) { return Inputs{in[0].softmax(0), in[0].log_softmax(1), in[0].cumsum(0)}; },
                    {y}));
  nb::Tensor s = leaf({}, 8);
  EXPECT_TRUE(check([](const Inputs& in) {
    return Inputs{std::get<0>(in[0].max(0)), in[0].softmax(0), in[0].log_softmax(0), in[0].cumsum(0), in[0].norm(),
                  in[0].amax(0), in[0].logsumexp(0)};
  }, {s}));
  // Ties: max/min/amax share the gradient evenly, max(dim) sends it to the index it returns.
  nb::Tensor t = nb::tensor({{1.0, 3.0, 3.0}, {3.0, 0.0, 2.0}}, nb::kFloat64).requires_grad_();
  expect_grads("a.max()", {t}, t.max());
  expect_grads("a.min()", {t}, t.min());
  expect_grads("a.amax(1)", {t}, t.amax(1));
  expect_grads("a.amax((0, 1))", {t}, t.amax({0, 1}));
  expect_grads("a.max(1)[0]", {t}, std::get<0>(t.max(1)));
  expect_grads("a.norm(float('inf'))", {t}, t.norm(kInf));
}

TEST(Gradcheck, MatmulShapes) {
  const std::vector<std::pair<nb::DimVector, nb::DimVector>> shapes = {
      {{3}, {3}}, {{2, 3}, {3}}, {{3}, {3, 2}}, {{3}, {2, 3, 2}}, {{2, 2, 3}, {3}}, {{2, 2, 3}, {3, 2}},
      {{2, 3}, {2, 3, 2}}, {{2, 1, 2, 3}, {2, 3, 1}}};
  uint64_t seed = 40;
  for (const auto& [sa, sb] : shapes) {
    nb::Tensor a = leaf(sa, seed++), b = leaf(sb, seed++);
    EXPECT_TRUE(check([](const Inputs& in) { return Inputs{nb::matmul(in[0], in[1])}; }, {a, b}))
        << shape_of(sa) << " @ " << shape_of(sb);
    expect_grads("torch.matmul(a, b)", {a, b}, nb::matmul(a, b));
    // Only the operand that requires grad gets one.
    nb::Tensor constant = b.detach();
    auto g = nb::autograd::grad({nb::matmul(a, constant).sum()}, {a});
    EXPECT_EQ(g[0].sizes(), a.sizes());
  }
  nb::Tensor bias = leaf({3, 1}, 50), a = leaf({3, 4}, 51), b = leaf({4, 2}, 52);
  EXPECT_TRUE(check([](const Inputs& in) { return Inputs{nb::addmm(in[0], in[1], in[2], 0.5, -2)}; }, {bias, a, b}));
  expect_grads("torch.addmm(a, b, c, beta=0.5, alpha=-2)", {bias, a, b}, nb::addmm(bias, a, b, 0.5, -2));
}

TEST(Gradcheck, IndexingVariants) {
  nb::Tensor x = leaf({4, 3}, 60), y = leaf({2, 3, 4}, 61);
  nb::Tensor rows = nb::tensor({0, 2, 0}), cols = nb::tensor({1, 1, 2});
  nb::Tensor mask = oracle::random_tensor({4, 3}, nb::kFloat64, 62) > 0;
  auto idx = [](const Inputs& in, std::vector<nb::TensorIndex> i) { return Inputs{in[0].index(i)}; };
  EXPECT_TRUE(check([&](const Inputs& in) { return idx(in, {rows, cols}); }, {x}));
  EXPECT_TRUE(check([&](const Inputs& in) { return idx(in, {mask}); }, {x}));
  EXPECT_TRUE(check([&](const Inputs& in) { return idx(in, {nb::Slice(), cols}); }, {x}));
  nb::Tensor first = nb::tensor({1, 0, 1}), last = nb::tensor({3, 0, 3});  // not adjacent: the index dims go first
  EXPECT_TRUE(check([&](const Inputs& in) { return idx(in, {first, nb::Slice(), last}); }, {y}));
  EXPECT_TRUE(check([&](const Inputs& in) { return Inputs{in[0].masked_select(mask)}; }, {x}));
  expect_grads("a[b, c]", {x, rows, cols}, x.index({rows, cols}));
  expect_grads("a[b]", {x, mask}, x.index({mask}));
  expect_grads("a[:, b]", {y, cols}, y.index({nb::Slice(), cols}));
  expect_grads("a[b, :, c]", {y, first, last}, y.index({first, nb::Slice(), last}));
  expect_grads("a.masked_select(b)", {x, mask}, x.masked_select(mask));

  // index_put_ on a non-leaf with advanced, mask and basic indices: the target and the value get gradients.
  nb::Tensor v = leaf({3}, 63);
  auto put = [&](const Inputs& in) {
    nb::Tensor t = in[0] * 1;
    t.index_put_({rows.narrow(0, 1, 2)}, in[1]);  // rows 2 and 0 get the value row
    t.index_put_({mask}, 0.5);
    t.index_put_({3}, in[1] * 2);
    return Inputs{t};
  };
  EXPECT_TRUE(check(put, {x, v}));
  nb::Tensor t = put({x, v})[0];
  EXPECT_STREQ(t.grad_fn()->name(), "IndexPutBackward0");
  expect_grads("t = a * 1\nt.index_put_((b[1:],), c)\nt[d] = 0.5\nt[3] = c * 2\nout = t", {x, rows, v, mask}, t);
  // A value of leading unit dims, and a leaf value into a tensor that does not require grad.
  nb::Tensor target = nb::zeros({4, 3}, nb::kFloat64);
  nb::Tensor w = leaf({1, 1, 3}, 64);
  target.index_put_({rows}, w);
  expect_grads("t = torch.zeros(4, 3, dtype=a.dtype)\nt[b] = a\nout = t * t", {w, rows}, target * target);
}

TEST(Gradcheck, InplaceIndexOpsAndLargerScatterSource) {
  nb::Tensor x = leaf({3, 4}, 70), src = leaf({2, 5}, 71);
  nb::Tensor index = nb::tensor({0, 1, 2, 0, 2, 0, 1, 1}).view({2, 4});
  nb::Tensor mask = oracle::random_tensor({3, 4}, nb::kFloat64, 72) > 0;
  auto inplace = [&](const Inputs& in) {
    nb::Tensor t = in[0] * 1;
    t.scatter_(0, index, in[1]);
    t.scatter_add_(1, index.narrow(1, 0, 2), in[1] * 3);
    t.masked_fill_(mask, -1.5);
    t.scatter_(0, index.narrow(0, 0, 1), 2.0);
    return Inputs{t};
  };
  EXPECT_TRUE(check(inplace, {x, src}));
  // src larger than the index: the elements no index reads get a zero gradient (torch 1.13 refuses).
  auto g = nb::autograd::grad({x.scatter(0, index, src).sum()}, {src});
  nb::Tensor expected = nb::zeros({2, 5}, nb::kFloat64);
  expected.narrow(1, 0, 4).fill_(1);
  EXPECT_TRUE(g[0].equal(expected));
  EXPECT_TRUE(check([&](const Inputs& in) { return Inputs{in[0].scatter(0, index, in[1])}; }, {x, src}));
  // 0-d inputs.
  nb::Tensor s = leaf({}, 73);
  nb::Tensor zero_index = nb::tensor(int64_t(0));
  EXPECT_TRUE(check([&](const Inputs& in) {
    return Inputs{in[0].gather(0, zero_index), in[0].index_select(0, zero_index),
                  in[0].scatter_add(0, zero_index, in[0]), std::get<0>(nb::sort(in[0]))};
  }, {s}));
}

TEST(Gradcheck, JoinAndOrderVariants) {
  nb::Tensor a = leaf({2, 3}, 80), b = leaf({2, 2}, 81), c = leaf({2, 3}, 82);
  nb::Tensor legacy = nb::zeros({0}, nb::kFloat64).requires_grad_();
  EXPECT_TRUE(check([](const Inputs& in) { return Inputs{nb::cat({in[0], in[1], in[2]}, 1)}; }, {a, b, legacy}));
  EXPECT_TRUE(check([](const Inputs& in) { return Inputs{nb::stack({in[0], in[1]}, 2), nb::stack({in[1]}, -1)}; },
                    {a, c}));
  // Mixed dtypes: the float32 input's gradient comes back as float32.
  nb::Tensor f = oracle::random_tensor({2, 3}, nb::kFloat32, 83).requires_grad_();
  auto g = nb::autograd::grad({nb::cat({a, f}, 0).sum()}, {f});
  EXPECT_EQ(g[0].dtype(), nb::kFloat32);
  EXPECT_TRUE(check([](const Inputs& in) {
    return Inputs{in[0].flip({0, 1}), in[0].roll({1, -2}, {0, 1}), in[0].roll(2, 1), std::get<0>(in[0].sort(0, true)),
                  std::get<0>(in[0].topk(2, 1, false))};
  }, {a}));
  expect_grads("a.roll((1, -2), (0, 1))", {a}, a.roll({1, -2}, {0, 1}));
  expect_grads("torch.topk(a, 2, 1, largest=False)[0]", {a}, std::get<0>(a.topk(2, 1, false)));
}

TEST(Gradcheck, PrintShowsRequiresGradAndGradFn) {
  nb::Tensor x = nb::tensor({1.0, 2.0}).requires_grad_();
  EXPECT_EQ(x.toString(), oracle::str("torch.tensor([1., 2.], requires_grad=True)"));
  EXPECT_EQ((x * 2).toString(), oracle::str("torch.tensor([1., 2.], requires_grad=True) * 2"));
  nb::Tensor d = nb::tensor({1.0, 2.0}, nb::kFloat64).requires_grad_();
  EXPECT_EQ((d * 2).toString(), oracle::str("torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True) * 2"));
  EXPECT_EQ(d.sum().toString(), oracle::str("torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True).sum()"));
  nb::Tensor e = nb::zeros({0, 3}).requires_grad_();
  EXPECT_EQ((e * 2).toString(), oracle::str("torch.zeros(0, 3, requires_grad=True) * 2"));
  nb::Tensor h = nb::ones({2}, nb::kFloat16).requires_grad_();
  EXPECT_EQ(h.toString(), oracle::str("torch.ones(2, dtype=torch.float16, requires_grad=True)"));
  nb::Tensor wide = nb::arange(30, nb::kFloat32).reshape({3, 10}).requires_grad_();
  EXPECT_EQ(wide.softmax(1).toString(), oracle::str("torch.arange(30.).reshape(3, 10).requires_grad_().softmax(1)"));
  EXPECT_EQ(x.detach().toString(), oracle::str("torch.tensor([1., 2.])"));
}
