// Optimizers, LR schedulers and gradient clipping against PyTorch 1.13: the same initial parameters
// and the same hand-fed gradients, step by step; float32 and float64 results must be identical.
#include <cmath>
#include <memory>

#include "nabla/autograd.hpp"
#include "nabla/nn/clip_grad.hpp"
#include "nabla/optim.hpp"
#include "oracle.hpp"

namespace nb = nabla;
namespace optim = nabla::optim;
namespace sched = nabla::optim::lr_scheduler;

namespace {

const oracle::Tolerance kExact{0, 0};

// Runs Python statements with the inputs bound to a, b, c, ...; the result is the value of `out`.
oracle::Result run_python(const std::string& code, const std::vector<nb::Tensor>& inputs) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : code) hex += {kHex[c >> 4], kHex[c & 15]};
  return oracle::eval("(lambda ns: (exec(bytes.fromhex('" + hex + "').decode(), ns), ns['out'])[1])(dict(globals()))",
                      inputs);
}

// Parameters of several shapes (a 0-d and an empty one among them; 37 elements exercise PyTorch's
// vector tails) and a gradient per step, none for parameter 1 every third step.
constexpr int kNumParams = 5;
const std::vector<nb::DimVector> kShapes = {{3, 4}, {37}, {}, {0}, {2, 1, 5}};
bool skipped(int param, int step) { return param == 1 && step % 3 == 1; }

struct Trajectory {
  std::vector<nb::Tensor> initial;
  std::vector<std::vector<nb::Tensor>> grads;  // [step][param]; undefined when skipped
  std::vector<nb::Tensor> stacked_grads;       // [param]: (steps, *shape), for Python
};

Trajectory make_trajectory(nb::DType dtype, int steps, uint64_t seed) {
  Trajectory t;
  t.grads.resize(size_t(steps));
  for (int j = 0; j < kNumParams; ++j) {
    t.initial.push_back(oracle::random_tensor(kShapes[j], dtype, seed + uint64_t(j), -2, 2));
    std::vector<nb::Tensor> per_step;
    for (int s = 0; s < steps; ++s) {
      nb::Tensor g = oracle::random_tensor(kShapes[j], dtype, seed * 1000 + uint64_t(s * 10 + j), -1, 1);
      per_step.push_back(g);
      t.grads[size_t(s)].push_back(skipped(j, s) ? nb::Tensor() : g);
    }
    t.stacked_grads.push_back(nb::stack(per_step));
  }
  return t;
}

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<nb::Tensor>)>;
using MakeScheduler = std::function<std::unique_ptr<sched::LRScheduler>(optim::Optimizer&)>;

// The parameters after PyTorch runs `optimizer` (an expression over the list `ps`) over the trajectory.
std::vector<nb::Tensor> torch_run(const Trajectory& t, const std::string& optimizer, const std::string& scheduler = "") {
  std::string code =
      "ps = [t.clone().requires_grad_(True) for t in [a, b, c, d, e]]\n"
      "G = [f, g, h, i, j]\n"
      "opt = " + optimizer + "\n" + (scheduler.empty() ? "" : "sch = " + scheduler + "\n") +
      "for s in range(" + std::to_string(t.grads.size()) + "):\n"
      "    for k, p in enumerate(ps):\n"
      "        p.grad = None if (k == 1 and s % 3 == 1) else G[k][s].clone()\n"
      "    opt.step()\n" + (scheduler.empty() ? "" : "    sch.step()\n") +
      "out = [p.detach() for p in ps]\n";
  std::vector<nb::Tensor> inputs = t.initial;
  inputs.insert(inputs.end(), t.stacked_grads.begin(), t.stacked_grads.end());
  return run_python(code, inputs).outputs;
}

// The same in nabla. strided: parameter 0 and the grads of parameter 4 are non-contiguous views.
std::vector<nb::Tensor> nabla_run(const Trajectory& t, const MakeOptimizer& make, const MakeScheduler& make_scheduler = {},
                                  bool strided = false) {
  std::vector<nb::Tensor> params;
  for (int j = 0; j < kNumParams; ++j) {
    nb::Tensor p = strided && j == 0 ? oracle::strided_copy(t.initial[j], 7) : t.initial[j].clone();
    params.push_back(p.requires_grad_(true));
  }
  std::unique_ptr<optim::Optimizer> optimizer = make(params);
  std::unique_ptr<sched::LRScheduler> scheduler = make_scheduler ? make_scheduler(*optimizer) : nullptr;
  for (const auto& step_grads : t.grads) {
    for (int j = 0; j < kNumParams; ++j) {
      const nb::Tensor& g = step_grads[size_t(j)];
      params[size_t(j)].mutable_grad() = !g.defined() ? nb::Tensor() : strided && j == 4 ? oracle::strided_copy(g, 8) : g.clone();
    }
    optimizer->step();
    if (scheduler) scheduler->step();
  }
  std::vector<nb::Tensor> out;
  for (const nb::Tensor& p : params) out.push_back(p.detach().contiguous());
  return out;
}

struct OptimCase {
  std::string torch;  // the optimizer in PyTorch, over `ps`
  MakeOptimizer make;
};

template <typename Optimizer, typename Options>
MakeOptimizer make(Options options) {
  return [options](std::vector<nb::Tensor> ps) { return std::make_unique<Optimizer>(std::move(ps), options); };
}

// ps[:2] in a group with the defaults, ps[2:] in one with its own options.
template <typename Optimizer, typename Options>
MakeOptimizer make_groups(Options defaults, Options second) {
  return [defaults, second](std::vector<nb::Tensor> ps) {
    std::vector<optim::ParamGroup> groups;
    groups.emplace_back(std::vector<nb::Tensor>(ps.begin(), ps.begin() + 2));
    groups.emplace_back(std::vector<nb::Tensor>(ps.begin() + 2, ps.end()), second);
    return std::make_unique<Optimizer>(std::move(groups), defaults);
  };
}

void expect_same_trajectory(const std::vector<OptimCase>& cases, std::vector<nb::DType> dtypes = {nb::kFloat32, nb::kFloat64}) {
  for (nb::DType dtype : dtypes) {
    const Trajectory t = make_trajectory(dtype, 20, 11);
    for (size_t k = 0; k < cases.size(); ++k) {
      SCOPED_TRACE(cases[k].torch + " " + std::string(nb::dtype_name(dtype)));
      const std::vector<nb::Tensor> expected = torch_run(t, cases[k].torch);
      ASSERT_EQ(expected.size(), size_t(kNumParams));
      const std::vector<nb::Tensor> actual = nabla_run(t, cases[k].make, {}, /*strided=*/k % 3 == 2);
      for (int j = 0; j < kNumParams; ++j) EXPECT_CLOSE(actual[j], expected[j], kExact) << "parameter " << j;
    }
  }
}

template <typename E, typename Fn>
void expect_error(const Fn& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one containing: " << needle;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::vector<nb::Tensor> leaf_params(nb::DType dtype = nb::kFloat32) {
  std::vector<nb::Tensor> ps;
  for (int j = 0; j < kNumParams; ++j) ps.push_back(oracle::random_tensor(kShapes[j], dtype, 50 + j).requires_grad_(true));
  return ps;
}

}  // namespace

TEST(OptimSGD, MatchesPyTorch) {
  using O = optim::SGDOptions;
  expect_same_trajectory({
      {"torch.optim.SGD(ps, lr=0.1)", make<optim::SGD>(O{.lr = 0.1})},
      {"torch.optim.SGD(ps, lr=0.1, momentum=0.9)", make<optim::SGD>(O{.lr = 0.1, .momentum = 0.9})},
      {"torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)",
       make<optim::SGD>(O{.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01})},
      {"torch.optim.SGD(ps, lr=0.05, momentum=0.8, weight_decay=0.02, nesterov=True)",
       make<optim::SGD>(O{.lr = 0.05, .momentum = 0.8, .weight_decay = 0.02, .nesterov = true})},
      {"torch.optim.SGD(ps, lr=0.03, momentum=0.5, maximize=True)",
       make<optim::SGD>(O{.lr = 0.03, .momentum = 0.5, .maximize = true})},
      {"torch.optim.SGD(ps, lr=0.2, weight_decay=0.1)", make<optim::SGD>(O{.lr = 0.2, .weight_decay = 0.1})},
      {"torch.optim.SGD([{'params': ps[:2]}, {'params': ps[2:], 'lr': 0.05, 'momentum': 0.5, 'nesterov': True}], "
       "lr=0.1, momentum=0.9)",
       make_groups<optim::SGD>(O{.lr = 0.1, .momentum = 0.9}, O{.lr = 0.05, .momentum = 0.5, .nesterov = true})},
  });
  // The seed example's constructor: SGD(params, lr).
  const Trajectory t = make_trajectory(nb::kFloat32, 5, 3);
  const auto expected = torch_run(t, "torch.optim.SGD(ps, lr=0.01)");
  const auto actual = nabla_run(t, [](std::vector<nb::Tensor> ps) { return std::make_unique<optim::SGD>(ps, 0.01); });
  for (int j = 0; j < kNumParams; ++j) EXPECT_CLOSE(actual[j], expected[j], kExact);
}

TEST(OptimAdam, MatchesPyTorch) {
  using O = optim::AdamOptions;
  using W = optim::AdamWOptions;
  expect_same_trajectory({
      {"torch.optim.Adam(ps)", make<optim::Adam>(O{})},
      {"torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)",
       make<optim::Adam>(O{.lr = 0.01, .betas = {0.8, 0.99}, .weight_decay = 0.1})},
      {"torch.optim.Adam(ps, lr=0.02, amsgrad=True)", make<optim::Adam>(O{.lr = 0.02, .amsgrad = true})},
      {"torch.optim.Adam(ps, lr=0.01, eps=1e-3, maximize=True)",
       make<optim::Adam>(O{.lr = 0.01, .eps = 1e-3, .maximize = true})},
      {"torch.optim.Adam(ps, lr=0.01, weight_decay=0.05, amsgrad=True, maximize=True)",
       make<optim::Adam>(O{.lr = 0.01, .weight_decay = 0.05, .amsgrad = true, .maximize = true})},
      {"torch.optim.AdamW(ps)", make<optim::AdamW>(W{})},
      {"torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1, amsgrad=True)",
       make<optim::AdamW>(W{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true})},
      {"torch.optim.AdamW(ps, lr=0.005, betas=(0.5, 0.9), maximize=True)",
       make<optim::AdamW>(W{.lr = 0.005, .betas = {0.5, 0.9}, .maximize = true})},
      {"torch.optim.Adam([{'params': ps[:2]}, {'params': ps[2:], 'lr': 0.1, 'betas': (0.7, 0.95), 'amsgrad': True}], "
       "lr=0.01)",
       make_groups<optim::Adam>(O{.lr = 0.01}, O{.lr = 0.1, .betas = {0.7, 0.95}, .amsgrad = true})},
  });
}

TEST(OptimRMSprop, MatchesPyTorch) {
  using O = optim::RMSpropOptions;
  expect_same_trajectory({
      {"torch.optim.RMSprop(ps)", make<optim::RMSprop>(O{})},
      {"torch.optim.RMSprop(ps, lr=0.005, momentum=0.9)", make<optim::RMSprop>(O{.lr = 0.005, .momentum = 0.9})},
      {"torch.optim.RMSprop(ps, alpha=0.9, centered=True)", make<optim::RMSprop>(O{.alpha = 0.9, .centered = true})},
      {"torch.optim.RMSprop(ps, lr=0.003, eps=1e-4, weight_decay=0.01, momentum=0.5, centered=True, maximize=True)",
       make<optim::RMSprop>(
           O{.lr = 0.003, .eps = 1e-4, .weight_decay = 0.01, .momentum = 0.5, .centered = true, .maximize = true})},
  });
}

TEST(OptimSGD, HalfPrecisionMatchesPyTorch) {
  // 16-bit parameters are computed in float and rounded after every op, as c10::Half arithmetic is:
  // float16 matches exactly; PyTorch's vectorised bfloat16 loop rounds some elements once instead.
  using O = optim::SGDOptions;
  for (nb::DType dtype : {nb::kFloat16, nb::kBFloat16}) {
    SCOPED_TRACE(std::string(nb::dtype_name(dtype)));
    const Trajectory t = make_trajectory(dtype, 10, 5);
    const auto expected = torch_run(t, "torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)");
    const auto actual = nabla_run(t, make<optim::SGD>(O{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01}));
    const oracle::Tolerance tol = dtype == nb::kFloat16 ? kExact : oracle::tolerance_for(dtype);
    for (int j = 0; j < kNumParams; ++j) EXPECT_CLOSE(actual[j], expected[j], tol);
  }
}

TEST(OptimStateDict, KeysValuesAndRoundTrip) {
  const Trajectory t = make_trajectory(nb::kFloat32, 10, 21);
  // PyTorch's state after 5 Adam(amsgrad) steps, flattened in our key order.
  const auto torch_state = run_python(
      "ps = [t.clone().requires_grad_(True) for t in [a, b, c, d, e]]\n"
      "G = [f, g, h, i, j]\n"
      "opt = torch.optim.Adam(ps, lr=0.01, amsgrad=True)\n"
      "for s in range(5):\n"
      "    for k, p in enumerate(ps):\n"
      "        p.grad = None if (k == 1 and s % 3 == 1) else G[k][s].clone()\n"
      "    opt.step()\n"
      "st = opt.state_dict()['state']\n"
      "out = [torch.tensor(float(st[k]['step'])) for k in range(5)] + "
      "[st[k][n] for k in range(5) for n in ('exp_avg', 'exp_avg_sq', 'max_exp_avg_sq')]\n",
      [&] {
        std::vector<nb::Tensor> in = t.initial;
        in.insert(in.end(), t.stacked_grads.begin(), t.stacked_grads.end());
        return in;
      }());
  ASSERT_TRUE(torch_state.ok) << torch_state.error_message;

  std::vector<nb::Tensor> params;
  for (const nb::Tensor& p : t.initial) params.push_back(p.clone().requires_grad_(true));
  optim::Adam adam(params, optim::AdamOptions{.lr = 0.01, .amsgrad = true});
  auto run_steps = [&](optim::Optimizer& opt, std::vector<nb::Tensor>& ps, int from, int to) {
    for (int s = from; s < to; ++s) {
      for (int j = 0; j < kNumParams; ++j) {
        const nb::Tensor& g = t.grads[size_t(s)][size_t(j)];
        ps[size_t(j)].mutable_grad() = g.defined() ? g.clone() : nb::Tensor();
      }
      opt.step();
    }
  };
  run_steps(adam, params, 0, 5);
  nb::StateDict dict = adam.state_dict();
  std::vector<std::string> expected_keys;
  for (int k = 0; k < kNumParams; ++k) {
    for (const char* n : {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
      expected_keys.push_back("state." + std::to_string(k) + "." + n);
    }
  }
  for (const char* n : {"lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "params"}) {
    expected_keys.push_back(std::string("param_groups.0.") + n);
  }
  EXPECT_EQ(dict.keys(), expected_keys);
  for (int k = 0; k < kNumParams; ++k) {
    EXPECT_CLOSE(dict.at("state." + std::to_string(k) + ".step"), torch_state.outputs[size_t(k)], kExact);
    const char* names[] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    for (int n = 0; n < 3; ++n) {
      EXPECT_CLOSE(dict.at("state." + std::to_string(k) + "." + names[n]),
                   torch_state.outputs[size_t(kNumParams + 3 * k + n)], kExact)
          << k << " " << names[n];
    }
  }
  EXPECT_EQ(dict.at("param_groups.0.lr").dtype(), nb::kFloat64);
  EXPECT_EQ(dict.at("param_groups.0.lr").item<double>(), 0.01);
  EXPECT_EQ(dict.at("param_groups.0.amsgrad").item<bool>(), true);
  EXPECT_CLOSE(dict.at("param_groups.0.params"), nb::tensor({0, 1, 2, 3, 4}), kExact);

  // A fresh optimizer (default options) over copies, loaded, continues exactly like the original.
  std::vector<nb::Tensor> copies;
  for (const nb::Tensor& p : params) copies.push_back(p.detach().clone().requires_grad_(true));
  optim::Adam resumed(copies);
  resumed.load_state_dict(dict);
  EXPECT_EQ(resumed.param_groups()[0].lr(), 0.01);
  EXPECT_TRUE(resumed.param_groups()[0].options_as<optim::AdamOptions>().amsgrad);
  run_steps(adam, params, 5, 10);
  run_steps(resumed, copies, 5, 10);
  for (int j = 0; j < kNumParams; ++j) EXPECT_CLOSE(copies[j].detach(), params[j].detach(), kExact);

  // SGD: momentum buffers only; RMSprop: an int64 step.
  optim::SGD sgd(leaf_params(), optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  for (nb::Tensor& p : sgd.param_groups()[0].params) p.mutable_grad() = nb::ones_like(p);
  sgd.step();
  const nb::StateDict sgd_dict = sgd.state_dict();
  EXPECT_TRUE(sgd_dict.contains("state.4.momentum_buffer"));
  EXPECT_FALSE(sgd_dict.contains("state.0.step"));
  EXPECT_EQ(sgd_dict.at("param_groups.0.nesterov").dtype(), nb::kBool);
  optim::RMSprop rms(leaf_params(nb::kFloat64), optim::RMSpropOptions{.centered = true});
  for (nb::Tensor& p : rms.param_groups()[0].params) p.mutable_grad() = nb::ones_like(p);
  rms.step();
  rms.step();
  const nb::StateDict rms_dict = rms.state_dict();
  EXPECT_EQ(rms_dict.at("state.2.step").dtype(), nb::kInt64);
  EXPECT_EQ(rms_dict.at("state.2.step").item<int64_t>(), 2);
  EXPECT_TRUE(rms_dict.contains("state.0.grad_avg"));
  EXPECT_FALSE(rms_dict.contains("state.0.momentum_buffer"));
  // State converts to the parameters' dtype on load.
  optim::RMSprop rms32(leaf_params(nb::kFloat32), optim::RMSpropOptions{});
  rms32.load_state_dict(rms_dict);
  EXPECT_EQ(rms32.state_dict().at("state.0.square_avg").dtype(), nb::kFloat32);
  EXPECT_TRUE(rms32.param_groups()[0].options_as<optim::RMSpropOptions>().centered);
}

TEST(OptimStateDict, StrictLoadLeavesOptimizerUnchanged) {
  optim::Adam adam(leaf_params(), optim::AdamOptions{.lr = 0.01});
  for (nb::Tensor& p : adam.param_groups()[0].params) p.mutable_grad() = nb::ones_like(p);
  adam.step();
  const nb::StateDict good = adam.state_dict();
  auto with = [&](const std::function<void(nb::StateDict&)>& edit) {
    nb::StateDict d;
    for (const auto& [k, v] : good) d.insert(k, v.clone());
    edit(d);
    return d;
  };
  optim::Adam target(leaf_params(), optim::AdamOptions{.lr = 0.5});
  const nb::StateDict before = target.state_dict();
  struct Bad {
    nb::StateDict dict;
    std::string message;
  };
  std::vector<Bad> bad = {
      {with([](nb::StateDict& d) { d.erase("param_groups.0.eps"); }), "missing key 'param_groups.0.eps'"},
      {with([](nb::StateDict& d) { d.erase("state.3.exp_avg_sq"); }), "missing key 'state.3.exp_avg_sq'"},
      {with([](nb::StateDict& d) { d.erase("state.1.step"); }), "missing key 'state.1.step'"},
      {with([](nb::StateDict& d) { d.insert("state.0.momentum_buffer", nb::zeros({3, 4})); }),
       "unexpected key 'state.0.momentum_buffer'"},
      {with([](nb::StateDict& d) { d.insert("state.9.exp_avg", nb::zeros({3, 4})); }), "unexpected key 'state.9.exp_avg'"},
      {with([](nb::StateDict& d) { d.insert("state.0.exp_avg", nb::zeros({4, 3})); }),
       "'state.0.exp_avg' has shape (4, 3) but parameter 0 has shape (3, 4)"},
      {with([](nb::StateDict& d) { d.insert("param_groups.0.params", nb::tensor({0, 1, 2})); }),
       "doesn't match the size of optimizer's group"},
      {with([](nb::StateDict& d) { d.insert("param_groups.1.lr", nb::full({}, 0.1, nb::kFloat64)); }),
       "different number of parameter groups"},
      {with([](nb::StateDict& d) { d.insert("param_groups.0.lr", nb::full({}, -1.0, nb::kFloat64)); }),
       "Invalid learning rate: -1.0"},
      {with([](nb::StateDict& d) { d.insert("param_groups.0.betas", nb::zeros({3}, nb::kFloat64)); }),
       "'param_groups.0.betas' must hold 2 values"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.message);
    expect_error<nb::ValueError>([&] { target.load_state_dict(b.dict); }, b.message);
    const nb::StateDict after = target.state_dict();
    ASSERT_EQ(after.keys(), before.keys());
    for (const auto& [k, v] : before) EXPECT_CLOSE(after.at(k), v, kExact) << k;
  }
  EXPECT_EQ(target.param_groups()[0].lr(), 0.5);
  target.load_state_dict(good);
  EXPECT_EQ(target.param_groups()[0].lr(), 0.01);
}

TEST(OptimErrors, BadInputRaises) {
  using nb::ValueError;
  auto ps = leaf_params();
  expect_error<ValueError>([&] { optim::SGD(ps, -0.1); }, "SGD: Invalid learning rate: -0.1");
  expect_error<ValueError>([&] { optim::SGD(ps, optim::SGDOptions{.momentum = 0.9}); },
                           "didn't specify a value of required optimization parameter lr");
  // With groups, SGD's lr may come from each group instead of the defaults.
  EXPECT_NO_THROW(optim::SGD({{ps, optim::SGDOptions{.lr = 0.1}}}, optim::SGDOptions{}));
  expect_error<ValueError>([&] { optim::SGD(std::vector<optim::ParamGroup>{ps}, optim::SGDOptions{}); },
                           "didn't specify a value of required optimization parameter lr");
  expect_error<ValueError>([&] { optim::SGD(ps, optim::SGDOptions{.lr = 0.1, .momentum = -1}); },
                           "Invalid momentum value: -1.0");
  expect_error<ValueError>([&] { optim::SGD(ps, optim::SGDOptions{.lr = 0.1, .weight_decay = -1e-5}); },
                           "Invalid weight_decay value: -1e-05");
  expect_error<ValueError>([&] { optim::SGD(ps, optim::SGDOptions{.lr = 0.1, .nesterov = true}); },
                           "Nesterov momentum requires a momentum and zero dampening");
  expect_error<ValueError>(
      [&] { optim::SGD(ps, optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
      "Nesterov momentum requires a momentum and zero dampening");
  expect_error<ValueError>([&] { optim::Adam(ps, optim::AdamOptions{.betas = {1.0, 0.999}}); },
                           "Adam: Invalid beta parameter at index 0: 1.0");
  expect_error<ValueError>([&] { optim::AdamW(ps, optim::AdamWOptions{.betas = {0.9, -0.1}}); },
                           "AdamW: Invalid beta parameter at index 1: -0.1");
  expect_error<ValueError>([&] { optim::Adam(ps, optim::AdamOptions{.eps = -1e-8}); }, "Invalid epsilon value: -1e-08");
  expect_error<ValueError>([&] { optim::Adam(ps, -0.0001); }, "Invalid learning rate: -0.0001");
  expect_error<ValueError>([&] { optim::RMSprop(ps, optim::RMSpropOptions{.alpha = -0.5}); }, "Invalid alpha value: -0.5");
  expect_error<ValueError>([&] { optim::RMSprop(ps, optim::RMSpropOptions{.lr = -100.0}); },
                           "Invalid learning rate: -100.0");
  expect_error<ValueError>([&] { optim::SGD(std::vector<nb::Tensor>{}, 0.1); }, "optimizer got an empty parameter list");
  expect_error<ValueError>([&] { optim::SGD({nb::zeros({2}, nb::kInt64)}, 0.1); },
                           "can only optimize floating-point tensors, but parameter 0 of the group has dtype int64");
  nb::Tensor leaf = nb::ones({2}).requires_grad_(true);
  expect_error<ValueError>([&] { optim::SGD({leaf * 2}, 0.1); }, "can't optimize a non-leaf Tensor");
  expect_error<ValueError>([&] { optim::SGD({leaf, leaf}, 0.1); }, "some parameters appear in more than one parameter group");
  expect_error<ValueError>(
      [&] { optim::SGD({{std::vector<nb::Tensor>{leaf}}, {std::vector<nb::Tensor>{leaf}}}, optim::SGDOptions{.lr = 0.1}); },
      "some parameters appear in more than one parameter group");
  expect_error<nb::TypeError>(
      [&] {
        optim::SGD({{ps, optim::AdamOptions{}}}, optim::SGDOptions{.lr = 0.1});
      },
      "SGD: parameter group 0 has AdamOptions, but this optimizer takes SGDOptions");
  optim::SGD sgd(ps, 0.1);
  expect_error<ValueError>([&] { sgd.add_param_group({{ps[0]}}); }, "some parameters appear in more than one");
  ps[0].mutable_grad() = nb::zeros({4, 3});
  expect_error<nb::RuntimeError>([&] { sgd.step(); }, "SGD.step: parameter 0 is float32 (3, 4) on cpu but its grad is float32 (4, 3)");
  // Scheduler arguments.
  expect_error<ValueError>([&] { sched::LinearLR(sgd, 1.5); }, "Starting multiplicative factor expected to be between 0 and 1.");
  expect_error<ValueError>([&] { sched::StepLR(sgd, 0); }, "step_size must be positive");
}

TEST(OptimBasics, ZeroGradGroupsAndSkippedParams) {
  auto ps = leaf_params();
  optim::SGD sgd(ps, optim::SGDOptions{.lr = 0.5});
  for (nb::Tensor& p : ps) p.mutable_grad() = nb::ones_like(p);
  sgd.zero_grad(/*set_to_none=*/false);
  for (nb::Tensor& p : ps) EXPECT_CLOSE(p.grad(), nb::zeros_like(p), kExact);
  sgd.zero_grad();
  for (nb::Tensor& p : ps) EXPECT_FALSE(p.grad().defined());
  // No grads: step changes nothing.
  const nb::Tensor before = ps[0].detach().clone();
  sgd.step();
  EXPECT_CLOSE(ps[0].detach(), before, kExact);
  // A group added later takes the defaults unless it brings options; lr is per group.
  nb::Tensor extra = nb::ones({3}).requires_grad_(true);
  nb::Tensor other = nb::ones({3}).requires_grad_(true);
  sgd.add_param_group({{extra}});
  sgd.add_param_group({{other}, optim::SGDOptions{.lr = 0.25}});
  ASSERT_EQ(sgd.param_groups().size(), 3u);
  EXPECT_EQ(sgd.param_groups()[1].lr(), 0.5);
  extra.mutable_grad() = nb::ones({3});
  other.mutable_grad() = nb::ones({3});
  sgd.step();
  EXPECT_CLOSE(extra.detach(), nb::full({3}, 0.5), kExact);
  EXPECT_CLOSE(other.detach(), nb::full({3}, 0.75), kExact);
  // step(closure) evaluates the closure with grad mode on and returns its loss.
  nb::Tensor w = nb::full({2}, 2.0).requires_grad_(true);
  optim::SGD sgd2({w}, 0.25);
  nb::Tensor loss;
  {
    nb::NoGradGuard no_grad;
    loss = sgd2.step([&] {
      sgd2.zero_grad();
      nb::Tensor l = (w * w).sum();
      l.backward();
      return l;
    });
  }
  EXPECT_EQ(loss.item<float>(), 8.0f);
  EXPECT_CLOSE(w.detach(), nb::full({2}, 1.0), kExact);  // 2 - 0.25 * 2 * 2
}

TEST(OptimLRScheduler, MatchesPyTorch) {
  struct Case {
    std::string torch;  // over `opt`
    MakeScheduler make;
    bool chained = false;  // a second scheduler (StepLR(opt, 5, 0.5)) steps after the first
  };
  std::vector<Case> cases = {
      {"torch.optim.lr_scheduler.StepLR(opt, 7, 0.5)", [](optim::Optimizer& o) { return std::make_unique<sched::StepLR>(o, 7, 0.5); }},
      {"torch.optim.lr_scheduler.StepLR(opt, 3)", [](optim::Optimizer& o) { return std::make_unique<sched::StepLR>(o, 3); }},
      {"torch.optim.lr_scheduler.MultiStepLR(opt, [3, 8, 8, 20], 0.3)",
       [](optim::Optimizer& o) { return std::make_unique<sched::MultiStepLR>(o, std::vector<int64_t>{3, 8, 8, 20}, 0.3); }},
      {"torch.optim.lr_scheduler.ExponentialLR(opt, 0.93)",
       [](optim::Optimizer& o) { return std::make_unique<sched::ExponentialLR>(o, 0.93); }},
      {"torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10, 0.001)",
       [](optim::Optimizer& o) { return std::make_unique<sched::CosineAnnealingLR>(o, 10, 0.001); }},
      {"torch.optim.lr_scheduler.CosineAnnealingLR(opt, 7)",
       [](optim::Optimizer& o) { return std::make_unique<sched::CosineAnnealingLR>(o, 7); }},
      {"torch.optim.lr_scheduler.LinearLR(opt)", [](optim::Optimizer& o) { return std::make_unique<sched::LinearLR>(o); }},
      {"torch.optim.lr_scheduler.LinearLR(opt, 0.5, 0.9, 10)",
       [](optim::Optimizer& o) { return std::make_unique<sched::LinearLR>(o, 0.5, 0.9, 10); }},
      {"torch.optim.lr_scheduler.ExponentialLR(opt, 0.9)",
       [](optim::Optimizer& o) { return std::make_unique<sched::ExponentialLR>(o, 0.9); }, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.torch);
    const std::string code =
        "w = torch.zeros(1, requires_grad=True)\n"
        "v = torch.zeros(2, requires_grad=True)\n"
        "opt = torch.optim.SGD([{'params': [w]}, {'params': [v], 'lr': 0.37}], lr=0.1)\n"
        "sch = " + c.torch + "\n" + (c.chained ? "sch2 = torch.optim.lr_scheduler.StepLR(opt, 5, 0.5)\n" : "") +
        "lrs = [[g['lr'] for g in opt.param_groups]]\n"
        "for _ in range(30):\n"
        "    opt.step()\n"
        "    sch.step()\n" + (c.chained ? "    sch2.step()\n" : "") +
        "    lrs.append([g['lr'] for g in opt.param_groups])\n"
        "out = torch.tensor(lrs, dtype=torch.float64)\n";
    const nb::Tensor expected = run_python(code, {}).value();

    nb::Tensor w = nb::zeros({1}).requires_grad_(true), v = nb::zeros({2}).requires_grad_(true);
    optim::SGD opt({{std::vector<nb::Tensor>{w}}, {std::vector<nb::Tensor>{v}, optim::SGDOptions{.lr = 0.37}}},
                   optim::SGDOptions{.lr = 0.1});
    auto scheduler = c.make(opt);
    std::unique_ptr<sched::StepLR> second = c.chained ? std::make_unique<sched::StepLR>(opt, 5, 0.5) : nullptr;
    std::vector<double> lrs = {opt.param_groups()[0].lr(), opt.param_groups()[1].lr()};
    for (int s = 0; s < 30; ++s) {
      opt.step();
      scheduler->step();
      if (second) second->step();
      lrs.push_back(opt.param_groups()[0].lr());
      lrs.push_back(opt.param_groups()[1].lr());
      if (!second) EXPECT_EQ(scheduler->get_last_lr(), (std::vector<double>{lrs[lrs.size() - 2], lrs.back()}));
    }
    EXPECT_CLOSE(nb::tensor(lrs, nb::kFloat64).view({31, 2}), expected, kExact);
  }
  // A scheduler driving Adam over a trajectory.
  const Trajectory t = make_trajectory(nb::kFloat32, 15, 31);
  const auto expected = torch_run(t, "torch.optim.Adam(ps, lr=0.01)", "torch.optim.lr_scheduler.CosineAnnealingLR(opt, 6)");
  const auto actual = nabla_run(t, make<optim::Adam>(optim::AdamOptions{.lr = 0.01}),
                                [](optim::Optimizer& o) { return std::make_unique<sched::CosineAnnealingLR>(o, 6); });
  for (int j = 0; j < kNumParams; ++j) EXPECT_CLOSE(actual[j], expected[j], kExact);
}

TEST(OptimClipGrad, MatchesPyTorch) {
  const std::vector<nb::DimVector> shapes = {{3, 4}, {}, {50}, {2, 0}};
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64}) {
    for (double norm_type : {2.0, 1.0, double(INFINITY), 3.0}) {
      for (double max_norm : {0.5, 100.0}) {
        SCOPED_TRACE(std::string(nb::dtype_name(dtype)) + " norm_type " + std::to_string(norm_type) + " max_norm " +
                     std::to_string(max_norm));
        // The infinity norm of an empty grad raises in PyTorch: leave that parameter out there.
        const size_t count = std::isinf(norm_type) ? 3 : 4;
        std::vector<nb::Tensor> params, grads;
        for (size_t k = 0; k < count; ++k) {
          params.push_back(nb::zeros(shapes[k], dtype).requires_grad_(true));
          grads.push_back(oracle::random_tensor(shapes[k], dtype, 70 + k, -1, 1));
          params.back().mutable_grad() = grads.back().clone();
        }
        std::string names = "[a, b, c" + std::string(count == 4 ? ", d]" : "]");
        const std::string code =
            "ps = [torch.zeros_like(t, requires_grad=True) for t in " + names + "]\n"
            "for p, t in zip(ps, " + names + "): p.grad = t.clone()\n"
            "n = torch.nn.utils.clip_grad_norm_(ps, " + std::to_string(max_norm) + ", norm_type=float('" +
            std::to_string(norm_type) + "'))\n"
            "out = [n] + [p.grad for p in ps]\n";
        const auto expected = run_python(code, grads).outputs;
        ASSERT_EQ(expected.size(), count + 1);
        const nb::Tensor total = nb::nn::utils::clip_grad_norm_(params, max_norm, norm_type);
        EXPECT_CLOSE(total, expected[0]);
        for (size_t k = 0; k < count; ++k) EXPECT_CLOSE(params[k].grad(), expected[k + 1]) << "grad " << k;
      }
    }
  }
  // clip_grad_value_, a single tensor, no grads, and a non-finite norm.
  nb::Tensor p = nb::zeros({20}).requires_grad_(true);
  const nb::Tensor g = oracle::random_tensor({20}, nb::kFloat32, 90, -2, 2);
  p.mutable_grad() = g.clone();
  nb::nn::utils::clip_grad_value_(p, 0.75);
  EXPECT_CLOSE(p.grad(), oracle::eval("a.clamp(-0.75, 0.75)", {g}).value(), kExact);
  nb::Tensor no_grad = nb::zeros({3}).requires_grad_(true);
  EXPECT_CLOSE(nb::nn::utils::clip_grad_norm_({no_grad}, 1.0), nb::full({}, 0.0f), kExact);
  p.mutable_grad() = nb::tensor({1.0f, INFINITY});
  expect_error<nb::RuntimeError>([&] { nb::nn::utils::clip_grad_norm_(p, 1.0, 2.0, /*error_if_nonfinite=*/true); },
                                 "is non-finite, so it cannot be clipped");
}
