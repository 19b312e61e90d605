// matmul, mm, bmm, addmm, dot, outer against PyTorch.
#include <cmath>
#include <cstring>
#include <limits>

#include <omp.h>

#include "core/check.hpp"
#include "oracle.hpp"

namespace nb = nabla;

namespace {

struct ShapePair {
  nb::DimVector a, b;
};

// Every matmul case: 1-D/2-D/N-D on either side, broadcast batch dims, size-0 dims, a batch that
// folds into one product, and products big enough to be threaded.
const std::vector<ShapePair>& matmul_shapes() {
  static const std::vector<ShapePair> shapes = {
      {{5}, {5}},          {{2, 3}, {3}},          {{3}, {3, 4}},          {{2, 3}, {3, 4}},
      {{1, 1}, {1, 1}},    {{4, 1}, {1, 5}},       {{2, 2, 3}, {3, 4}},    {{5, 2, 3}, {5, 3, 4}},
      {{2, 1, 2, 3}, {3, 3, 4}}, {{2, 3}, {4, 3, 5}}, {{3}, {2, 3, 4}},    {{2, 3, 4}, {4}},
      {{4, 1, 2, 3}, {1, 5, 3, 2}}, {{3, 1, 4}, {4, 2}}, {{2, 3, 1, 4}, {4}}, {{6, 1, 7}, {6, 7, 1}},
      {{0, 3}, {3, 4}},    {{2, 0}, {0, 4}},       {{2, 1, 0, 3}, {3, 3, 4}}, {{0}, {0}},
      {{3, 2, 0}, {0}},    {{0, 2, 3}, {3, 4}},    {{2, 3}, {3, 0}},       {{70, 130}, {130, 90}},
      {{64, 8, 9}, {64, 9, 7}}, {{3, 40, 50}, {50, 60}}, {{300}, {300, 2}}, {{2, 300}, {300}},
  };
  return shapes;
}

std::string call_str(const std::string& op, const ShapePair& s) {
  return op + " of " + nb::shape_str(s.a) + " and " + nb::shape_str(s.b);
}

// Values in [-1, 1] keep float32 sums of a few hundred products well inside these tolerances.
oracle::Tolerance float_tolerance(nb::DType d) {
  return d == nb::kFloat64 ? oracle::Tolerance{1e-12, 1e-12} : oracle::Tolerance{1e-5, 2e-5};
}

// The operand as given, as a non-contiguous copy, and (for 2-D and up) as the transpose of a
// contiguous tensor of the transposed shape, which BLAS takes without a copy.
std::vector<nb::Tensor> layouts(const nb::Tensor& t, uint64_t seed) {
  std::vector<nb::Tensor> out = {t, oracle::strided_copy(t, seed), oracle::strided_copy(t, seed + 1)};
  if (t.dim() >= 2) out.push_back(t.mT().contiguous().mT());
  return out;
}

template <typename Fn>
void expect_error(const Fn& fn, const std::string& expr, const std::vector<nb::Tensor>& inputs,
                  std::initializer_list<const char*> parts) {
  SCOPED_TRACE(expr);
  EXPECT_FALSE(oracle::eval(expr, inputs).ok) << "torch accepts it";
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const nb::RuntimeError& e) {
    for (const char* part : parts) EXPECT_NE(std::strstr(e.what(), part), nullptr) << e.what() << " lacks " << part;
  }
}

}  // namespace

TEST(Matmul, FloatShapesAndLayoutsMatchTorch) {
  uint64_t seed = 1;
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64}) {
    for (const ShapePair& s : matmul_shapes()) {
      SCOPED_TRACE(call_str(std::string("matmul ") + std::string(nb::dtype_name(dtype)), s));
      nb::Tensor a = oracle::random_tensor(s.a, dtype, ++seed, -1, 1);
      nb::Tensor b = oracle::random_tensor(s.b, dtype, ++seed, -1, 1);
      nb::Tensor expected = oracle::eval("torch.matmul(a, b)", {a, b}).value();
      for (const nb::Tensor& la : layouts(a, seed))
        for (const nb::Tensor& lb : layouts(b, seed + 7)) EXPECT_CLOSE(nb::matmul(la, lb), expected, float_tolerance(dtype));
      EXPECT_CLOSE(a.matmul(b), expected, float_tolerance(dtype));
    }
  }
}

TEST(Matmul, BroadcastBatchViewsMatchTorch) {
  // Batch dims of stride 0 (expand) and a weight shared across a batch that cannot fold.
  nb::Tensor a = oracle::random_tensor({3, 1, 4, 5}, nb::kFloat32, 11, -1, 1).expand({3, 2, 4, 5});
  nb::Tensor b = oracle::random_tensor({5, 6}, nb::kFloat32, 12, -1, 1);
  EXPECT_CLOSE(nb::matmul(a, b), oracle::eval("torch.matmul(a, b)", {a, b}).value(), float_tolerance(nb::kFloat32));
  nb::Tensor w = oracle::random_tensor({4, 5}, nb::kFloat32, 13, -1, 1).expand({3, 4, 5});
  nb::Tensor x = oracle::random_tensor({5, 3, 2}, nb::kFloat32, 14, -1, 1).transpose(0, 1);  // batch stride 2
  EXPECT_CLOSE(nb::matmul(w, x), oracle::eval("torch.matmul(a, b)", {w, x}).value(), float_tolerance(nb::kFloat32));
  nb::Tensor p = oracle::random_tensor({2, 3, 4}, nb::kFloat32, 15, -1, 1).permute({1, 0, 2});  // [3, 2, 4]
  nb::Tensor q = oracle::random_tensor({4, 5}, nb::kFloat32, 16, -1, 1);
  EXPECT_CLOSE(nb::matmul(p, q), oracle::eval("torch.matmul(a, b)", {p, q}).value(), float_tolerance(nb::kFloat32));
}

TEST(Matmul, IntegerAndHalfDtypesMatchTorch) {
  const std::vector<ShapePair> shapes = {{{4}, {4}},          {{3, 5}, {5}},         {{5}, {5, 2}},
                                         {{3, 70}, {70, 300}}, {{2, 3, 4}, {2, 4, 5}}, {{2, 1, 3, 4}, {3, 4, 2}},
                                         {{0, 3}, {3, 2}},     {{2, 0}, {0, 3}}};
  uint64_t seed = 100;
  for (nb::DType dtype : {nb::kUInt8, nb::kInt8, nb::kInt16, nb::kInt32, nb::kInt64, nb::kFloat16, nb::kBFloat16}) {
    // Integer ranges large enough that the sums wrap around, as they do in torch.
    double hi = dtype == nb::kUInt8 ? 256 : dtype == nb::kInt32 ? 1e5 : dtype == nb::kInt64 ? 4e9 : dtype == nb::kInt16 ? 3e3
                : nb::is_floating(dtype)                                                              ? 1
                                                                                                      : 100;
    double lo = nb::is_floating(dtype) ? -1 : -hi;
    // torch 1.13 has no float16 matmul on the CPU, and its bfloat16 one sums in bfloat16 (losing
    // about 3 bits over 70 terms); nabla sums both in float, so the reference is float64's, rounded.
    std::string expr = dtype == nb::kFloat16    ? "torch.matmul(a.double(), b.double()).half()"
                       : dtype == nb::kBFloat16 ? "torch.matmul(a.double(), b.double()).bfloat16()"
                                                : "torch.matmul(a, b)";
    for (const ShapePair& s : shapes) {
      SCOPED_TRACE(call_str(std::string("matmul ") + std::string(nb::dtype_name(dtype)), s));
      nb::Tensor a = oracle::random_tensor(s.a, dtype, ++seed, lo, hi);
      nb::Tensor b = oracle::random_tensor(s.b, dtype, ++seed, lo, hi);
      nb::Tensor expected = oracle::eval(expr, {a, b}).value();
      EXPECT_CLOSE(nb::matmul(a, b), expected);
      EXPECT_CLOSE(nb::matmul(oracle::strided_copy(a, seed), oracle::strided_copy(b, seed + 1)), expected);
    }
  }
}

TEST(Matmul, MmAndBmmMatchTorch) {
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kInt64}) {
    SCOPED_TRACE(nb::dtype_name(dtype));
    nb::Tensor a = oracle::random_tensor({6, 7}, dtype, 21, -3, 3), b = oracle::random_tensor({7, 5}, dtype, 22, -3, 3);
    EXPECT_CLOSE(nb::mm(a, b), oracle::eval("torch.mm(a, b)", {a, b}).value(), float_tolerance(dtype));
    EXPECT_CLOSE(a.t().contiguous().t().mm(b.t().contiguous().t()), oracle::eval("torch.mm(a, b)", {a, b}).value(),
                 float_tolerance(dtype));
    nb::Tensor x = oracle::random_tensor({4, 6, 7}, dtype, 23, -3, 3), y = oracle::random_tensor({4, 7, 3}, dtype, 24, -3, 3);
    nb::Tensor expected = oracle::eval("torch.bmm(a, b)", {x, y}).value();
    EXPECT_CLOSE(nb::bmm(x, y), expected, float_tolerance(dtype));
    EXPECT_CLOSE(oracle::strided_copy(x, 3).bmm(oracle::strided_copy(y, 4)), expected, float_tolerance(dtype));
    nb::Tensor e = nb::zeros({0, 2, 3}, dtype), f = nb::zeros({0, 3, 4}, dtype);
    EXPECT_CLOSE(nb::bmm(e, f), oracle::eval("torch.bmm(a, b)", {e, f}).value());
  }
}

TEST(Addmm, BetaAlphaAndBiasShapesMatchTorch) {
  uint64_t seed = 200;
  struct Coeffs { double beta, alpha; const char* py; };
  const Coeffs coeffs[] = {{1, 1, "beta=1, alpha=1"}, {0.5, 2, "beta=0.5, alpha=2"}, {0, 1.5, "beta=0, alpha=1.5"},
                           {-1, 0, "beta=-1, alpha=0"}};
  const std::vector<nb::DimVector> bias_shapes = {{4, 5}, {5}, {1, 5}, {4, 1}, {}};
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kBFloat16}) {
    for (const Coeffs& c : coeffs)
      for (const nb::DimVector& bs : bias_shapes) {
        SCOPED_TRACE(std::string(nb::dtype_name(dtype)) + " " + c.py + " bias " + nb::shape_str(bs));
        nb::Tensor bias = oracle::random_tensor(bs, dtype, ++seed, -1, 1);
        nb::Tensor a = oracle::random_tensor({4, 3}, dtype, ++seed, -1, 1), b = oracle::random_tensor({3, 5}, dtype, ++seed, -1, 1);
        nb::Tensor expected = oracle::eval(std::string("torch.addmm(a, b, c, ") + c.py + ")", {bias, a, b}).value();
        nb::Tensor got = nb::addmm(bias, a, b, c.beta, c.alpha);
        if (dtype == nb::kBFloat16) EXPECT_CLOSE(got, expected);
        else EXPECT_CLOSE(got, expected, float_tolerance(dtype));
        // Column-major operands and a strided bias.
        nb::Tensor strided_bias = bias.dim() == 0 ? bias : oracle::strided_copy(bias, seed);
        got = nb::addmm(strided_bias, a.t().contiguous().t(), b.t().contiguous().t(), c.beta, c.alpha);
        if (dtype == nb::kBFloat16) EXPECT_CLOSE(got, expected);
        else EXPECT_CLOSE(got, expected, float_tolerance(dtype));
      }
  }
  // Integers: the coefficients are truncated to the dtype, sums wrap.
  nb::Tensor ib = oracle::random_tensor({3, 4}, nb::kInt32, 1, -1e9, 1e9), ia = oracle::random_tensor({3, 6}, nb::kInt32, 2, -1e5, 1e5),
             ic = oracle::random_tensor({6, 4}, nb::kInt32, 3, -1e5, 1e5);
  EXPECT_CLOSE(nb::addmm(ib, ia, ic, 3, 7), oracle::eval("torch.addmm(a, b, c, beta=3, alpha=7)", {ib, ia, ic}).value());
  EXPECT_CLOSE(nb::addmm(ib, ia, ic, 0.5, 2.7), oracle::eval("torch.addmm(a, b, c, beta=0.5, alpha=2.7)", {ib, ia, ic}).value());
  nb::Tensor ub = oracle::random_tensor({3, 4}, nb::kUInt8, 4, 0, 256), ua = oracle::random_tensor({3, 6}, nb::kUInt8, 5, 0, 256),
             uc = oracle::random_tensor({6, 4}, nb::kUInt8, 6, 0, 256);
  EXPECT_CLOSE(nb::addmm(ub, ua, uc, 2, 3), oracle::eval("torch.addmm(a, b, c, beta=2, alpha=3)", {ub, ua, uc}).value());
}

TEST(Addmm, ZeroBetaIgnoresNaNBiasAndZeroAlphaIgnoresNaNOperands) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kFloat16, nb::kBFloat16}) {
    SCOPED_TRACE(nb::dtype_name(dtype));
    for (const nb::DimVector& shape : std::vector<nb::DimVector>{{3, 4}, {3, 1}, {1, 4}, {1, 1}}) {
      const int64_t m = shape[0], n = shape[1];
      nb::Tensor bias = nb::full({m, n}, nan, dtype);
      nb::Tensor a = oracle::random_tensor({m, 5}, dtype, 7, -1, 1), b = oracle::random_tensor({5, n}, dtype, 8, -1, 1);
      // torch 1.13 lacks float16 addmm on the CPU, and its bfloat16 kernel computes 0 * NaN for
      // alpha == 0 where BLAS (and nabla, for every dtype) skips the product: the reference for
      // both is float32's, rounded.
      const bool half = dtype == nb::kFloat16 || dtype == nb::kBFloat16;
      std::string cast = half ? ".float()" : "";
      std::string tail = !half ? "" : dtype == nb::kFloat16 ? ".half()" : ".bfloat16()";
      nb::Tensor got = nb::addmm(bias, a, b, 0, 2);
      EXPECT_CLOSE(got, oracle::eval("torch.addmm(a" + cast + ", b" + cast + ", c" + cast + ", beta=0, alpha=2)" + tail, {bias, a, b}).value());
      nb::Tensor nan_a = nb::full({m, 5}, nan, dtype), ones = nb::ones({m, n}, dtype);
      EXPECT_CLOSE(nb::addmm(ones, nan_a, b, 3, 0),
                   oracle::eval("torch.addmm(a" + cast + ", b" + cast + ", c" + cast + ", beta=3, alpha=0)" + tail, {ones, nan_a, b}).value());
    }
  }
}

TEST(Dot, MatchesTorch) {
  uint64_t seed = 300;
  for (nb::DType dtype : {nb::kFloat32, nb::kFloat64, nb::kBFloat16, nb::kInt32, nb::kInt64, nb::kUInt8}) {
    for (int64_t n : {0, 1, 7, 1000}) {
      SCOPED_TRACE(std::string(nb::dtype_name(dtype)) + " n=" + std::to_string(n));
      double hi = nb::is_floating(dtype) ? 1 : 50;
      nb::Tensor a = oracle::random_tensor({n}, dtype, ++seed, -hi, hi), b = oracle::random_tensor({n}, dtype, ++seed, -hi, hi);
      // torch 1.13 sums bfloat16 dots in bfloat16; nabla sums in float, so compare with float64's.
      nb::Tensor expected = oracle::eval(dtype == nb::kBFloat16 ? "torch.dot(a.double(), b.double()).bfloat16()" : "torch.dot(a, b)", {a, b}).value();
      nb::Tensor got = nb::dot(a, b);
      EXPECT_EQ(got.dim(), 0);
      oracle::Tolerance tol = nb::is_floating(dtype) && dtype != nb::kBFloat16 ? float_tolerance(dtype) : oracle::tolerance_for(dtype);
      EXPECT_CLOSE(got, expected, tol);
      EXPECT_CLOSE(oracle::strided_copy(a, 1).dot(oracle::strided_copy(b, 1)), expected, tol);
    }
  }
  nb::Tensor h = oracle::random_tensor({9}, nb::kFloat16, 1, -1, 1), g = oracle::random_tensor({9}, nb::kFloat16, 2, -1, 1);
  EXPECT_CLOSE(nb::dot(h, g), oracle::eval("torch.dot(a.float(), b.float()).half()", {h, g}).value());
}

TEST(Outer, MatchesTorchWithPromotion) {
  const std::pair<nb::DType, nb::DType> pairs[] = {
      {nb::kFloat32, nb::kFloat32}, {nb::kFloat64, nb::kFloat64}, {nb::kFloat16, nb::kFloat16}, {nb::kBFloat16, nb::kBFloat16},
      {nb::kInt32, nb::kInt32},     {nb::kUInt8, nb::kUInt8},     {nb::kBool, nb::kBool},       {nb::kFloat32, nb::kFloat64},
      {nb::kInt32, nb::kBool},      {nb::kInt64, nb::kFloat16},   {nb::kUInt8, nb::kInt8}};
  uint64_t seed = 400;
  for (auto [da, db] : pairs) {
    SCOPED_TRACE(std::string(nb::dtype_name(da)) + " x " + std::string(nb::dtype_name(db)));
    for (auto [m, n] : {std::pair<int64_t, int64_t>{3, 4}, {1, 5}, {5, 1}, {0, 3}, {40, 33}}) {
      nb::Tensor a = oracle::random_tensor({m}, da, ++seed, -20, 20), b = oracle::random_tensor({n}, db, ++seed, -20, 20);
      nb::Tensor expected = oracle::eval("torch.outer(a, b)", {a, b}).value();
      // One product per element, so every dtype is exact.
      EXPECT_CLOSE(nb::outer(a, b), expected, oracle::Tolerance{0, 0});
      EXPECT_CLOSE(oracle::strided_copy(a, 1).outer(oracle::strided_copy(b, 1)), expected, oracle::Tolerance{0, 0});
    }
  }
}

TEST(Matmul, Float32IsDeterministic) {
  nb::Tensor a = oracle::random_tensor({257, 300}, nb::kFloat32, 1, -1, 1), b = oracle::random_tensor({300, 311}, nb::kFloat32, 2, -1, 1);
  nb::Tensor x = oracle::random_tensor({16, 33, 40}, nb::kFloat32, 3, -1, 1), y = oracle::random_tensor({40, 21}, nb::kFloat32, 4, -1, 1);
  nb::Tensor first = nb::matmul(a, b), batched = nb::matmul(x, y);
  for (int run = 0; run < 3; ++run) {
    EXPECT_EQ(std::memcmp(nb::matmul(a, b).data_ptr(), first.data_ptr(), first.nbytes()), 0);
    EXPECT_EQ(std::memcmp(nb::matmul(x, y).data_ptr(), batched.data_ptr(), batched.nbytes()), 0);
  }
}

// float32 products large enough for our sgemm's blocking (Note [Our sgemm]): row counts that end in
// a partial 6-row tile and that span two 1152-row blocks (on one thread, and on two sharing A),
// column counts that end in a partial 16-column tile, and depths of 1, one pass with a tail past
// the last 8, and 2 and 3 passes. Every layout of A and B (row- or column-major), and products
// threaded by rows and by columns, give the same bits with one thread as with two.
TEST(Matmul, Float32TilesPassesAndThreadsMatchTorch) {
  const nb::DimVector shapes[] = {{7, 1, 17},     {13, 9, 33},     {300, 130, 5},   {6, 257, 16},  {31, 600, 40},
                                  {600, 100, 20}, {50, 100, 300}, {1300, 3, 17},   {1200, 20, 70}};
  const int threads = omp_get_max_threads();
  uint64_t seed = 40;
  for (const nb::DimVector& mkn : shapes) {
    SCOPED_TRACE("m, k, n = " + nb::shape_str(mkn));
    nb::Tensor a = oracle::random_tensor({mkn[0], mkn[1]}, nb::kFloat32, ++seed, -1, 1);
    nb::Tensor b = oracle::random_tensor({mkn[1], mkn[2]}, nb::kFloat32, ++seed, -1, 1);
    nb::Tensor expected = oracle::eval("torch.matmul(a.double(), b.double()).float()", {a, b}).value();
    for (const nb::Tensor& la : {a, a.t().contiguous().t()})
      for (const nb::Tensor& lb : {b, b.t().contiguous().t()}) {
        nb::Tensor parallel = nb::matmul(la, lb);
        omp_set_num_threads(1);
        nb::Tensor serial = nb::matmul(la, lb);
        omp_set_num_threads(std::max(threads, 2));
        nb::Tensor two = nb::matmul(la, lb);
        omp_set_num_threads(threads);
        EXPECT_CLOSE(parallel, expected, oracle::Tolerance{1e-5, 2e-5});
        EXPECT_EQ(std::memcmp(serial.data_ptr(), parallel.data_ptr(), serial.nbytes()), 0) << "thread count changed it";
        EXPECT_EQ(std::memcmp(serial.data_ptr(), two.data_ptr(), serial.nbytes()), 0) << "thread count changed it";
      }
  }
}

TEST(Matmul, ResultDtypesAndShapes) {
  for (nb::DType d : {nb::kUInt8, nb::kInt8, nb::kInt16, nb::kInt32, nb::kInt64, nb::kFloat16, nb::kBFloat16, nb::kFloat32, nb::kFloat64}) {
    nb::Tensor r = nb::matmul(nb::ones({2, 1, 1, 3}, d), nb::ones({4, 3, 5}, d));
    EXPECT_EQ(r.dtype(), d);
    EXPECT_EQ(r.sizes(), nb::DimVector({2, 4, 1, 5}));
  }
  EXPECT_EQ(nb::matmul(nb::ones({3}), nb::ones({3})).dim(), 0);
  EXPECT_EQ(nb::matmul(nb::ones({3}), nb::ones({2, 3, 4})).sizes(), nb::DimVector({2, 4}));
  EXPECT_EQ(nb::outer(nb::ones({2}, nb::kInt32), nb::ones({3}, nb::kFloat16)).dtype(), nb::kFloat16);
}

TEST(Matmul, BadInputRaisesLikeTorch) {
  nb::Tensor f23 = nb::ones({2, 3}), f45 = nb::ones({4, 5}), d34 = nb::ones({3, 4}, nb::kFloat64), s = nb::ones({});
  nb::Tensor v3 = nb::ones({3}), v4 = nb::ones({4}), b23 = nb::ones({2, 3}, nb::kBool), b34 = nb::ones({3, 4}, nb::kBool);
  nb::Tensor f223 = nb::ones({2, 2, 3}), f345 = nb::ones({3, 4, 5}), f335 = nb::ones({3, 3, 5});
  expect_error([&] { nb::matmul(s, f23); }, "torch.matmul(a, b)", {s, f23}, {"matmul", "0D and 2D"});
  expect_error([&] { nb::matmul(f23, s); }, "torch.matmul(a, b)", {f23, s}, {"matmul", "2D and 0D"});
  expect_error([&] { nb::matmul(f23, f45); }, "torch.matmul(a, b)", {f23, f45}, {"matmul: shapes (2, 3) and (4, 5) cannot be multiplied (3 != 4)"});
  expect_error([&] { nb::matmul(v3, v4); }, "torch.matmul(a, b)", {v3, v4}, {"matmul", "(3,)", "(4,)"});
  expect_error([&] { nb::matmul(f23, v4); }, "torch.matmul(a, b)", {f23, v4}, {"matmul", "(2, 3)", "(4,)"});
  expect_error([&] { nb::matmul(v4, d34); }, "torch.matmul(a, b)", {v4, d34}, {"matmul", "(4,)", "(3, 4)"});
  expect_error([&] { nb::matmul(f223, f345); }, "torch.matmul(a, b)", {f223, f345}, {"matmul", "(2, 2, 3)", "(3, 4, 5)"});
  expect_error([&] { nb::matmul(f223, f335); }, "torch.matmul(a, b)", {f223, f335}, {"matmul", "batch", "2 != 3"});
  expect_error([&] { nb::matmul(f23, d34); }, "torch.matmul(a, b)", {f23, d34}, {"matmul", "float32", "float64", ".to("});
  expect_error([&] { nb::matmul(v3, d34.select(1, 0)); }, "torch.matmul(a, b)", {v3, d34.select(1, 0)}, {"matmul", "float32", "float64"});
  expect_error([&] { nb::matmul(b23, b34); }, "torch.matmul(a, b)", {b23, b34}, {"matmul", "bool"});
  expect_error([&] { nb::mm(v3, f23.t()); }, "torch.mm(a, b)", {v3, f23.t()}, {"mm", "1-D and 2-D"});
  expect_error([&] { nb::mm(f23, f45); }, "torch.mm(a, b)", {f23, f45}, {"mm", "(2, 3)", "(4, 5)"});
  expect_error([&] { nb::mm(f23, d34); }, "torch.mm(a, b)", {f23, d34}, {"mm", "float32", "float64"});
  expect_error([&] { nb::bmm(f23, f345); }, "torch.bmm(a, b)", {f23, f345}, {"bmm", "3-D", "(2, 3)"});
  expect_error([&] { nb::bmm(f223, f335); }, "torch.bmm(a, b)", {f223, f335}, {"bmm", "(2, 2, 3)", "(3, 3, 5)", "2 != 3"});
  expect_error([&] { nb::dot(f23, v3); }, "torch.dot(a, b)", {f23, v3}, {"dot", "1-D"});
  expect_error([&] { nb::dot(v3, v4); }, "torch.dot(a, b)", {v3, v4}, {"dot", "(3,)", "(4,)"});
  expect_error([&] { nb::dot(v3, v3.to(nb::kFloat64)); }, "torch.dot(a, b)", {v3, v3.to(nb::kFloat64)}, {"dot", "float32", "float64"});
  expect_error([&] { nb::dot(v3.to(nb::kBool), v3.to(nb::kBool)); }, "torch.dot(a, b)", {v3.to(nb::kBool), v3.to(nb::kBool)}, {"dot", "bool"});
  expect_error([&] { nb::outer(f23, v3); }, "torch.outer(a, b)", {f23, v3}, {"outer", "2-D", "(2, 3)"});
  expect_error([&] { nb::outer(s, v3); }, "torch.outer(a, b)", {s, v3}, {"outer", "0-D"});
  nb::Tensor bias2 = nb::ones({2}), a23 = nb::ones({2, 3}), b34f = nb::ones({3, 4});
  expect_error([&] { nb::addmm(bias2, a23, b34f); }, "torch.addmm(a, b, c)", {bias2, a23, b34f}, {"addmm", "(2,)", "(2, 4)"});
  expect_error([&] { nb::addmm(nb::ones({3, 4, 4}), a23, b34f); }, "torch.addmm(a, b, c)", {nb::ones({3, 4, 4}), a23, b34f}, {"addmm", "(3, 4, 4)"});
  expect_error([&] { nb::addmm(nb::ones({2, 4}), v3, b34f); }, "torch.addmm(a, b, c)", {nb::ones({2, 4}), v3, b34f}, {"addmm", "2-D"});
  expect_error([&] { nb::addmm(nb::ones({2, 4}), a23, nb::ones({2, 4})); }, "torch.addmm(a, b, c)", {nb::ones({2, 4}), a23, nb::ones({2, 4})},
               {"addmm: shapes (2, 3) and (2, 4) cannot be multiplied (3 != 2)"});
  expect_error([&] { nb::addmm(nb::ones({2, 4}, nb::kFloat64), a23, b34f); }, "torch.addmm(a, b, c)",
               {nb::ones({2, 4}, nb::kFloat64), a23, b34f}, {"addmm", "float64", "float32"});
  expect_error([&] { nb::addmm(nb::ones({2, 4}), a23, b34f.to(nb::kFloat64)); }, "torch.addmm(a, b, c)",
               {nb::ones({2, 4}), a23, b34f.to(nb::kFloat64)}, {"addmm", "float64", "float32"});
}
