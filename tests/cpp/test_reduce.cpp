// Reductions, scans and softmax against PyTorch: every op over random shapes (0-d, size-1 and
// zero-size dims included), dim lists with negative dims, keepdim, dtypes, strided inputs,
// result dtypes, indices, and the errors PyTorch raises.
#include <cmath>
#include <limits>

#include <omp.h>

#include "oracle.hpp"

namespace nb = nabla;

namespace {

// Several nabla results checked against one oracle call: the torch expressions are evaluated as
// one tuple, so a whole batch costs one round trip.
struct Batch {
  struct Check {
    std::string expr;
    nb::Tensor got;
    std::optional<oracle::Tolerance> tol;
  };
  std::vector<Check> checks;

  void add(std::string expr, nb::Tensor got, std::optional<oracle::Tolerance> tol = std::nullopt) {
    checks.push_back({std::move(expr), std::move(got), tol});
  }
  // For ops returning (values, indices): the torch expression gives a pair.
  void add_pair(const std::string& expr, const std::tuple<nb::Tensor, nb::Tensor>& got) {
    checks.push_back({"*" + expr, std::get<0>(got), std::nullopt});
    checks.push_back({"", std::get<1>(got), std::nullopt});
  }
  void verify(const std::vector<nb::Tensor>& inputs, const std::string& context) {
    std::string joined = "(";
    for (const auto& c : checks)
      if (!c.expr.empty()) joined += c.expr + ", ";
    joined += ")";
    oracle::Result r = oracle::eval(joined, inputs);
    ASSERT_TRUE(r.ok) << context << ": torch raised " << r.error_type << ": " << r.error_message;
    ASSERT_EQ(r.outputs.size(), checks.size()) << context;
    for (size_t i = 0; i < checks.size(); ++i) {
      const std::string& expr = checks[i].expr.empty() ? checks[i - 1].expr + " [indices]" : checks[i].expr;
      EXPECT_TRUE(oracle::close(checks[i].got, r.outputs[i], checks[i].tol)) << context << ": " << expr;
    }
    checks.clear();
  }
};

std::string tuple_str(const std::vector<int64_t>& dims) {
  std::string s = "(";
  for (int64_t d : dims) s += std::to_string(d) + ",";
  return s + ")";
}

std::string py_bool(bool b) { return b ? "True" : "False"; }

std::string torch_dtype(nb::DType t) { return "torch." + std::string(nb::dtype_name(t)); }

// Dim lists worth trying on an ndim-dim tensor (empty = all dims).
std::vector<std::vector<int64_t>> dim_lists(int64_t ndim) {
  if (ndim == 0) return {{}, {0}, {-1}};
  std::vector<std::vector<int64_t>> lists = {{}, {0}, {-1}};
  if (ndim >= 2) lists.insert(lists.end(), {{1}, {-1, 0}, {0, 1}});
  if (ndim >= 3) lists.insert(lists.end(), {{0, 2}, {-2}, {2, 1}});
  return lists;
}

const std::vector<std::vector<int64_t>> kShapes = {{}, {1}, {7}, {3, 4}, {1, 5}, {2, 1, 3}, {4, 0, 3}, {3, 5, 6}, {2, 3, 4, 5}, {0}, {37, 65}};

// The input in its three layouts: contiguous, transposed storage, stepped slice.
std::vector<nb::Tensor> layouts(const nb::Tensor& x) { return {x, oracle::strided_copy(x, 0), oracle::strided_copy(x, 1)}; }

std::string context(const nb::Tensor& x, size_t layout) {
  return "shape " + oracle::str("tuple(a.shape)", {x}) + " " + std::string(nb::dtype_name(x.dtype())) + " layout " +
         std::to_string(layout);
}

// Sums of many float16/bfloat16 values round once at the end in both libraries, but a different
// summation order can move the float sum across a rounding boundary: one ulp of the result.
oracle::Tolerance sum_tolerance(nb::DType t) { return oracle::tolerance_for(t, 2e-6, 2e-5); }

}  // namespace

TEST(Reduce, SumMeanProdMatchTorch) {
  uint64_t seed = 1;
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kBFloat16, nb::kInt32, nb::kInt64, nb::kUInt8,
                          nb::kBool}) {
    for (const auto& shape : kShapes) {
      nb::Tensor base = oracle::random_tensor(shape, dtype, seed++);
      // Products of many values over/underflow: a narrow range keeps them meaningful.
      nb::Tensor small = oracle::random_tensor(shape, dtype, seed++, 0.5, 1.6);
      auto xs = layouts(base), ss = layouts(small);
      for (size_t l = 0; l < xs.size(); ++l) {
        const nb::Tensor& x = xs[l];
        const nb::Tensor& s = ss[l];
        Batch batch;
        const bool floating = nb::is_floating(dtype);
        // 16-bit floats: torch 1.13 has no CPU prod for them, and its multi-dim sums round partial
        // sums to 16 bits between dims; the reference is the float32 result rounded once, which
        // is what accumulating in float (as both libraries intend) gives.
        const bool half = dtype == nb::kFloat16 || dtype == nb::kBFloat16;
        const std::string a = half ? "a.float()" : "a", b = half ? "b.float()" : "b", back = half ? ".to(a.dtype)" : "";
        auto ref = [&](const std::string& fn, const std::string& arg, const std::string& rest) {
          return "torch." + fn + "(" + arg + rest + ")" + back;
        };
        batch.add(ref("sum", a, ""), x.sum(), sum_tolerance(dtype));
        batch.add(ref("prod", b, ""), s.prod(), sum_tolerance(dtype));
        if (floating) batch.add(ref("mean", a, ""), x.mean(), sum_tolerance(dtype));
        batch.add("torch.sum(a, dtype=torch.float64)", x.sum(nb::kFloat64));
        for (const auto& dims : dim_lists(x.dim())) {
          for (bool keepdim : {false, true}) {
            const std::string args = ", " + tuple_str(dims) + ", keepdim=" + py_bool(keepdim);
            const nb::Dims d = nb::IntArrayRef(dims);
            batch.add(ref("sum", a, args), x.sum(d, keepdim), sum_tolerance(dtype));
            if (floating) batch.add(ref("mean", a, args), x.mean(d, keepdim), sum_tolerance(dtype));
            else batch.add("torch.mean(a" + args + ", dtype=torch.float32)", x.mean(d, keepdim, nb::kFloat32));
            if (dims.size() == 1)
              batch.add(ref("prod", b, ", " + std::to_string(dims[0]) + ", keepdim=" + py_bool(keepdim)),
                        s.prod(dims[0], keepdim), sum_tolerance(dtype));
          }
        }
        batch.verify({x, s}, context(x, l));
      }
    }
  }
}

TEST(Reduce, MaxMinArgMatchTorch) {
  uint64_t seed = 100;
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kBFloat16, nb::kInt32, nb::kInt64, nb::kUInt8,
                          nb::kBool}) {
    for (const auto& shape : kShapes) {
      // Few distinct values, so ties are common and the first occurrence must win.
      nb::Tensor base = oracle::random_tensor(shape, nb::kInt64, seed++, -3, 3).to(dtype);
      auto xs = layouts(base);
      for (size_t l = 0; l < xs.size(); ++l) {
        const nb::Tensor& x = xs[l];
        Batch batch;
        const bool nonempty = x.numel() > 0;
        const bool arg_ok = dtype != nb::kBool;
        if (nonempty) {
          batch.add("torch.max(a)", x.max());
          batch.add("torch.min(a)", x.min());
          if (arg_ok) {
            batch.add("torch.argmax(a)", x.argmax());
            batch.add("torch.argmin(a, keepdim=True)", x.argmin(std::nullopt, true));
          }
        }
        for (const auto& dims : dim_lists(x.dim())) {
          bool empty_dim = false;
          for (int64_t d : dims) empty_dim |= x.dim() > 0 && x.size(d) == 0;
          if (empty_dim || (dims.empty() && !nonempty)) continue;
          for (bool keepdim : {false, true}) {
            const std::string kd = ", keepdim=" + py_bool(keepdim) + ")";
            const nb::Dims d = nb::IntArrayRef(dims);
            batch.add("torch.amax(a, " + tuple_str(dims) + kd, x.amax(d, keepdim));
            batch.add("torch.amin(a, " + tuple_str(dims) + kd, x.amin(d, keepdim));
            if (dims.size() != 1) continue;
            const std::string dim = std::to_string(dims[0]);
            batch.add_pair("torch.max(a, " + dim + kd, x.max(dims[0], keepdim));
            batch.add_pair("torch.min(a, " + dim + kd, x.min(dims[0], keepdim));
            if (arg_ok) {
              batch.add("torch.argmax(a, " + dim + kd, x.argmax(dims[0], keepdim));
              batch.add("torch.argmin(a, " + dim + kd, x.argmin(dims[0], keepdim));
            }
          }
        }
        if (!batch.checks.empty()) batch.verify({x}, context(x, l));
      }
    }
  }
}

TEST(Reduce, NaNPropagatesAndArgPicksTheFirstNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kBFloat16}) {
    nb::Tensor x = nb::tensor({{1.0, nan, 5.0, nan}, {2.0, 7.0, -1.0, 7.0}, {nan, 3.0, 3.0, 0.0}}).to(dtype);
    nb::Tensor big = oracle::random_tensor({3, 5000}, dtype, 7);
    big.select(0, 1).narrow(0, 4321, 1).fill_(nan);
    big.select(0, 1).narrow(0, 4500, 1).fill_(nan);
    for (const nb::Tensor& t : {x, x.t(), big, big.t()}) {
      Batch batch;
      batch.add("torch.max(a)", t.max());
      batch.add("torch.min(a)", t.min());
      batch.add("torch.amax(a, (0,))", t.amax(0));
      batch.add("torch.amin(a, (1,))", t.amin(1));
      batch.add_pair("torch.max(a, 1)", t.max(1));
      batch.add_pair("torch.min(a, 0)", t.min(0));
      batch.add("torch.argmax(a)", t.argmax());
      batch.add("torch.argmin(a, 1)", t.argmin(1));
      batch.add("torch.argmax(a, 0)", t.argmax(0));
      batch.add("torch.sum(a, 1)", t.sum(1), sum_tolerance(dtype));
      // torch 1.13 has no float16 logsumexp on the CPU.
      batch.add(dtype == nb::kFloat16 ? "torch.logsumexp(a.float(), 1).half()" : "torch.logsumexp(a, 1)", t.logsumexp(1),
                sum_tolerance(dtype));
      batch.add("torch.norm(a, float('inf'), 1)", t.norm(INFINITY, 1));
      batch.verify({t}, std::string(nb::dtype_name(dtype)) + " " + oracle::str("tuple(a.shape)", {t}));
    }
  }
}

TEST(Reduce, VarStdNormLogsumexpMatchTorch) {
  uint64_t seed = 200;
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kBFloat16}) {
    for (const auto& shape : kShapes) {
      auto xs = layouts(oracle::random_tensor(shape, dtype, seed++));
      for (size_t l = 0; l < xs.size(); ++l) {
        const nb::Tensor& x = xs[l];
        const auto tol = oracle::tolerance_for(dtype, 1e-5, 1e-5);
        // 16-bit floats: torch 1.13 has no float16 logsumexp on the CPU and accumulates their norms in
        // 16 bits (a 0-norm of 2405 elements gives 2048); the reference is float32 rounded back.
        const bool half = dtype == nb::kFloat16 || dtype == nb::kBFloat16;
        const std::string a = half ? "a.float()" : "a", back = half ? ".to(a.dtype)" : "";
        Batch batch;
        batch.add("torch.var(" + a + ")" + back, x.var(), tol);
        batch.add("torch.std(" + a + ", dim=None, correction=0)" + back, x.std({}, 0.0), tol);
        for (double p : {2.0, 1.0, 0.0, 3.0, 0.5, double(INFINITY), -double(INFINITY)}) {
          const std::string ps = std::isinf(p) ? (p > 0 ? "float('inf')" : "float('-inf')") : std::to_string(p);
          batch.add("torch.norm(" + a + ", " + ps + ")" + back, x.norm(p), tol);
          if (x.dim() >= 1) batch.add("torch.norm(" + a + ", " + ps + ", -1, keepdim=True)" + back, x.norm(p, -1, true), tol);
        }
        for (const auto& dims : dim_lists(x.dim())) {
          const nb::Dims d = nb::IntArrayRef(dims);
          const std::string ds = tuple_str(dims);
          if (!dims.empty()) batch.add("torch.norm(" + a + ", 2, " + ds + ")" + back, x.norm(2, d), tol);
          batch.add("torch.var(" + a + ", " + ds + ", keepdim=True)" + back, x.var(d, 1, true), tol);
          batch.add("torch.std(" + a + ", " + ds + ", correction=2)" + back, x.std(d, 2), tol);
          if (!dims.empty()) batch.add("torch.logsumexp(" + a + ", " + ds + ")" + back, x.logsumexp(d), tol);
          batch.add("torch.logsumexp(" + a + ", " + ds + ", keepdim=True)" + back, x.logsumexp(d, true), tol);
        }
        // torch 1.13's logsumexp rejects an empty dim list; the empty list means all dims, as for sum.
        batch.add("torch.logsumexp(" + a + ".reshape(-1), 0)" + back, x.logsumexp({}), tol);
        batch.verify({x}, context(x, l));
      }
    }
  }
  // Large values: var must not lose precision to cancellation.
  nb::Tensor offset = oracle::random_tensor({1000, 3}, nb::kFloat32, 9, 1e4, 1e4 + 1);
  Batch batch;
  batch.add("torch.var(a, 0)", offset.var(0), oracle::Tolerance{1e-4, 1e-6});
  batch.add("torch.std(a)", offset.std(), oracle::Tolerance{1e-4, 1e-6});
  batch.verify({offset}, "var of offset values");
}

TEST(Reduce, AllAnyMatchTorch) {
  uint64_t seed = 300;
  for (nb::DType dtype : {nb::kBool, nb::kUInt8, nb::kInt32, nb::kFloat32, nb::kFloat16}) {
    for (const auto& shape : kShapes) {
      // Mostly nonzero, so all() is not trivially false.
      nb::Tensor base = oracle::random_tensor(shape, nb::kFloat64, seed++, -0.3, 12).to(nb::kInt64).to(dtype);
      auto xs = layouts(base);
      for (size_t l = 0; l < xs.size(); ++l) {
        const nb::Tensor& x = xs[l];
        Batch batch;
        batch.add("torch.all(a)", x.all());
        batch.add("torch.any(a)", x.any());
        for (const auto& dims : dim_lists(x.dim())) {
          if (dims.size() != 1) continue;
          for (bool keepdim : {false, true}) {
            const std::string args = std::to_string(dims[0]) + ", keepdim=" + py_bool(keepdim) + ")";
            batch.add("torch.all(a, " + args, x.all(dims[0], keepdim));
            batch.add("torch.any(a, " + args, x.any(dims[0], keepdim));
          }
        }
        batch.verify({x}, context(x, l));
      }
    }
  }
}

TEST(Scan, CumsumCumprodMatchTorch) {
  uint64_t seed = 400;
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kInt32, nb::kInt64, nb::kUInt8, nb::kBool, nb::kFloat16,
                          nb::kBFloat16}) {
    for (const auto& shape : kShapes) {
      auto xs = layouts(oracle::random_tensor(shape, dtype, seed++, -2, 2));
      for (size_t l = 0; l < xs.size(); ++l) {
        const nb::Tensor& x = xs[l];
        // torch 1.13 has no CPU scans for 16-bit floats: they are checked against float32 scans
        // rounded back, which is what accumulating in float gives.
        const bool half = dtype == nb::kFloat16 || dtype == nb::kBFloat16;
        const std::string a = half ? "a.float()" : "a", back = half ? ".to(a.dtype)" : "";
        Batch batch;
        for (int64_t d = -std::max<int64_t>(x.dim(), 1); d < std::max<int64_t>(x.dim(), 1); ++d) {
          const std::string ds = std::to_string(d);
          batch.add("torch.cumsum(" + a + ", " + ds + ")" + back, x.cumsum(d));
          batch.add("torch.cumprod(" + a + ", " + ds + ")" + back, x.cumprod(d), oracle::tolerance_for(dtype, 1e-5));
          batch.add("torch.cumsum(a, " + ds + ", dtype=torch.float64)", x.cumsum(d, nb::kFloat64));
          if (!nb::is_floating(dtype)) batch.add("torch.cumsum(a, " + ds + ", dtype=torch.int32)", x.cumsum(d, nb::kInt32));
        }
        batch.verify({x}, context(x, l));
      }
    }
  }
}

TEST(Softmax, SoftmaxLogSoftmaxMatchTorch) {
  uint64_t seed = 500;
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kBFloat16, nb::kInt64}) {
    for (const auto& shape : kShapes) {
      auto xs = layouts(oracle::random_tensor(shape, dtype, seed++, -20, 20));
      for (size_t l = 0; l < xs.size(); ++l) {
        const nb::Tensor& x = xs[l];
        const bool half = dtype == nb::kFloat16 || dtype == nb::kBFloat16;
        Batch batch;
        for (int64_t d = -std::max<int64_t>(x.dim(), 1); d < std::max<int64_t>(x.dim(), 1); ++d) {
          const std::string ds = std::to_string(d);
          if (dtype == nb::kInt64) {
            batch.add("torch.softmax(a, " + ds + ", dtype=torch.float32)", x.softmax(d, nb::kFloat32));
            batch.add("torch.log_softmax(a, " + ds + ", dtype=torch.float64)", x.log_softmax(d, nb::kFloat64));
          } else if (half) {
            batch.add("torch.softmax(a.float(), " + ds + ").to(a.dtype)", x.softmax(d));
            batch.add("torch.log_softmax(a.float(), " + ds + ").to(a.dtype)", x.log_softmax(d));
          } else {
            batch.add("torch.softmax(a, " + ds + ")", x.softmax(d));
            batch.add("torch.log_softmax(a, " + ds + ")", x.log_softmax(d));
            batch.add("torch.softmax(a, " + ds + ", dtype=torch.float64)", x.softmax(d, nb::kFloat64));
          }
        }
        batch.verify({x}, context(x, l));
      }
    }
  }
  // Numerically stable: huge logits, and -inf entries.
  nb::Tensor x = nb::tensor({{1000.0f, 1001.0f, -INFINITY}, {-1000.0f, -1e30f, -999.0f}});
  Batch batch;
  batch.add("torch.softmax(a, 1)", x.softmax(1));
  batch.add("torch.log_softmax(a, 1)", x.log_softmax(1));
  batch.add("torch.log_softmax(a, 0)", x.log_softmax(0));
  batch.add("torch.logsumexp(a, 1)", x.logsumexp(1));
  batch.verify({x}, "extreme logits");
}

TEST(Reduce, ResultDtypesMatchTorch) {
  nb::Tensor i32 = nb::tensor({1, 2, 3}).to(nb::kInt32), u8 = nb::tensor({1, 0, 3}).to(nb::kUInt8);
  nb::Tensor b = nb::tensor({true, true, false}), f = nb::tensor({1.5f, -2.0f, 3.0f});
  Batch batch;
  batch.add("torch.sum(a)", i32.sum());
  batch.add("torch.sum(b, 0)", u8.sum(0));
  batch.add("torch.sum(c)", b.sum());
  batch.add("torch.sum(a, dtype=torch.int32)", i32.sum(nb::kInt32));
  batch.add("torch.sum(d, dtype=torch.int64)", f.sum(nb::kInt64));
  batch.add("torch.sum(d, dtype=torch.float16)", f.sum(nb::kFloat16));
  batch.add("torch.prod(b)", u8.prod());
  batch.add("torch.prod(c)", b.prod());
  batch.add("torch.mean(a, dtype=torch.float16)", i32.mean(nb::kFloat16));
  batch.add("torch.mean(a, (0,), dtype=torch.float64)", i32.mean(0, false, nb::kFloat64));
  batch.add("torch.all(b)", u8.all());
  batch.add("torch.any(b, 0)", u8.any(0));
  batch.add("torch.all(a)", i32.all());
  batch.add("torch.any(d)", f.any());
  batch.add("torch.logsumexp(a, 0)", i32.logsumexp(0));
  batch.add("torch.logsumexp(c, 0)", b.logsumexp(0));
  batch.add("torch.cumsum(c, 0)", b.cumsum(0));
  batch.add("torch.cumprod(b, 0)", u8.cumprod(0));
  batch.add("torch.cumsum(a, 0, dtype=torch.float32)", i32.cumsum(0, nb::kFloat32));
  batch.add("torch.amax(c, 0)", b.amax(0));
  batch.add_pair("torch.max(c, 0)", b.max(0));
  batch.add("torch.max(b)", u8.max());
  batch.add("torch.sum(torch.zeros(0, 3))", nb::zeros({0, 3}).sum());
  batch.add("torch.prod(torch.zeros(0, 3), 0)", nb::zeros({0, 3}).prod(0));
  batch.add("torch.mean(torch.zeros(0, 3), 0)", nb::zeros({0, 3}).mean(0));
  batch.add("torch.var(torch.zeros(0, 3), 0)", nb::zeros({0, 3}).var(0));
  batch.add("torch.var(torch.ones(1))", nb::ones({1}).var());
  batch.add("torch.norm(torch.zeros(0, 3), float('-inf'))", nb::zeros({0, 3}).norm(-INFINITY));
  batch.add("torch.logsumexp(torch.zeros(2, 0), 1)", nb::zeros({2, 0}).logsumexp(1));
  batch.add("torch.all(torch.zeros(2, 0), 1)", nb::zeros({2, 0}).all(1));
  batch.add("torch.max(torch.zeros(0, 3), 1)[0]", std::get<0>(nb::zeros({0, 3}).max(1)));
  batch.verify({i32, u8, b, f}, "dtypes");
}

TEST(Reduce, ErrorsMatchTorch) {
  nb::Tensor x = oracle::random_tensor({2, 3}, nb::kFloat32, 1);
  nb::Tensor i = nb::tensor({{1, 2, 3}, {4, 5, 6}});
  nb::Tensor empty = nb::zeros({0, 3});
  struct Case {
    std::string torch_expr;
    std::function<void()> fn;
    std::string error_type;  // nabla's, matching PyTorch's Python exception
    std::vector<std::string> message_parts;
  };
  auto expect = [](const Case& c, const std::vector<nb::Tensor>& inputs) {
    SCOPED_TRACE(c.torch_expr);
    oracle::Result r = oracle::eval(c.torch_expr, inputs);
    EXPECT_FALSE(r.ok) << "torch did not raise";
    EXPECT_EQ(r.error_type, c.error_type);
    try {
      c.fn();
      ADD_FAILURE() << "nabla did not raise";
    } catch (const nb::Error& e) {
      const std::string kind = dynamic_cast<const nb::IndexError*>(&e)     ? "IndexError"
                               : dynamic_cast<const nb::RuntimeError*>(&e) ? "RuntimeError"
                               : dynamic_cast<const nb::TypeError*>(&e)    ? "TypeError"
                                                                           : "other";
      EXPECT_EQ(kind, c.error_type) << e.what();
      for (const auto& part : c.message_parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  std::vector<Case> cases = {
      {"torch.sum(a, 2)", [&] { x.sum(2); }, "IndexError", {"sum", "[-2, 1]", "got 2"}},
      {"torch.sum(a, (0, -2))", [&] { x.sum({0, -2}); }, "RuntimeError", {"sum", "dim 0 appears multiple times"}},
      {"torch.mean(b)", [&] { i.mean(); }, "RuntimeError", {"mean()", "int64", "kFloat32"}},
      {"torch.mean(a, dtype=torch.int64)", [&] { x.mean(nb::kInt64); }, "RuntimeError", {"mean()", "int64"}},
      {"torch.max(c)", [&] { empty.max(); }, "RuntimeError", {"max(): Expected reduction dim to be specified", "'dim'"}},
      {"torch.min(c)", [&] { empty.min(); }, "RuntimeError", {"min()"}},
      {"torch.max(c, 0)", [&] { empty.max(0); }, "IndexError", {"max(): Expected reduction dim 0 to have non-zero size"}},
      {"torch.amax(c, 0)", [&] { empty.amax(0); }, "IndexError", {"amax()", "dim 0"}},
      {"torch.argmax(c)", [&] { empty.argmax(); }, "IndexError", {"argmax()", "input.numel() == 0"}},
      {"torch.argmin(c, 0)", [&] { empty.argmin(0); }, "IndexError", {"argmin()", "dim 0"}},
      {"torch.argmax(a > 0)", [&] { nb::tensor({true, false}).argmax(); }, "RuntimeError", {"argmax", "bool"}},
      {"torch.var(b)", [&] { i.var(); }, "RuntimeError", {"var", "int64"}},
      {"torch.std(b, 0)", [&] { i.std(0); }, "RuntimeError", {"std", "int64"}},
      {"torch.norm(b)", [&] { i.norm(); }, "RuntimeError", {"norm", "int64"}},
      {"torch.softmax(b, 0)", [&] { i.softmax(0); }, "RuntimeError", {"softmax", "int64", "dtype="}},
      {"torch.log_softmax(a, 3)", [&] { x.log_softmax(3); }, "IndexError", {"log_softmax", "got 3"}},
      {"torch.cumsum(a, -3)", [&] { x.cumsum(-3); }, "IndexError", {"cumsum", "got -3"}},
      {"torch.prod(a, 5)", [&] { x.prod(5); }, "IndexError", {"prod"}},
      {"torch.all(a, 2)", [&] { x.all(2); }, "IndexError", {"all"}},
      {"torch.logsumexp(a, (1, 1))", [&] { x.logsumexp({1, 1}); }, "RuntimeError", {"logsumexp", "dim 1"}},
      {"torch.sum(torch.tensor(3.), (0, -1))", [&] { nb::tensor(3.0).sum({0, -1}); }, "RuntimeError", {"appears multiple"}},
  };
  for (const auto& c : cases) expect(c, {x, i, empty});
}

TEST(Reduce, LargeInputsAccurateAndThreadCountIndependent) {
  const int threads = omp_get_max_threads();
  nb::Tensor big = oracle::random_tensor({1 << 20}, nb::kFloat32, 11, 0, 1);
  nb::Tensor cols = oracle::random_tensor({3000, 70}, nb::kFloat32, 12);
  nb::Tensor few = oracle::random_tensor({300000, 3}, nb::kFloat32, 13);
  auto results = [&] {
    return std::vector<nb::Tensor>{big.sum(),         big.mean(),         big.view({1024, 1024}).sum(1),
                                   cols.sum(0),       cols.t().sum(1),    few.sum(0),
                                   few.amax(0),       big.argmax(),       few.argmin(0),
                                   big.var(),         few.std(nb::Dims(0)),         big.norm(),
                                   big.logsumexp(0),  cols.logsumexp(0),  big.cumsum(0)};
  };
  const char* exprs[] = {"a.sum()",   "a.mean()",         "a.view(1024, 1024).sum(1)", "b.sum(0)",      "b.t().sum(1)",
                         "c.sum(0)",  "c.amax(0)",        "a.argmax()",                "c.argmin(0)",   "a.var()",
                         "c.std(0)",  "a.double().norm().float()",         "a.logsumexp(0)",            "b.logsumexp(0)", "a.cumsum(0)"};
  std::vector<nb::Tensor> parallel = results();
  omp_set_num_threads(1);
  std::vector<nb::Tensor> serial = results();
  omp_set_num_threads(threads);
  Batch batch;
  for (size_t k = 0; k < parallel.size(); ++k) {
    EXPECT_TRUE(oracle::close(parallel[k], serial[k], oracle::Tolerance{0, 0})) << "thread count changed " << exprs[k];
    // Pairwise float sums of thousands to millions of values stay within a few ulp of torch's
    // (columns of 3000 values in [-4, 4] carry rounding errors of a few 1e-5 in both libraries).
    batch.add(exprs[k], parallel[k], oracle::Tolerance{2e-6, 1e-4});
  }
  batch.verify({big, cols, few}, "large");
}
