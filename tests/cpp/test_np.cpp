// nabla::np against NumPy itself (1.24 here, with NumPy 2's promotion rules switched on: NEP 50's "weak"
// state): creation, promotion, ufuncs, views, dot/matmul, reductions, printing byte for byte, zero-copy
// conversion with Tensor, and .npy/.npz files written by each side and read by the other.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "core/check.hpp"
#include "nabla/np.hpp"
#include "oracle.hpp"
#include "test_support.hpp"

namespace nb = nabla;
using test_support::read_bytes;
using test_support::write_bytes;
namespace np = nabla::np;
namespace fs = std::filesystem;

namespace {

std::string hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += digits[c >> 4], out += digits[c & 15];
  return out;
}

// Python statements run with NumPy 2's promotion (restored afterwards, the oracle process is shared), with
// the inputs bound to a, b, ... as NumPy arrays; their value is what they assign to `result`. With
// `shapes`, a last output lists each result's ndim and shape: the oracle sends NumPy's 0-d values as 1-d.
std::string numpy_script(const std::string& body, size_t inputs, bool shapes = false) {
  std::string s = "import numpy as np\n_state = np._get_promotion_state()\nnp._set_promotion_state('weak')\ntry:\n";
  for (size_t i = 0; i < inputs; ++i) {
    const std::string v(1, char('a' + i));
    s += "  " + v + " = " + v + " if isinstance(" + v + ", np.ndarray) else " + v + ".numpy()\n";
  }
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) s += "  " + line + "\n";
  if (shapes) {
    s += "  _r = [np.asarray(x) for x in (result if isinstance(result, list) else [result])]\n  _shapes = []\n"
         "  for _x in _r: _shapes += [np.ndim(_x)] + list(np.shape(_x))\n"
         "  result = list(_r) + [np.array(_shapes, dtype=np.int64)]\n";
  }
  return s + "finally:\n  np._set_promotion_state(_state)\n";
}

std::vector<nb::Tensor> tensors_of(const std::vector<np::ndarray>& arrays) {
  std::vector<nb::Tensor> out;
  for (const auto& a : arrays) out.push_back(a.tensor());
  return out;
}

oracle::Result numpy_exec(const std::string& body, const std::vector<np::ndarray>& inputs = {}) {
  oracle::Result r = oracle::exec(numpy_script(body, inputs.size(), true), tensors_of(inputs));
  if (!r.ok || r.outputs.empty()) return r;
  const nb::Tensor shapes = r.outputs.back().contiguous();
  r.outputs.pop_back();
  const int64_t* p = shapes.data_ptr<int64_t>();
  for (nb::Tensor& out : r.outputs) {
    const int64_t ndim = *p++;
    out = out.reshape(nb::IntArrayRef(p, size_t(ndim)));
    p += ndim;
  }
  return r;
}

// The statements' `result`, a string.
std::string numpy_text(const std::string& body, const std::vector<np::ndarray>& inputs = {}) {
  return oracle::str("(lambda g: (exec(bytes.fromhex('" + hex(numpy_script(body, inputs.size())) +
                         "').decode(), g), g['result'])[1])(dict(globals()))",
                     tensors_of(inputs));
}

np::ndarray numpy_value(const std::string& body, const std::vector<np::ndarray>& inputs = {}) {
  oracle::Result r = numpy_exec(body, inputs);
  return np::ndarray(r.value());
}

::testing::AssertionResult same(const np::ndarray& actual, const np::ndarray& expected) {
  return oracle::close(actual.tensor(), expected.tensor());
}

np::ndarray random_array(nb::IntArrayRef shape, nb::DType dtype, uint64_t seed, double lo = -50, double hi = 50) {
  return np::ndarray(oracle::random_tensor(shape, dtype, seed, lo, hi));
}

constexpr nb::DType kNumpyDTypes[] = {np::bool_, np::uint8, np::int8, np::int16, np::int32, np::int64,
                                      np::uint16, np::uint32, np::uint64, np::float16, np::float32, np::float64};

// Runs f, which must raise E with every one of `parts` in its message.
template <typename E, typename F>
::testing::AssertionResult raises(F&& f, std::initializer_list<std::string_view> parts = {}) {
  try {
    f();
  } catch (const E& e) {
    const std::string message = e.what();
    for (std::string_view p : parts)
      if (message.find(p) == std::string::npos) return ::testing::AssertionFailure() << "message '" << message << "' lacks '" << p << "'";
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "raised another exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "raised nothing";
}

}  // namespace

TEST(NpCreate, ArrayInfersNumpyDtypes) {
  EXPECT_EQ(np::array({1, 2, 3}).dtype(), np::int64);
  EXPECT_EQ(np::array({1.0, 2.0}).dtype(), np::float64);
  EXPECT_EQ(np::array({1.0f, 2.0f}).dtype(), np::float64);  // a C++ float is a Python float
  EXPECT_EQ(np::array({true, false}).dtype(), np::bool_);
  EXPECT_EQ(np::array({true, 2}).dtype(), np::int64);
  EXPECT_EQ(np::array({{1, 2}, {3.5, 4}}).dtype(), np::float64);
  EXPECT_EQ(np::array({uint64_t(1) << 63}).dtype(), np::uint64);
  EXPECT_EQ(np::array({int64_t(1), int64_t(uint64_t(1) << 62), 3}).dtype(), np::int64);
  EXPECT_EQ(np::array({-1, 0}).dtype(), np::int64);
  EXPECT_EQ(np::array({nb::Scalar(-1), nb::Scalar(uint64_t(1) << 63)}).dtype(), np::float64);  // as NumPy: int64 + uint64
  EXPECT_EQ(np::array(5).ndim(), 0);
  EXPECT_EQ(np::array({}).dtype(), np::float64);
  EXPECT_TRUE(same(np::array({{1, 2}, {3, 4}}, np::int8), numpy_value("result = np.array([[1, 2], [3, 4]], np.int8)")));
  EXPECT_TRUE(same(np::array({1.5, -2.7}, np::int16), numpy_value("result = np.array([1.5, -2.7], dtype=np.int16)")));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::array({300}, np::int8); }, {"Python integer 300 out of bounds for int8"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::array({-1}, np::uint64); }, {"out of bounds for uint64"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::array({{1, 2}, {3}}); }, {"inhomogeneous shape after 1 dimensions"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::array({1, {2, 3}}); }, {"inhomogeneous"}));
  EXPECT_TRUE(raises<nb::TypeError>([] { np::array({1}, nb::kBFloat16); }, {"bfloat16"}));
}

TEST(NpCreate, FilledAndRangesMatchNumpy) {
  EXPECT_EQ(np::zeros({2, 3}).dtype(), np::float64);
  EXPECT_EQ(np::ones({2}).dtype(), np::float64);
  EXPECT_EQ(np::empty({2}).dtype(), np::float64);
  EXPECT_EQ(np::full({2}, 3).dtype(), np::int64);
  EXPECT_EQ(np::full({2}, 3.5).dtype(), np::float64);
  EXPECT_EQ(np::full({2}, true).dtype(), np::bool_);
  EXPECT_TRUE(same(np::ones({2, 2}, np::uint16), numpy_value("result = np.ones((2, 2), np.uint16)")));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::zeros({-1}); }, {"negative dimensions"}));
  struct Range {
    nb::Scalar start, stop, step;
    std::optional<nb::DType> dtype;
    const char* python;
  };
  const Range ranges[] = {
      {0, 10, 1, {}, "np.arange(0, 10, 1)"},
      {10, 0, -3, {}, "np.arange(10, 0, -3)"},
      {0, 0, 1, {}, "np.arange(0, 0, 1)"},
      {5, 1, 1, {}, "np.arange(5, 1, 1)"},
      {0.1, 1.0, 0.1, {}, "np.arange(0.1, 1.0, 0.1)"},
      {-1.0, 1.0, 0.3, {}, "np.arange(-1.0, 1.0, 0.3)"},
      {1, 2, 0.1, {}, "np.arange(1, 2, 0.1)"},
      {0.5, 40, 1.7, np::float32, "np.arange(0.5, 40, 1.7, dtype=np.float32)"},
      {0.5, 40, 1.7, np::float16, "np.arange(0.5, 40, 1.7, dtype=np.float16)"},
      {0.5, 9, 1.5, np::int32, "np.arange(0.5, 9, 1.5, dtype=np.int32)"},
      {0, 300, 7, np::uint8, "np.arange(0, 300, 7).astype(np.uint8)"},
      {0, 2, 1, np::bool_, "np.arange(0, 2, 1, dtype=bool)"},
  };
  for (const Range& r : ranges) {
    SCOPED_TRACE(r.python);
    EXPECT_TRUE(same(np::arange(r.start, r.stop, r.step, r.dtype), numpy_value(std::string("result = ") + r.python)));
  }
  EXPECT_TRUE(same(np::arange(7), numpy_value("result = np.arange(7)")));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::arange(0, 5, 0); }, {"step"}));
  EXPECT_TRUE(same(np::linspace(0, 1, 7), numpy_value("result = np.linspace(0, 1, 7)")));
  EXPECT_TRUE(same(np::linspace(-3.3, 8.1, 50, np::float32), numpy_value("result = np.linspace(-3.3, 8.1, 50, dtype=np.float32)")));
  EXPECT_TRUE(same(np::linspace(-3.3, 8.1, 9, np::int64), numpy_value("result = np.linspace(-3.3, 8.1, 9, dtype=np.int64)")));
  EXPECT_TRUE(same(np::linspace(2, 2, 1), numpy_value("result = np.linspace(2, 2, 1)")));
}

TEST(NpPromotion, ResultTypeOfEveryPairAndScalarKind) {
  std::string python = "names = ['bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'uint64', "
                       "'float16', 'float32', 'float64']\nout = []\nfor x in names:\n  for y in names:\n"
                       "    out.append(np.result_type(np.dtype(x), np.dtype(y)).name)\n"
                       "  for s in [True, 1, 1.5]:\n    out.append(np.result_type(np.zeros(1, x), s).name)\n"
                       "result = ' '.join(out)";
  std::string expected = numpy_text(python), actual;
  for (nb::DType a : kNumpyDTypes) {
    for (nb::DType b : kNumpyDTypes) actual += std::string(nb::dtype_name(np::result_type(a, b))) + " ";
    for (nb::Scalar s : {nb::Scalar(true), nb::Scalar(1), nb::Scalar(1.5)})
      actual += std::string(nb::dtype_name(np::result_type(a, s))) + " ";
  }
  actual.pop_back();
  EXPECT_EQ(actual, expected);
}

TEST(NpArithmetic, UfuncsMatchNumpyOnEveryDtypePair) {
  struct Op {
    const char* python;
    np::ndarray (*fn)(const np::ndarray&, const np::ndarray&);
  };
  const Op ops[] = {{"a + b", np::add}, {"a - b", np::subtract}, {"a * b", np::multiply}, {"a / b", np::true_divide},
                    {"a // b", np::floor_divide}, {"a % b", np::remainder}, {"np.maximum(a, b)", np::maximum},
                    {"np.minimum(a, b)", np::minimum}, {"a == b", np::equal}, {"a != b", np::not_equal},
                    {"a < b", np::less}, {"a <= b", np::less_equal}, {"a > b", np::greater}, {"a >= b", np::greater_equal},
                    {"a & b", np::bitwise_and}, {"a | b", np::bitwise_or}, {"a ^ b", np::bitwise_xor}};
  uint64_t seed = 1;
  for (nb::DType x : kNumpyDTypes) {
    for (nb::DType y : kNumpyDTypes) {
      // Divisors without zeros for the integer kernels' sake; zeros are tested below.
      const np::ndarray a = random_array({3, 4}, x, seed++, -20, 20), b = random_array({4}, y, seed++, 1, 9);
      std::string python = "result = []\n";
      std::vector<np::ndarray> ours;
      for (const Op& op : ops) {
        const bool bool_sub = std::string(op.python) == "a - b" && np::result_type(x, y) == np::bool_;
        const bool bitwise_float = op.python[2] == '&' || op.python[2] == '|' || op.python[2] == '^';
        if (bool_sub || (bitwise_float && nb::is_floating(np::result_type(x, y)))) continue;
        python += std::string("result.append(") + op.python + ")\n";
        ours.push_back(op.fn(a, b));
      }
      SCOPED_TRACE(std::string(nb::dtype_name(x)) + " with " + std::string(nb::dtype_name(y)));
      const oracle::Result r = numpy_exec(python, {a, b});
      ASSERT_TRUE(r.ok) << r.error_message;
      ASSERT_EQ(r.outputs.size(), ours.size());
      for (size_t i = 0; i < ours.size(); ++i) EXPECT_CLOSE(ours[i].tensor(), r.outputs[i]);
    }
  }
}

TEST(NpArithmetic, WeakScalarsFollowNep50) {
  const nb::Scalar scalars[] = {true, 1, -3, 300, 70000, 2.5, nb::Scalar(uint64_t(1) << 63)};
  const char* scalar_text[] = {"True", "1", "-3", "300", "70000", "2.5", "2**63"};
  uint64_t seed = 100;
  for (nb::DType x : kNumpyDTypes) {
    const np::ndarray a = random_array({5}, x, seed++, 1, 20);
    for (size_t i = 0; i < std::size(scalars); ++i) {
      const std::string s = scalar_text[i];
      SCOPED_TRACE(std::string(nb::dtype_name(x)) + " with " + s);
      for (const auto& [python, fn] : std::initializer_list<std::pair<std::string, np::ndarray (*)(const np::ndarray&, const nb::Scalar&)>>{
               {"a + " + s, np::add}, {"a * " + s, np::multiply}, {"a / " + s, np::true_divide}, {"a == " + s, np::equal}}) {
        const oracle::Result r = numpy_exec("result = " + python, {a});
        if (!r.ok) {
          EXPECT_EQ(r.error_type, "OverflowError") << python;
          EXPECT_TRUE(raises<nb::ValueError>([&, op = fn] { op(a, scalars[i]); }, {"out of bounds for"})) << python;
        } else if (r.value().dim() == 0) {
          // NumPy 1.24 gives a lone False for == with an out-of-range integer; NumPy 2 an array of them.
          EXPECT_TRUE(np::array_equal(fn(a, scalars[i]), np::full(a.shape(), r.value().item<bool>()))) << python;
        } else {
          EXPECT_CLOSE(fn(a, scalars[i]).tensor(), r.value());
        }
      }
      // Scalar on the left.
      const oracle::Result left = numpy_exec("result = " + s + " - a", {a});
      if (left.ok && x != np::bool_) EXPECT_CLOSE(np::subtract(scalars[i], a).tensor(), left.value());
    }
  }
  EXPECT_TRUE(raises<nb::ValueError>([] { np::array({1}, np::int8) + 300; }, {"Python integer 300 out of bounds for int8"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::array({1}, np::uint8) - (-1); }, {"Python integer -1 out of bounds for uint8"}));
  // NumPy 2 answers comparisons with out-of-range Python integers exactly (1.24 raised for all but ==).
  const np::ndarray small = np::array({-5, 0, 7}, np::int8);
  EXPECT_TRUE(np::array_equal(small == 300, np::array({false, false, false})));
  EXPECT_TRUE(np::array_equal(small != 300, np::array({true, true, true})));
  EXPECT_TRUE(np::array_equal(small < 300, np::array({true, true, true})));
  EXPECT_TRUE(np::array_equal(small >= -300, np::array({true, true, true})));
  EXPECT_TRUE(np::array_equal(300 <= small, np::array({false, false, false})));
  EXPECT_TRUE(np::array_equal(np::array({1u}, np::uint8) > -1, np::array({true})));
}

TEST(NpArithmetic, NumpyEdgeCases) {
  const np::ndarray i = np::array({7, -7, 0, 5}), zero = np::array({0, 0, 3, 0});
  EXPECT_TRUE(same(np::floor_divide(i, zero), numpy_value("result = a // b", {i, zero})));
  EXPECT_TRUE(same(np::remainder(i, zero), numpy_value("result = a % b", {i, zero})));
  EXPECT_TRUE(same(np::floor_divide(np::array({5.5, -5.5}), 0), numpy_value("result = np.array([5.5, -5.5]) // 0")));
  const np::ndarray t = np::array({true, false});
  EXPECT_TRUE(same(np::floor_divide(t, t | true), numpy_value("result = a // (a | True)", {t})));
  EXPECT_TRUE(same(np::power(t, t), numpy_value("result = a ** a", {t})));
  EXPECT_TRUE(same(np::power(np::array({2, 3}, np::int16), 3), numpy_value("result = np.array([2, 3], np.int16) ** 3")));
  EXPECT_TRUE(same(-np::array({1, 200}, np::uint8), numpy_value("result = -np.array([1, 200], np.uint8)")));
  EXPECT_TRUE(same(~np::array({true, false}), numpy_value("result = ~np.array([True, False])")));
  EXPECT_TRUE(same(~np::array({5, -1}, np::int16), numpy_value("result = ~np.array([5, -1], np.int16)")));
  EXPECT_TRUE(raises<nb::TypeError>([&] { t - t; }, {"numpy boolean subtract"}));
  EXPECT_TRUE(raises<nb::TypeError>([&] { -t; }, {"numpy boolean negative"}));
  EXPECT_TRUE(raises<nb::TypeError>([] { np::array({1.5}) & 1; }, {"ufunc 'bitwise_and' not supported"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::power(np::array({2}), -1); }, {"Integers to negative integer powers"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::ones({2, 3}) + np::ones({3, 2}); },
                                     {"operands could not be broadcast together with shapes (2,3) (3,2)"}));
  // In place: the result is cast back with 'same_kind'.
  np::ndarray acc = np::array({1, 2}, np::int8);
  acc += 3;
  acc *= np::array({2, 2}, np::int8);
  EXPECT_TRUE(np::array_equal(acc, np::array({8, 10}, np::int8)));
  EXPECT_EQ(acc.dtype(), np::int8);
  EXPECT_TRUE(raises<nb::TypeError>([&] { acc += 1.5; }, {"Cannot cast ufunc 'add' output from dtype('float64') to dtype('int8')"}));
  np::ndarray f = np::array({1.0, 2.0}, np::float32);
  f /= 4;
  EXPECT_TRUE(same(f, numpy_value("result = np.array([1.0, 2.0], np.float32) / 4")));
}

TEST(NpViews, ReshapeTransposeSliceShareMemory) {
  const np::ndarray a = np::arange(24).reshape({2, 3, 4});
  EXPECT_EQ(a.strides(), nb::DimVector({96, 32, 8}));
  EXPECT_TRUE(a.c_contiguous());
  const np::ndarray t = a.T();
  EXPECT_EQ(t.shape(), nb::DimVector({4, 3, 2}));
  EXPECT_EQ(t.strides(), nb::DimVector({8, 32, 96}));
  EXPECT_TRUE(t.f_contiguous());
  EXPECT_EQ(t.data(), a.data());
  EXPECT_TRUE(same(a.transpose({1, 0, 2}), numpy_value("result = a.transpose(1, 0, 2)", {a})));
  EXPECT_TRUE(same(a.reshape({4, -1}), numpy_value("result = a.reshape(4, -1)", {a})));
  EXPECT_TRUE(same(t.reshape({-1}), numpy_value("result = a.T.reshape(-1)", {a})));
  EXPECT_TRUE(raises<nb::ValueError>([&] { a.reshape({5, -1}); }, {"cannot reshape array of size 24 into shape (5, -1)"}));
  EXPECT_TRUE(raises<nb::ValueError>([&] { a.transpose({0, 1}); }, {"axes"}));
  using nb::Slice;
  using nb::None;
  const std::vector<std::pair<std::vector<nb::TensorIndex>, std::string>> cases = {
      {{Slice(None, None, -1)}, "a[::-1]"},
      {{1, Slice(None, None, -2)}, "a[1, ::-2]"},
      {{nb::Ellipsis, Slice(3, 0, -1)}, "a[..., 3:0:-1]"},
      {{Slice(None, None, -1), None, Slice(-1, -5, -2), 2}, "a[::-1, None, -1:-5:-2, 2]"},
      {{0, Slice(10, -10, -1)}, "a[0, 10:-10:-1]"},
      {{Slice(), Slice(1, 1, -1)}, "a[:, 1:1:-1]"},
      {{-1, -1, -1}, "a[-1, -1, -1]"},
      {{Slice(None, None, -1), nb::tensor({2, 0})}, "a[::-1, [2, 0]]"},
  };
  for (const auto& [index, python] : cases) {
    SCOPED_TRACE(python);
    const np::ndarray v = a.index(index);
    EXPECT_TRUE(same(v, numpy_value("result = " + python, {a})));
    EXPECT_TRUE(same(v.copy(), numpy_value("result = " + python, {a})));
    EXPECT_EQ(np::str(v), numpy_text("result = str(" + python + ")", {a}));
  }
  // Views write through; reversed views work in arithmetic and reductions.
  np::ndarray b = np::arange(6.0);
  np::ndarray rev = b.index({Slice(None, None, -1)});
  EXPECT_EQ(rev.strides(), nb::DimVector({-8}));
  rev.index_put({0}, 100);
  EXPECT_EQ(b.index({5}).item<double>(), 100);
  EXPECT_TRUE(same(rev + b, numpy_value("b = np.arange(6.0); b[5] = 100\nresult = b[::-1] + b")));
  EXPECT_EQ(rev.sum().item<double>(), 110);
  b.index_put({Slice(None, None, -2)}, np::array({-1.0, -2.0, -3.0}));
  EXPECT_TRUE(same(b, numpy_value("b = np.arange(6.0); b[5] = 100; b[::-2] = [-1.0, -2.0, -3.0]\nresult = b")));
  EXPECT_TRUE(raises<nb::ValueError>([&] { b.fill(300); b.astype(np::int8).fill(300); }, {"out of bounds for int8"}));
  const np::ndarray c = a.astype(np::float16);
  EXPECT_NE(c.data(), a.data());
  EXPECT_EQ(a.astype(np::int64, false).data(), a.data());
  EXPECT_TRUE(raises<nb::IndexError>([&] { a.index({5}); }, {"out of bounds"}));
}

TEST(NpLinalg, DotAndMatmulMatchNumpy) {
  const std::vector<std::pair<nb::DimVector, nb::DimVector>> shapes = {
      {{}, {3}}, {{4}, {}}, {{5}, {5}}, {{2, 3}, {3, 4}}, {{3}, {3, 2}}, {{2, 3}, {3}}, {{2, 3, 4}, {4}},
      {{2, 3, 4}, {5, 4, 2}}, {{3, 4}, {2, 4, 5}}, {{2, 1, 3}, {4, 3, 2}}, {{0, 3}, {3, 2}}, {{2, 0}, {0, 3}}};
  uint64_t seed = 300;
  for (nb::DType x : {np::int64, np::float64, np::float32, np::int32, np::bool_, np::float16, np::uint8}) {
    for (nb::DType y : {np::float64, np::int8, np::bool_}) {
      for (const auto& [sa, sb] : shapes) {
        const np::ndarray a = random_array(sa, x, seed++, -3, 3), b = random_array(sb, y, seed++, -3, 3);
        SCOPED_TRACE(nb::shape_str(sa) + " " + std::string(nb::dtype_name(x)) + " . " + nb::shape_str(sb) + " " +
                     std::string(nb::dtype_name(y)));
        EXPECT_CLOSE(np::dot(a, b).tensor(), numpy_value("result = np.dot(a, b)", {a, b}).tensor(),
                     oracle::Tolerance{2e-3, 2e-2});
        if (a.ndim() > 0 && b.ndim() > 0 && (a.ndim() < 3 || b.ndim() < 3 || a.shape()[0] == b.shape()[0]) &&
            (b.ndim() == 1 || a.shape()[a.ndim() - 1] == b.shape()[b.ndim() == 1 ? 0 : b.ndim() - 2]) && !(a.ndim() == 2 && b.ndim() == 3))
          EXPECT_CLOSE(np::matmul(a, b).tensor(), numpy_value("result = np.matmul(a, b)", {a, b}).tensor(),
                       oracle::Tolerance{2e-3, 2e-2});
      }
    }
  }
  const np::ndarray a = np::array({{1, 2}, {3, 4}}), b = np::array({{5, 6}, {7, 8}});
  EXPECT_EQ(np::str(np::dot(a, b)), "[[19 22]\n [43 50]]");
  EXPECT_TRUE(raises<nb::ValueError>([] { np::dot(np::ones({2, 3}), np::ones({2, 3})); },
                                     {"shapes (2,3) and (2,3) not aligned: 3 (dim 1) != 2 (dim 0)"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::matmul(np::array(1), np::ones({2})); }, {"matmul: Input operand 0 does not have enough dimensions"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::matmul(np::ones({2, 3}), np::ones({2, 3})); }, {"mismatch in its core dimension 0"}));
}

TEST(NpReduce, AxesKeepdimsAndResultTypes) {
  uint64_t seed = 500;
  const std::vector<std::pair<np::Axes, std::string>> axes = {
      {{}, "None"}, {0, "0"}, {-1, "-1"}, {{0, 2}, "(0, 2)"}, {{2, 0, 1}, "(2, 0, 1)"}};
  for (nb::DType x : kNumpyDTypes) {
    const np::ndarray a = random_array({3, 4, 5}, x, seed++, -20, 20);
    for (const auto& [axis, text] : axes) {
      for (bool keep : {false, true}) {
        SCOPED_TRACE(std::string(nb::dtype_name(x)) + " axis " + text + (keep ? " keepdims" : ""));
        const std::string k = keep ? "True" : "False";
        const oracle::Result r = numpy_exec("result = [a.sum(axis=" + text + ", keepdims=" + k + "), a.max(axis=" + text +
                                                ", keepdims=" + k + "), a.min(axis=" + text + ", keepdims=" + k +
                                                "), a.mean(axis=" + text + ", keepdims=" + k + ")]",
                                            {a});
        ASSERT_TRUE(r.ok) << r.error_message;
        EXPECT_CLOSE(np::sum(a, axis, keep).tensor(), r.outputs[0], oracle::Tolerance{1e-3, 5e-2});
        EXPECT_CLOSE(np::max(a, axis, keep).tensor(), r.outputs[1]);
        EXPECT_CLOSE(np::min(a, axis, keep).tensor(), r.outputs[2]);
        EXPECT_CLOSE(np::mean(a, axis, keep).tensor(), r.outputs[3], oracle::Tolerance{1e-3, 1e-2});
      }
    }
    for (std::optional<int64_t> axis : {std::optional<int64_t>(), std::optional<int64_t>(1), std::optional<int64_t>(-1)}) {
      const std::string text = axis ? std::to_string(*axis) : "None";
      SCOPED_TRACE(std::string(nb::dtype_name(x)) + " arg axis " + text);
      const oracle::Result r = numpy_exec("result = [a.argmax(axis=" + text + "), a.argmin(axis=" + text +
                                              ", keepdims=True)]", {a});
      ASSERT_TRUE(r.ok) << r.error_message;
      EXPECT_CLOSE(np::argmax(a, axis).tensor(), r.outputs[0]);
      EXPECT_CLOSE(np::argmin(a, axis, true).tensor(), r.outputs[1]);
    }
  }
  const np::ndarray with_nan = np::array({1.0, NAN, 3.0, NAN});
  EXPECT_TRUE(same(np::argmax(with_nan), numpy_value("result = np.argmax(np.array([1.0, np.nan, 3.0, np.nan]))")));
  EXPECT_TRUE(std::isnan(np::max(with_nan).item<double>()));
  EXPECT_EQ(np::sum(np::array(4, np::int8)).dtype(), np::int64);
  EXPECT_TRUE(raises<nb::ValueError>([] { np::max(np::zeros({0, 3})); }, {"zero-size array to reduction operation maximum"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::max(np::zeros({0, 3}), 0); }, {"which has no identity"}));
  EXPECT_EQ(np::max(np::zeros({0, 3}), 1).shape(), nb::DimVector({0}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::argmax(np::zeros({0})); }, {"attempt to get argmax of an empty sequence"}));
  EXPECT_TRUE(raises<nb::IndexError>([] { np::sum(np::zeros({2, 3}), 2); }, {"axis 2 is out of bounds for array of dimension 2"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { np::sum(np::zeros({2, 3}), {1, -1}); }, {"duplicate value in 'axis'"}));
}

namespace {

// str() and repr() of every array next to NumPy's, in one oracle request.
void expect_prints_like_numpy(const std::vector<np::ndarray>& arrays) {
  std::string python = "_in = [globals()[chr(97 + i)] for i in range(" + std::to_string(arrays.size()) + ")]\n" +
                       "_in = [x if isinstance(x, np.ndarray) else x.numpy() for x in _in]\n"
                       "result = '\\x00'.join(str(x) + '\\x00' + repr(x) for x in _in)";
  std::vector<nb::Tensor> inputs = tensors_of(arrays);
  const std::string expected = oracle::str("(lambda g: (exec(bytes.fromhex('" + hex(python) +
                                               "').decode(), g), g['result'])[1])(dict(globals()))",
                                           inputs);
  std::vector<std::string> parts;
  for (size_t begin = 0;;) {
    const size_t end = expected.find('\0', begin);
    parts.push_back(expected.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  ASSERT_EQ(parts.size(), 2 * arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    EXPECT_EQ(np::str(arrays[i]), parts[2 * i]) << "array " << i << ": " << parts[2 * i + 1];
    EXPECT_EQ(np::repr(arrays[i]), parts[2 * i + 1]) << "array " << i;
  }
}

np::ndarray from_doubles(const std::vector<double>& v, nb::DType dtype) {
  return np::ndarray(nb::tensor(v, nb::TensorOptions(nb::kFloat64)).to(dtype));
}

}  // namespace

TEST(NpPrint, IntegersAndBoolsEveryDtypeAndShape) {
  EXPECT_EQ(np::str(np::array({{19, 22}, {43, 50}})), "[[19 22]\n [43 50]]");
  EXPECT_EQ(np::repr(np::array({{19, 22}, {43, 50}})), "array([[19, 22],\n       [43, 50]])");
  EXPECT_EQ(np::repr(np::array({1, 2}, np::int32)), "array([1, 2], dtype=int32)");
  std::ostringstream os;
  os << np::array({1, 2, 3});
  EXPECT_EQ(os.str(), "[1 2 3]");
  std::vector<np::ndarray> arrays;
  uint64_t seed = 700;
  const std::vector<nb::DimVector> shapes = {{}, {0}, {2, 0}, {0, 3}, {1}, {7}, {3, 4}, {2, 3, 4}, {2, 1, 2, 3}, {30},
                                             {60, 2}, {1001}, {40, 40}, {3, 400}, {11, 11, 11}};
  for (nb::DType x : {np::bool_, np::uint8, np::int8, np::int16, np::int32, np::int64, np::uint16, np::uint32, np::uint64}) {
    for (const auto& shape : shapes) arrays.push_back(random_array(shape, x, seed++, -1000, 100000));
  }
  arrays.push_back(np::array({std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}));
  arrays.push_back(np::array({std::numeric_limits<uint64_t>::max(), uint64_t(0)}, np::uint64));
  arrays.push_back(np::array({-128, 127}, np::int8));
  arrays.push_back(np::array(true));
  arrays.push_back(np::array({{true, false}, {false, false}}));
  arrays.push_back(np::arange(24).reshape({2, 3, 4}).T());
  expect_prints_like_numpy(arrays);
}

TEST(NpPrint, FloatsEveryFormatAndSpecialValue) {
  EXPECT_EQ(np::str(np::array({1.0, 2.5})), "[1.  2.5]");
  EXPECT_EQ(np::str(np::array({{1.23456789}, {-0.1}})), "[[ 1.23456789]\n [-0.1       ]]");
  EXPECT_EQ(np::repr(np::array({1., 2.}, np::float32)), "array([1., 2.], dtype=float32)");
  const double inf = INFINITY, nan = NAN;
  const std::vector<std::vector<double>> value_sets = {
      {1.0, 2.5}, {1.23456789, -0.1}, {0.1, 0.2, 0.30000000000000004}, {1e-5, 1.0}, {1e8, 1.0}, {99999999.0, 1.5},
      {1234.5, 0.5}, {1000.0, 1.0}, {1001.0, 1.0}, {0.0001, 1.0}, {0.00009999, 1.0}, {1.0 / 3, 2.0 / 3, 1e4},
      {nan, 1.5}, {inf, -inf, 0.0}, {nan, nan}, {-inf}, {-0.0, 0.0}, {0.0, 0.0, 0.0}, {1e-300, 1e300},
      {123456789.123, 1e-100}, {3.14159265358979, 2.718281828459045, -1.4142135623730951}, {5e-324, 1.0},
      {1e16, 1e-16}, {12345678.9, 0.25}, {-1e-5, nan, inf}, {2.0, 4.0, 8.0}, {0.5, 1e-4, 1e-4}};
  std::vector<np::ndarray> arrays;
  for (nb::DType d : {np::float64, np::float32, np::float16}) {
    for (const auto& v : value_sets) arrays.push_back(from_doubles(v, d));
    for (const auto& v : value_sets) arrays.push_back(from_doubles({v[0]}, d).reshape({}));
  }
  uint64_t seed = 900;
  const std::vector<nb::DimVector> shapes = {{0}, {2, 0}, {9}, {3, 5}, {2, 3, 4}, {25}, {1001}, {40, 40}, {4, 300}};
  for (nb::DType d : {np::float64, np::float32, np::float16}) {
    for (const auto& shape : shapes) {
      arrays.push_back(random_array(shape, d, seed++, -10, 10));
      arrays.push_back(random_array(shape, d, seed++, -1e6, 1e6));
      arrays.push_back(random_array(shape, d, seed++, 0, 1e-3));
      arrays.push_back((random_array(shape, d, seed++, -30, 30).astype(np::int64).astype(d)));
    }
  }
  // float32(1e-4) is just below 1e-4: NumPy compares the thresholds in float64.
  arrays.push_back(from_doubles({double(1e-4f), 1.0}, np::float32));
  expect_prints_like_numpy(arrays);
}

TEST(NpPrint, ShortestDigitsOfEveryFloat16AndRandomFloats) {
  // Every finite float16, and random float32/float64 bit patterns: str() of each as a 0-d array.
  std::vector<uint16_t> halves;
  for (uint32_t bits = 0; bits < 0x10000; ++bits)
    if ((bits & 0x7c00) != 0x7c00) halves.push_back(uint16_t(bits));
  nb::Tensor h = nb::empty({int64_t(halves.size())}, nb::kFloat16);
  std::memcpy(h.data_ptr(), halves.data(), halves.size() * 2);
  std::mt19937_64 rng(42);
  nb::Tensor f = nb::empty({4000}, nb::kFloat32), d = nb::empty({4000}, nb::kFloat64);
  for (int i = 0; i < 4000; ++i) {
    uint32_t fb;
    do fb = uint32_t(rng()); while ((fb & 0x7f800000u) == 0x7f800000u);
    uint64_t db;
    do db = rng(); while ((db & 0x7ff0000000000000ull) == 0x7ff0000000000000ull);
    std::memcpy(f.data_ptr<float>() + i, &fb, 4);
    std::memcpy(d.data_ptr<double>() + i, &db, 8);
  }
  for (const nb::Tensor& t : {h, f, d}) {
    const np::ndarray a(t);
    const std::string expected = numpy_text("result = '\\n'.join(str(x) for x in a)", {a});
    std::istringstream lines(expected);
    int differences = 0;
    for (int64_t i = 0; i < a.size(); ++i) {
      std::string numpy_line;
      std::getline(lines, numpy_line);
      const std::string ours = np::str(a[i]);
      if (ours != numpy_line && ++differences <= 5)
        ADD_FAILURE() << nb::dtype_name(t.dtype()) << " element " << i << ": " << ours << " vs NumPy " << numpy_line;
    }
    EXPECT_EQ(differences, 0) << nb::dtype_name(t.dtype());
  }
}

TEST(NpConvert, SharesMemoryBothWaysForEveryDtypeAndStride) {
  for (nb::DType x : kNumpyDTypes) {
    SCOPED_TRACE(nb::dtype_name(x));
    np::ndarray a = random_array({4, 6}, x, 11, 0, 50);
    nb::Tensor t = nb::from_numpy(a);
    EXPECT_EQ(t.data_ptr(), a.data());
    EXPECT_EQ(t.dtype(), x);
    t.index_put_({1, 2}, nb::Scalar(1));
    EXPECT_EQ(a.index({1, 2}).item<double>(), 1.0);
    np::ndarray back = t.numpy();
    EXPECT_EQ(back.data(), t.data_ptr());
    back.fill(0);
    EXPECT_EQ(t.sum().item<double>(), 0.0);
    // Strided views keep their strides: transposed, stepped, reversed, broadcast (stride 0).
    const np::ndarray views[] = {a.T(), a.index({nb::Slice(nb::None, nb::None, 2)}), a.index({nb::Slice(nb::None, nb::None, -1), nb::Slice(1, nb::None, -2)})};
    for (const np::ndarray& v : views) {
      nb::Tensor tv = nb::from_numpy(v);
      EXPECT_EQ(tv.data_ptr(), v.data());
      EXPECT_EQ(tv.strides(), v.tensor().strides());
      EXPECT_EQ(tv.numpy().strides(), v.strides());
    }
    nb::Tensor expanded = nb::from_numpy(a).index({0}).expand({3, 6});
    EXPECT_EQ(expanded.numpy().strides(), nb::DimVector({0, int64_t(nb::itemsize(x))}));
  }
  // Either handle keeps the storage alive after the other is gone.
  nb::Tensor survivor;
  {
    np::ndarray a = np::arange(5.0);
    survivor = nb::from_numpy(a);
  }
  EXPECT_EQ(survivor.sum().item<double>(), 10.0);
  np::ndarray kept;
  {
    nb::Tensor t = nb::arange(4, nb::kInt32);
    kept = t.numpy();
  }
  EXPECT_EQ(np::str(kept), "[0 1 2 3]");
  // from_numpy gives a tensor of its own: requires_grad on it leaves the array alone.
  np::ndarray w = np::ones({2});
  nb::Tensor tw = nb::from_numpy(w);
  tw.requires_grad_(true);
  EXPECT_FALSE(w.tensor().requires_grad());
}

TEST(NpConvert, NumpyRefusesWhatNumpyCannotHold) {
  nb::Tensor g = nb::ones({2}).requires_grad_(true);
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { g.numpy(); },
                                       {"Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."}));
  EXPECT_EQ(g.detach().numpy().data(), g.data_ptr());
  {
    nb::NoGradGuard no_grad;
    EXPECT_EQ(g.numpy().data(), g.data_ptr());
  }
  const np::ndarray forced = g.numpy(true);
  EXPECT_EQ(forced.data(), g.data_ptr());
  EXPECT_FALSE(forced.tensor().requires_grad());
  nb::Tensor bf = nb::ones({2}, nb::kBFloat16);
  EXPECT_TRUE(raises<nb::TypeError>([&] { bf.numpy(); }, {"BFloat16", "to(kFloat32)"}));
  EXPECT_TRUE(raises<nb::TypeError>([&] { bf.numpy(true); }, {"bfloat16"}));
  EXPECT_TRUE(raises<nb::TypeError>([&] { np::ndarray{bf}; }, {"bfloat16"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { nb::from_numpy(np::ndarray()); }, {"from_numpy"}));
  EXPECT_TRUE(raises<nb::ValueError>([] { nb::Tensor().numpy(); }, {"numpy"}));
}

namespace {

using NpFiles = test_support::TempDirTest;

::testing::AssertionResult same_bits(const np::ndarray& a, const np::ndarray& b) {
  return test_support::same_bits(a.tensor(), b.tensor());
}

// Arrays of every dtype, with a 0-d, an empty, a Fortran-ordered and a non-contiguous one.
std::vector<std::pair<std::string, np::ndarray>> sample_arrays() {
  std::vector<std::pair<std::string, np::ndarray>> out;
  uint64_t seed = 40;
  for (nb::DType x : kNumpyDTypes) out.emplace_back(std::string("t_") + std::string(nb::dtype_name(x)), random_array({2, 3}, x, seed++, -100, 100));
  out.emplace_back("scalar", np::array(2.5, np::float32));
  out.emplace_back("empty", np::zeros({0, 4}, np::int16));
  out.emplace_back("fortran", np::arange(12.0).reshape({3, 4}).T());
  out.emplace_back("strided", np::arange(20).index({nb::Slice(nb::None, nb::None, -3)}));
  out.emplace_back("wide", np::arange(70000, np::uint8));
  return out;
}

}  // namespace

TEST_F(NpFiles, NpyRoundTripsAndMatchesNumpyByteForByte) {
  for (const auto& [name, a] : sample_arrays()) {
    SCOPED_TRACE(name);
    np::save(path(name + ".npy"), a);
    const np::ndarray back = np::load(path(name + ".npy"));
    EXPECT_TRUE(same_bits(back, a));
    EXPECT_EQ(back.f_contiguous() && !back.c_contiguous(), name == "fortran");
    // NumPy writes the same bytes for the same array (the Fortran one as NumPy's own transposed array).
    const std::string python = name == "fortran" ? "np.save(P, np.ascontiguousarray(a.T).T)" : "np.save(P, a)";
    const oracle::Result r = numpy_exec("P = '" + path(name + "_np.npy") + "'\n" + python + "\nresult = np.load('" +
                                            path(name + ".npy") + "')", {a});
    ASSERT_TRUE(r.ok) << r.error_message;
    EXPECT_TRUE(same_bits(np::ndarray(r.value()), a));
    EXPECT_EQ(read_bytes(path(name + ".npy")), read_bytes(path(name + "_np.npy")));
  }
  np::save(path("noext"), np::arange(3));  // NumPy's np.save appends .npy
  EXPECT_TRUE(fs::exists(path("noext.npy")));
}

TEST_F(NpFiles, LoadsNumpyFilesOfEveryVersionOrderAndByteOrder) {
  const std::string python = R"(
import numpy.lib.format as fmt
arrays = {
  'be_i4': np.arange(12, dtype='>i4').reshape(3, 4),
  'be_f8': np.linspace(-2, 3, 7).astype('>f8'),
  'be_f2': np.array([1.5, -2.25, 65504], dtype='>f2'),
  'be_u8': np.array([1, 2**64 - 1], dtype='>u8'),
  'f_order': np.asfortranarray(np.arange(24, dtype=np.int16).reshape(2, 3, 4)),
  'bool': np.array([[True, False, True]]),
  'scalar': np.array(7, dtype=np.uint32),
}
result = []
for name, arr in arrays.items():
  np.save(D + '/' + name + '.npy', arr)
  result.append(arr.astype(arr.dtype.newbyteorder('=')))
for version in [(1, 0), (2, 0), (3, 0)]:
  with open(D + '/v%d.npy' % version[0], 'wb') as f:
    fmt.write_array(f, np.arange(6.0).reshape(2, 3), version=version)
  result.append(np.arange(6.0).reshape(2, 3))
)";
  const oracle::Result r = numpy_exec("D = '" + dir_ + "'\n" + python);
  ASSERT_TRUE(r.ok) << r.error_message;
  const char* names[] = {"be_i4", "be_f8", "be_f2", "be_u8", "f_order", "bool", "scalar", "v1", "v2", "v3"};
  ASSERT_EQ(r.outputs.size(), std::size(names));
  for (size_t i = 0; i < std::size(names); ++i) {
    SCOPED_TRACE(names[i]);
    const np::ndarray a = np::load(path(std::string(names[i]) + ".npy"));
    EXPECT_TRUE(same_bits(a, np::ndarray(r.outputs[i])));
  }
  EXPECT_TRUE(np::ndarray(np::load(path("f_order.npy"))).f_contiguous());
}

TEST_F(NpFiles, NpzBothWaysStoredAndCompressed) {
  const auto arrays = sample_arrays();
  np::savez(path("a.npz"), arrays);
  np::savez_compressed(path("c"), arrays);  // NumPy appends .npz
  EXPECT_LT(fs::file_size(path("c.npz")), fs::file_size(path("a.npz")));
  for (const std::string file : {"a.npz", "c.npz"}) {
    SCOPED_TRACE(file);
    const np::NpzFile z = np::load(path(file));
    ASSERT_EQ(z.size(), arrays.size());
    for (size_t i = 0; i < arrays.size(); ++i) {
      EXPECT_EQ(z.items()[i].first, arrays[i].first);
      EXPECT_TRUE(same_bits(z[arrays[i].first], arrays[i].second));
    }
    // NumPy reads the archive (zipfile checks the CRCs) and finds the same arrays.
    std::string python = "z = np.load('" + path(file) + "')\nassert z.files == [";
    for (const auto& [name, a] : arrays) python += "'" + name + "', ";
    python += "], z.files\nresult = [z[k] for k in z.files]";
    const oracle::Result r = numpy_exec(python);
    ASSERT_TRUE(r.ok) << r.error_message;
    for (size_t i = 0; i < arrays.size(); ++i) EXPECT_TRUE(same_bits(np::ndarray(r.outputs[i]), arrays[i].second)) << arrays[i].first;
  }
  // Archives written by NumPy, both kinds, and an empty one.
  const oracle::Result r = numpy_exec("np.savez('" + path("np.npz") + "', x=np.arange(5), y=np.eye(3, dtype=np.float32))\n"
                                      "np.savez_compressed('" + path("npc.npz") + "', x=np.arange(5), y=np.eye(3, dtype=np.float32))\n"
                                      "np.savez('" + path("empty.npz") + "')\nresult = [np.arange(5), np.eye(3, dtype=np.float32)]");
  ASSERT_TRUE(r.ok) << r.error_message;
  for (const std::string file : {"np.npz", "npc.npz"}) {
    const np::NpzFile z = np::load(path(file));
    EXPECT_EQ(z.files(), std::vector<std::string>({"x", "y"}));
    EXPECT_TRUE(same_bits(z["x"], np::ndarray(r.outputs[0])));
    EXPECT_TRUE(same_bits(z["y"], np::ndarray(r.outputs[1])));
  }
  EXPECT_EQ(np::NpzFile(np::load(path("empty.npz"))).size(), 0u);
  EXPECT_TRUE(raises<nb::IndexError>([&] { np::NpzFile(np::load(path("np.npz")))["z"]; }, {"'z' is not a file in the archive"}));
  EXPECT_TRUE(raises<nb::TypeError>([&] { np::ndarray a = np::load(path("np.npz")); }, {"NpzFile"}));
  EXPECT_TRUE(raises<nb::ValueError>([&] { np::savez(path("d.npz"), {{"a", np::ones({1})}, {"a", np::ones({1})}}); }, {"given twice"}));
  // Saving over a file replaces it and leaves no temporary file.
  np::savez(path("a.npz"), {{"only", np::arange(2)}});
  EXPECT_EQ(np::NpzFile(np::load(path("a.npz"))).files(), std::vector<std::string>{"only"});
  for (const auto& e : fs::directory_iterator(dir_)) EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos);
}

TEST_F(NpFiles, TruncatedAndFlippedFilesRaiseNeverCrash) {
  np::save(path("a.npy"), np::array({{1.5, 2.5, 3.5}, {4.0, 5.0, 6.0}}, np::float32));
  np::savez(path("s.npz"), {{"a", np::arange(6, np::int16)}, {"b", np::array({true, false})}});
  np::savez_compressed(path("c.npz"), {{"a", np::arange(40, np::int16)}});
  for (const std::string name : {"a.npy", "s.npz", "c.npz"}) {
    const std::string bytes = read_bytes(path(name));
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      write_bytes(path("cut"), bytes.substr(0, cut));
      EXPECT_TRUE(raises<nb::RuntimeError>([&] { np::load(path("cut")); }, {"load: ", path("cut")})) << name << " cut at " << cut;
    }
    // A flipped byte either raises or, in an archive, touches a field that does not matter (a date, a
    // version): the CRC-32 guards the members, so what loads is what was saved.
    const np::Loaded original = np::load(path(name));
    std::mt19937 rng(7);
    for (int trial = 0; trial < 400; ++trial) {
      std::string damaged = bytes;
      damaged[rng() % damaged.size()] ^= char(1 + rng() % 255);
      write_bytes(path("flip"), damaged);
      try {
        const np::Loaded l = np::load(path("flip"));
        if (l.is_npz()) {
          ASSERT_EQ(l.npz().size(), original.npz().size());
          for (size_t i = 0; i < l.npz().size(); ++i) EXPECT_TRUE(same_bits(l.npz().items()[i].second, original.npz().items()[i].second));
        }
      } catch (const nb::RuntimeError& e) {
        EXPECT_NE(std::string(e.what()).find(path("flip")), std::string::npos) << e.what();
      }
    }
  }
}

TEST_F(NpFiles, HostileHeadersAndArchivesRaiseClearErrors) {
  auto npy = [](const std::string& header, const std::string& data = "", int major = 1) {
    std::string out = std::string("\x93NUMPY", 6) + char(major) + '\0';
    const size_t n = header.size();
    out += char(n & 0xff), out += char(n >> 8);
    if (major > 1) out += std::string(2, '\0');
    return out + header + data;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }\n"), "truncated .npy data"},
      {npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }\n"), "too large"},
      {npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }\n", std::string(16, '\0')), "unsupported dtype '<c16'"},
      {npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", std::string(8, '\0')), "unsupported dtype"},
      {npy("{'descr': '<f8', 'fortran_order': False, }\n"), "lacks one of"},
      {npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}\n"), "unexpected key 'extra'"},
      {npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n"), "appears twice"},
      {npy("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (1,), }\n"), "expected True or False"},
      {npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1), }\n"), "trailing comma"},
      {npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }\n"), "non-negative integer"},
      {npy("{'descr': '<f8, 'fortran_order': False, 'shape': (1,), }\n"), "bad .npy header"},
      {npy("__import__('os').system('true')\n"), "expected '{'"},
      {npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), } junk\n", std::string(8, '\0')), "after the header"},
      {npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", std::string(9, '\0')), "unexpected bytes after"},
      {npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n", "", 4), "unsupported .npy format version 4.0"},
      {std::string("\x93NUMPY\x01\x00\xff\xff", 10) + "{", "truncated .npy header"},
      {"plain text file", "not a .npy file"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    write_bytes(path("bad.npy"), cases[i].first);
    EXPECT_TRUE(raises<nb::RuntimeError>([&] { np::load(path("bad.npy")); }, {"load: ", path("bad.npy"), cases[i].second}));
  }
  // Archives: a ZIP64 end record, an unsupported method, a lying size, a bad CRC, a non-.npy member.
  np::savez(path("good.npz"), {{"a", np::arange(4, np::int8)}});
  const std::string good = read_bytes(path("good.npz"));
  auto patched = [&](size_t offset, std::string_view with) {
    std::string s = good;
    s.replace(offset, with.size(), with);
    return s;
  };
  const size_t end = good.size() - 22, central = good.find(std::string("PK\x01\x02", 4));
  const std::vector<std::pair<std::string, std::string>> archives = {
      {patched(end + 10, std::string("\xff\xff", 2)), "ZIP64 archives are not supported"},
      {patched(central + 10, std::string("\x0c\x00", 2)), "compression method 12 is not supported"},
      {patched(central + 24, std::string("\x01\x00\x00\x00", 4)), "stored with"},
      {patched(central + 16, std::string("\x00\x00\x00\x00", 4)), "CRC-32 mismatch"},
      {patched(central + 8, std::string("\x01\x00", 2)), "encrypted"},
      {patched(end + 16, std::string("\x00\x00\x01\x00", 4)), "central directory lies outside the file"},
  };
  for (size_t i = 0; i < archives.size(); ++i) {
    SCOPED_TRACE(i);
    write_bytes(path("bad.npz"), archives[i].first);
    EXPECT_TRUE(raises<nb::RuntimeError>([&] { np::load(path("bad.npz")); }, {"load: ", path("bad.npz"), archives[i].second}));
  }
  const oracle::Result r = numpy_exec("import zipfile\nwith zipfile.ZipFile('" + path("other.npz") +
                                      "', 'w') as z:\n  z.writestr('notes.txt', 'hello')\nresult = np.zeros(1)");
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { np::load(path("other.npz")); }, {"member 'notes.txt'", "not a .npy member"}));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { np::load(path("missing.npy")); }, {"load: ", "cannot open"}));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { np::save(path("no/such/dir/a.npy"), np::ones({1})); }, {"save: "}));
}
