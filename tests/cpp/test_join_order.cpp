// cat, stack, flip, roll, sort, argsort, topk and unique against PyTorch.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "oracle.hpp"

namespace nb = nabla;

namespace {

const oracle::Tolerance kExact{0, 0};

std::string torch_dtype(nb::DType d) { return "torch." + std::string(nb::dtype_name(d)); }
std::string py_bool(bool b) { return b ? "True" : "False"; }
std::string py_list(nb::IntArrayRef v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}
// "a, b, c": the names the oracle binds the first n inputs to.
std::string names(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::string(1, char('a' + i));
  return s;
}

// Every other test input is laid out non-contiguously.
nb::Tensor maybe_strided(const nb::Tensor& t, uint64_t seed) { return seed % 2 ? oracle::strided_copy(t, seed) : t; }

// Distinct values in a shuffled order: data on which the order of ties cannot matter.
nb::Tensor tie_free(nb::IntArrayRef sizes, nb::DType dtype, uint64_t seed) {
  nb::Tensor t = nb::empty(sizes, nb::kFloat64);
  double* p = t.data_ptr<double>();
  std::iota(p, p + t.numel(), -double(t.numel() / 2));
  std::shuffle(p, p + t.numel(), std::mt19937_64(seed));
  return t.to(dtype);
}

// A float tensor with NaNs and infinities sprinkled in.
nb::Tensor with_nans(nb::IntArrayRef sizes, nb::DType dtype, uint64_t seed) {
  nb::Tensor t = oracle::random_tensor(sizes, nb::kFloat64, seed);
  double* p = t.data_ptr<double>();
  std::mt19937_64 rng(seed);
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity()};
  for (int64_t i = 0; i < t.numel(); ++i)
    if (rng() % 5 == 0) p[i] = specials[rng() % 3];
  return t.to(dtype);
}

// `fn` raises E with a message containing `needle`, and PyTorch raises `torch_error` for `expr`.
template <typename E, typename F>
void expect_error(const F& fn, const std::string& needle, const std::string& expr, const std::vector<nb::Tensor>& in,
                  const std::string& torch_error) {
  SCOPED_TRACE(expr);
  auto r = oracle::eval(expr, in);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_type, torch_error);
  try {
    fn();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

}  // namespace

TEST(Join, CatMatchesTorch) {
  struct Case {
    std::vector<nb::DimVector> shapes;
    std::vector<nb::DType> dtypes;
    int64_t dim;
  };
  const std::vector<Case> cases = {
      {{{2, 3}, {4, 3}}, {nb::kFloat32, nb::kFloat32}, 0},
      {{{2, 3}, {2, 5}, {2, 1}}, {nb::kFloat64, nb::kFloat64, nb::kFloat64}, -1},
      {{{2, 0, 3}, {2, 4, 3}, {2, 2, 3}}, {nb::kInt64, nb::kInt64, nb::kInt64}, 1},
      {{{3, 2, 2}, {1, 2, 2}}, {nb::kFloat16, nb::kBFloat16}, -3},
      {{{4}, {0}, {3}}, {nb::kInt32, nb::kFloat64, nb::kInt32}, 0},
      {{{0}, {2, 2}, {0}, {2, 3}}, {nb::kInt8, nb::kUInt8, nb::kFloat32, nb::kUInt8}, 1},
      {{{2, 2}, {2, 2}, {2, 1}}, {nb::kBool, nb::kUInt8, nb::kInt8}, 1},
      {{{3, 4}, {3, 4}}, {nb::kBool, nb::kBool}, 0},
      {{{5, 2, 3}, {5, 1, 3}}, {nb::kInt64, nb::kFloat16}, 1},
      {{{0, 2}, {3, 2}}, {nb::kFloat32, nb::kInt32}, 0},
      {{{2, 2}}, {nb::kFloat32}, 1},
  };
  uint64_t seed = 0;
  for (const Case& c : cases) {
    std::vector<nb::Tensor> in;
    for (size_t i = 0; i < c.shapes.size(); ++i) {
      ++seed;
      in.push_back(maybe_strided(oracle::random_tensor(c.shapes[i], c.dtypes[i], seed), seed));
    }
    const std::string expr = "torch.cat([" + names(in.size()) + "], " + std::to_string(c.dim) + ")";
    SCOPED_TRACE(expr);
    EXPECT_CLOSE(nb::cat(in, c.dim), oracle::eval(expr, in).value(), kExact);
  }
  // Random shapes: the concatenated dim varies, the others agree.
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 6; ++trial) {
    const int64_t ndim = 1 + int64_t(rng() % 4), dim = int64_t(rng() % uint64_t(2 * ndim)) - ndim;
    nb::DimVector base(static_cast<size_t>(ndim));
    for (auto& s : base) s = 1 + int64_t(rng() % 4);
    std::vector<nb::Tensor> in;
    for (int i = 0, n = 1 + int(rng() % 4); i < n; ++i) {
      nb::DimVector shape = base;
      shape[size_t(dim < 0 ? dim + ndim : dim)] = int64_t(rng() % 4);
      in.push_back(maybe_strided(oracle::random_tensor(shape, nb::kFloat32, rng()), uint64_t(i)));
    }
    const std::string expr = "torch.cat([" + names(in.size()) + "], " + std::to_string(dim) + ")";
    SCOPED_TRACE(expr);
    EXPECT_CLOSE(nb::cat(in, dim), oracle::eval(expr, in).value(), kExact);
  }
  // Only legacy empty tensors: an empty result of the promoted dtype.
  std::vector<nb::Tensor> empties = {nb::empty({0}, nb::kFloat64), nb::empty({0}, nb::kInt32)};
  EXPECT_CLOSE(nb::cat(empties, 3), oracle::eval("torch.cat([a, b], 3)", empties).value());
}

TEST(Join, CatErrors) {
  nb::Tensor a = nb::zeros({2, 2}), b = nb::zeros({3, 3}), c = nb::zeros({2, 2, 2}), s = nb::zeros({});
  expect_error<nb::RuntimeError>([] { nb::cat({}); }, "torch.cat(): expected a non-empty list of Tensors",
                                 "torch.cat([])", {}, "RuntimeError");
  expect_error<nb::RuntimeError>(
      [&] { nb::cat({a, b}, 1); },
      "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor number 1 in the list.",
      "torch.cat([a, b], 1)", {a, b}, "RuntimeError");
  expect_error<nb::RuntimeError>([&] { nb::cat({a, c}); }, "Tensors must have same number of dimensions: got 2 and 3",
                                 "torch.cat([a, b])", {a, c}, "RuntimeError");
  expect_error<nb::RuntimeError>([&] { nb::cat({a, s}); }, "zero-dimensional tensor (at position 1) cannot be concatenated",
                                 "torch.cat([a, b])", {a, s}, "RuntimeError");
  expect_error<nb::IndexError>([&] { nb::cat({a, a}, 2); }, "Dimension out of range", "torch.cat([a, b], 2)", {a, a},
                               "IndexError");
  expect_error<nb::RuntimeError>([&] { nb::cat({nb::zeros({2, 0}), a}); }, "for tensor number 1",
                                 "torch.cat([a, b])", {nb::zeros({2, 0}), a}, "RuntimeError");
}

TEST(Join, StackMatchesTorch) {
  std::mt19937_64 rng(11);
  const std::vector<nb::DType> dtypes = {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kInt32, nb::kInt64,
                                         nb::kUInt8,   nb::kBool};
  for (int trial = 0; trial < 10; ++trial) {
    const int64_t ndim = int64_t(rng() % 4);
    nb::DimVector shape(static_cast<size_t>(ndim));
    for (auto& s : shape) s = int64_t(rng() % 4);
    const int64_t dim = int64_t(rng() % uint64_t(2 * ndim + 2)) - ndim - 1;
    std::vector<nb::Tensor> in;
    for (int i = 0, n = 1 + int(rng() % 3); i < n; ++i) {
      // Mixed dtypes on some trials, to check the promotion.
      nb::DType d = dtypes[trial % 3 == 0 ? rng() % dtypes.size() : size_t(trial) % dtypes.size()];
      in.push_back(maybe_strided(oracle::random_tensor(shape, d, rng()), uint64_t(i + trial)));
    }
    const std::string expr = "torch.stack([" + names(in.size()) + "], " + std::to_string(dim) + ")";
    SCOPED_TRACE(expr);
    EXPECT_CLOSE(nb::stack(in, dim), oracle::eval(expr, in).value(), kExact);
  }
}

TEST(Join, StackErrors) {
  nb::Tensor a = nb::zeros({2, 3}), b = nb::zeros({2, 4});
  expect_error<nb::RuntimeError>([] { nb::stack({}); }, "stack expects a non-empty TensorList", "torch.stack([])", {},
                                 "RuntimeError");
  expect_error<nb::RuntimeError>([&] { nb::stack({a, b}); },
                                 "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1",
                                 "torch.stack([a, b])", {a, b}, "RuntimeError");
  expect_error<nb::IndexError>([&] { nb::stack({a, a}, 3); }, "Dimension out of range", "torch.stack([a, b], 3)",
                               {a, a}, "IndexError");
}

TEST(Order, FlipMatchesTorch) {
  struct Case {
    nb::DimVector shape;
    nb::DimVector dims;
  };
  const std::vector<Case> cases = {
      {{5}, {0}},          {{3, 4}, {0}},          {{3, 4}, {-1}},       {{3, 4}, {0, 1}},
      {{2, 3, 4}, {1}},    {{2, 3, 4}, {2, 0}},    {{2, 3, 4}, {}},      {{2, 0, 3}, {1, 2}},
      {{}, {0}},           {{}, {}},               {{4, 1, 3}, {-2, 0}}, {{2, 3, 4, 5}, {-1, 1, 2}},
  };
  const std::vector<nb::DType> dtypes = {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kBFloat16,
                                         nb::kInt32,   nb::kInt64,   nb::kUInt8,   nb::kBool};
  uint64_t seed = 0;
  for (const Case& c : cases) {
    for (nb::DType d : dtypes) {
      ++seed;
      nb::Tensor x = maybe_strided(oracle::random_tensor(c.shape, d, seed), seed);
      const std::string expr = "torch.flip(a, " + py_list(c.dims) + ")";
      SCOPED_TRACE(expr + " " + std::string(nb::dtype_name(d)));
      EXPECT_CLOSE(x.flip(c.dims), oracle::eval(expr, {x}).value(), kExact);
    }
  }
}

TEST(Order, RollMatchesTorch) {
  struct Case {
    nb::DimVector shape, shifts, dims;
  };
  const std::vector<Case> cases = {
      {{7}, {3}, {0}},          {{7}, {-10}, {0}},           {{3, 4}, {1}, {}},         {{3, 4}, {-5}, {}},
      {{3, 4}, {2}, {1}},       {{3, 4}, {1, -1}, {0, 1}},   {{2, 3, 4}, {5, 2}, {-1, 0}}, {{2, 3}, {1, 1}, {1, 1}},
      {{2, 3, 4}, {0}, {1}},    {{2, 3, 4}, {3}, {1}},       {{2, 0, 3}, {1}, {2}},     {{}, {2}, {}},
      {{2, 3, 4}, {1, 2, 3}, {0, 1, 2}},
  };
  uint64_t seed = 100;
  for (const Case& c : cases) {
    for (nb::DType d : {nb::kFloat32, nb::kInt64, nb::kFloat16, nb::kBool}) {
      ++seed;
      nb::Tensor x = maybe_strided(oracle::random_tensor(c.shape, d, seed), seed);
      const std::string expr = "torch.roll(a, " + py_list(c.shifts) + ", " + py_list(c.dims) + ")";
      SCOPED_TRACE(expr);
      EXPECT_CLOSE(x.roll(c.shifts, c.dims), oracle::eval(expr, {x}).value(), kExact);
    }
  }
  nb::Tensor x = oracle::strided_copy(oracle::random_tensor({3, 5}, nb::kFloat32, 3), 0);
  EXPECT_CLOSE(x.roll(2), oracle::eval("a.roll(2)", {x}).value(), kExact);
  EXPECT_CLOSE(x.roll(-3, 1), oracle::eval("a.roll(-3, 1)", {x}).value(), kExact);
}

TEST(Order, FlipRollErrors) {
  nb::Tensor x = nb::zeros({2, 3});
  expect_error<nb::RuntimeError>([&] { x.flip({0, -2}); }, "appears multiple times", "a.flip(0, -2)", {x},
                                 "RuntimeError");
  expect_error<nb::IndexError>([&] { x.flip({2}); }, "Dimension out of range", "a.flip(2)", {x}, "IndexError");
  expect_error<nb::RuntimeError>([&] { nb::roll(x, {}, {}); }, "`shifts` required", "a.roll([], [])", {x}, "RuntimeError");
  expect_error<nb::RuntimeError>([&] { x.roll({1, 2}, {0}); }, "shifts and dimensions must align", "a.roll([1, 2], [0])",
                                 {x}, "RuntimeError");
  expect_error<nb::IndexError>([&] { x.roll(1, 2); }, "Dimension out of range", "a.roll(1, 2)", {x}, "IndexError");
  nb::Tensor s = nb::zeros({});
  expect_error<nb::IndexError>([&] { s.roll(1, 0); }, "no dimensions", "a.roll(1, 0)", {s}, "IndexError");
}

TEST(Order, SortMatchesTorch) {
  struct Case {
    nb::DimVector shape;
    int64_t dim;
  };
  const std::vector<Case> cases = {{{9}, 0}, {{4, 7}, -1}, {{4, 7}, 0}, {{3, 5, 6}, 1}, {{2, 0, 3}, 1},
                                   {{3, 4}, -2}, {{}, 0}, {{2, 70}, -1}};
  const std::vector<nb::DType> dtypes = {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kBFloat16, nb::kInt32,
                                         nb::kInt64,   nb::kInt16,   nb::kUInt8,   nb::kInt8,     nb::kBool};
  uint64_t seed = 200;
  for (const Case& c : cases) {
    for (nb::DType d : dtypes) {
      for (bool descending : {false, true}) {
        for (bool stable : {false, true}) {
          ++seed;
          // Integer data from a narrow range has many ties; floats get NaNs and infinities.
          nb::Tensor x = nb::is_floating(d) ? with_nans(c.shape, d, seed) : oracle::random_tensor(c.shape, d, seed, -3, 3);
          x = maybe_strided(x, seed);
          const std::string expr = "torch.sort(a, dim=" + std::to_string(c.dim) + ", descending=" + py_bool(descending) +
                                   ", stable=" + py_bool(stable) + ")";
          SCOPED_TRACE(expr + " " + std::string(nb::dtype_name(d)));
          auto [values, indices] = nb::sort(x, c.dim, descending, stable);
          auto r = oracle::eval(expr, {x});
          ASSERT_TRUE(r.ok) << r.error_message;
          EXPECT_CLOSE(values, r.outputs[0], kExact);
          // Ties too: stable keeps input order; unstable replays PyTorch's std::sort.
          EXPECT_CLOSE(indices, r.outputs[1], kExact);
        }
      }
    }
  }
}

TEST(Order, SortLongSlices) {
  // A slice this long is sorted by several threads; a stable sort's ties stay in input order, and
  // an unstable sort of a long slice gives that same (unique) order.
  for (nb::DType d : {nb::kInt32, nb::kFloat32}) {
    const bool descending = d == nb::kFloat32;
    nb::Tensor x = d == nb::kInt32 ? oracle::random_tensor({70000}, d, 5, -50, 50) : with_nans({70000}, d, 5);
    const std::string expr = "torch.sort(a, descending=" + py_bool(descending) + ", stable=True)";
    SCOPED_TRACE(expr);
    auto r = oracle::eval(expr, {x});
    ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
    for (bool stable : {true, false}) {
      auto [values, indices] = x.sort(-1, descending, stable);
      EXPECT_CLOSE(values, r.outputs[0], kExact);
      EXPECT_CLOSE(indices, r.outputs[1], kExact);
    }
  }
}

TEST(Order, ArgsortMatchesTorch) {
  nb::Tensor x = maybe_strided(oracle::random_tensor({5, 6}, nb::kInt64, 31, -4, 4), 1);
  EXPECT_CLOSE(x.argsort(), oracle::eval("a.argsort()", {x}).value(), kExact);
  EXPECT_CLOSE(x.argsort(0, true), oracle::eval("a.argsort(0, True)", {x}).value(), kExact);
  EXPECT_CLOSE(nb::argsort(x, 1, false, true), oracle::eval("torch.argsort(a, dim=1, stable=True)", {x}).value(), kExact);
  nb::Tensor s = nb::full({}, 3.5);
  EXPECT_CLOSE(s.argsort(), oracle::eval("a.argsort()", {s}).value(), kExact);
  EXPECT_EQ(x.argsort().dtype(), nb::kInt64);
}

TEST(Order, TopkMatchesTorch) {
  struct Case {
    nb::DimVector shape;
    int64_t k, dim;
  };
  // k * 64 <= size takes PyTorch's partial_sort path, larger k its nth_element path.
  const std::vector<Case> cases = {{{10}, 3, 0},      {{4, 9}, 9, -1},   {{4, 9}, 0, 1},    {{6, 5}, 2, 0},
                                   {{3, 200}, 3, -1}, {{3, 200}, 50, 1}, {{2, 3, 4}, 2, 1}, {{}, 1, 0},
                                   {{3, 0}, 0, 1},    {{0, 4}, 2, 1}};
  uint64_t seed = 300;
  for (const Case& c : cases) {
    for (nb::DType d : {nb::kFloat32, nb::kFloat64, nb::kInt32, nb::kInt64, nb::kInt16}) {
      for (bool largest : {true, false}) {
        for (bool sorted : {true, false}) {
          ++seed;
          nb::Tensor x = maybe_strided(tie_free(c.shape, d, seed), seed);
          const std::string expr = "torch.topk(a, " + std::to_string(c.k) + ", " + std::to_string(c.dim) +
                                   ", largest=" + py_bool(largest) + ", sorted=" + py_bool(sorted) + ")";
          SCOPED_TRACE(expr + " " + std::string(nb::dtype_name(d)));
          auto [values, indices] = x.topk(c.k, c.dim, largest, sorted);
          auto r = oracle::eval(expr, {x});
          ASSERT_TRUE(r.ok) << r.error_message;
          EXPECT_CLOSE(values, r.outputs[0], kExact);
          EXPECT_CLOSE(indices, r.outputs[1], kExact);
        }
      }
    }
  }
  // Ties and NaNs: the values agree and the indices point at them.
  for (nb::DType d : {nb::kFloat32, nb::kInt64, nb::kBFloat16}) {
    for (int64_t k : {1, 4, 30}) {
      ++seed;
      nb::Tensor x = d == nb::kInt64 ? oracle::random_tensor({5, 40}, d, seed, -3, 3) : with_nans({5, 40}, d, seed);
      x = maybe_strided(x, seed);
      const std::string expr = "torch.topk(a, " + std::to_string(k) + ")";
      SCOPED_TRACE(expr + " " + std::string(nb::dtype_name(d)));
      auto [values, indices] = x.topk(k);
      EXPECT_CLOSE(values, oracle::eval(expr + ".values", {x}).value(), kExact);
      EXPECT_CLOSE(nb::full({}, true),
                   oracle::eval("torch.tensor(torch.allclose(a.gather(1, b).double(), c.double(), 0, 0, equal_nan=True))",
                                {x, indices, values}).value());
    }
  }
  // float16 (which PyTorch 1.13 cannot topk on the CPU) against float32.
  nb::Tensor h = tie_free({4, 30}, nb::kFloat16, 5);
  auto [hv, hi] = h.topk(5, 1, false);
  auto r = oracle::eval("torch.topk(a.float(), 5, 1, largest=False)", {h});
  EXPECT_CLOSE(hv, r.outputs[0].to(nb::kFloat16), kExact);
  EXPECT_CLOSE(hi, r.outputs[1], kExact);
}

TEST(Order, SortTopkErrors) {
  nb::Tensor x = nb::zeros({2, 3});
  expect_error<nb::RuntimeError>([&] { x.topk(4); }, "selected index k out of range", "a.topk(4)", {x}, "RuntimeError");
  expect_error<nb::RuntimeError>([&] { x.topk(-1); }, "selected index k out of range", "a.topk(-1)", {x},
                                 "RuntimeError");
  expect_error<nb::IndexError>([&] { x.topk(1, 2); }, "Dimension out of range", "a.topk(1, 2)", {x}, "IndexError");
  expect_error<nb::IndexError>([&] { x.sort(-3); }, "Dimension out of range", "a.sort(-3)", {x}, "IndexError");
  expect_error<nb::IndexError>([&] { x.argsort(2); }, "Dimension out of range", "a.argsort(2)", {x}, "IndexError");
}

TEST(Order, UniqueMatchesTorch) {
  struct Case {
    nb::DimVector shape;
    nb::DType dtype;
  };
  const std::vector<Case> cases = {{{20}, nb::kInt64},  {{4, 6}, nb::kInt32},   {{3, 5}, nb::kFloat32},
                                   {{50}, nb::kUInt8},  {{7, 3}, nb::kInt8},    {{9}, nb::kBool},
                                   {{6, 4}, nb::kFloat64}, {{2, 3, 4}, nb::kBFloat16}, {{}, nb::kInt64},
                                   {{3, 0}, nb::kFloat32}, {{5, 5}, nb::kInt16}};
  uint64_t seed = 400;
  for (const Case& c : cases) {
    ++seed;
    // Values from a narrow range repeat; rounding float data to halves makes them repeat too.
    nb::Tensor x = oracle::random_tensor(c.shape, nb::kFloat64, seed, -5, 5);
    double* p = x.data_ptr<double>();
    for (int64_t i = 0; i < x.numel(); ++i) p[i] = std::round(p[i] * 2) / 2;
    x = maybe_strided(x.to(c.dtype), seed);
    for (int flags = 0; flags < 4; ++flags) {
      const bool inverse = flags & 1, counts = flags & 2;
      const std::string expr = "torch.unique(a, return_inverse=" + py_bool(inverse) +
                               ", return_counts=" + py_bool(counts) + ")";
      SCOPED_TRACE(expr + " " + std::string(nb::dtype_name(c.dtype)));
      auto [values, inv, cnt] = nb::unique(x, true, inverse, counts);
      auto r = oracle::eval(expr, {x});
      ASSERT_TRUE(r.ok) << r.error_message;
      EXPECT_CLOSE(values, r.outputs[0], kExact);
      size_t next = 1;
      if (inverse) EXPECT_CLOSE(inv, r.outputs[next++], kExact);
      if (counts) EXPECT_CLOSE(cnt, r.outputs[next++], kExact);
      EXPECT_EQ(inverse ? inv.sizes() : nb::DimVector{0}, inv.sizes());
      EXPECT_EQ(counts ? values.numel() : 0, cnt.numel());
    }
  }
  // float16 (no CPU unique in PyTorch 1.13) against float32.
  nb::Tensor h = oracle::random_tensor({40}, nb::kInt32, 3, -6, 6).to(nb::kFloat16);
  auto [hv, hi, hc] = nb::unique(h, true, true, true);
  auto r = oracle::eval("torch.unique(a.float(), return_inverse=True, return_counts=True)", {h});
  EXPECT_CLOSE(hv, r.outputs[0].to(nb::kFloat16), kExact);
  EXPECT_CLOSE(hi, r.outputs[1], kExact);
  EXPECT_CLOSE(hc, r.outputs[2], kExact);
  // A large input, where the inverse is computed on several threads.
  nb::Tensor big = oracle::random_tensor({50000}, nb::kInt32, 8, -1000, 1000);
  auto [bv, bi, bc] = nb::unique(big, true, true, true);
  auto rb = oracle::eval("torch.unique(a, return_inverse=True, return_counts=True)", {big});
  EXPECT_CLOSE(bv, rb.outputs[0], kExact);
  EXPECT_CLOSE(bi, rb.outputs[1], kExact);
  EXPECT_CLOSE(bc, rb.outputs[2], kExact);
  // More distinct values than the hash table takes: the sort path, duplicates included.
  nb::Tensor many = oracle::random_tensor({70000}, nb::kFloat64, 10);
  double* m = many.data_ptr<double>();
  for (int64_t i = 0; i < many.numel(); ++i) m[i] = std::round(m[i] * 1e5) / 1e5;
  auto [mv, mi, mc] = nb::unique(many, true, true, true);
  auto rm = oracle::eval("torch.unique(a, return_inverse=True, return_counts=True)", {many});
  EXPECT_GT(mv.numel(), 65536);
  EXPECT_LT(mv.numel(), many.numel());
  EXPECT_CLOSE(mv, rm.outputs[0], kExact);
  EXPECT_CLOSE(mi, rm.outputs[1], kExact);
  EXPECT_CLOSE(mc, rm.outputs[2], kExact);
  // Every NaN is a value of its own, after the numbers. (PyTorch 1.13 agrees on small inputs, but
  // its std::sort misplaces NaNs in large ones and it counts each NaN 0 times.)
  for (bool hashed : {true, false}) {
    nb::Tensor x = hashed ? nb::tensor({NAN, 1.0, NAN, 1.0}) : nb::cat({many, nb::tensor({NAN, NAN})});
    auto [nv, ni, nc] = nb::unique(x, true, true, true);
    EXPECT_CLOSE(nv, oracle::eval("torch.cat([torch.unique(a[~a.isnan()]), a[a.isnan()]])", {x}).value(), kExact);
    EXPECT_CLOSE(nc.narrow(0, nc.numel() - 2, 2), nb::tensor({int64_t(1), int64_t(1)}), kExact);
    if (hashed) EXPECT_CLOSE(ni, nb::tensor({int64_t(1), int64_t(0), int64_t(1), int64_t(0)}), kExact);
  }
  // One-byte values are counted in several chunks of a histogram.
  nb::Tensor bytes = oracle::random_tensor({600000}, nb::kInt8, 9, -128, 128);
  auto [yv, yi, yc] = nb::unique(bytes, true, false, true);
  auto ry = oracle::eval("torch.unique(a, return_counts=True)", {bytes});
  EXPECT_CLOSE(yv, ry.outputs[0], kExact);
  EXPECT_CLOSE(yc, ry.outputs[1], kExact);
}

TEST(Order, UniqueWithDimIsNotImplemented) {
  nb::Tensor x = nb::zeros({2, 3});
  try {
    nb::unique(x, true, false, false, 0);
    ADD_FAILURE() << "no exception";
  } catch (const nb::NotImplementedError& e) {
    EXPECT_NE(std::string(e.what()).find("unique: dim=0"), std::string::npos) << e.what();
  }
}
