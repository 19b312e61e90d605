// Printing against PyTorch 1.13's str(tensor), byte for byte.
#include <cmath>
#include <limits>
#include <sstream>

#include "oracle.hpp"

namespace nb = nabla;

namespace {

std::string printed(const nb::Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

struct Case {
  std::string name;
  nb::Tensor tensor;
};

// Values of every magnitude torch distinguishes: fixed, integer-valued, and scientific notation.
std::vector<Case> magnitude_cases() {
  return {
      {"float32 in [-4, 4)", oracle::random_tensor({8}, nb::kFloat32, 1)},
      {"float32 tiny", oracle::random_tensor({5}, nb::kFloat32, 2, -1e-6, 1e-6)},
      {"float32 huge", oracle::random_tensor({5}, nb::kFloat32, 3, -1e10, 1e10)},
      {"float32 just under 1e8", oracle::random_tensor({4}, nb::kFloat32, 4, 1e7, 9e7)},
      {"float32 positive, below 1e-4 once", nb::tensor({0.5, 0.00009, 2.0})},
      {"float32 ratio over 1000", nb::tensor({0.001, 1.0, 5000.0})},
      {"float32 ratio just under 1000", nb::tensor({0.01, 9.99})},
      {"integer-valued float32", oracle::random_tensor({6}, nb::kInt64, 5, -50, 50).to(nb::kFloat32)},
      {"integer-valued float32, wide ratio", nb::tensor({1.0, 10000.0})},
      {"integer-valued float32 over 1e8", nb::tensor({1e9, 2.0})},
      {"integer-valued float64 up to 1e8", nb::tensor({1e8, -3.0}, nb::kFloat64)},
      {"float64 three-digit exponents", nb::tensor({1e-300, 1e300, -2.5e-7}, nb::kFloat64)},
      {"float64 mixed signs", oracle::random_tensor({9}, nb::kFloat64, 6, -1e3, 1e3)},
      {"float64 rounding at the 4th digit", nb::tensor({0.00015, 0.12345, 2.50005, 1.99995}, nb::kFloat64)},
      {"int64 mixed signs", oracle::random_tensor({7}, nb::kInt64, 7, -100, 100)},
      {"int64 huge", oracle::random_tensor({5}, nb::kInt64, 8, -1e15, 1e15)},
      {"int64 extremes", nb::tensor({std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()})},
  };
}

std::vector<Case> special_value_cases() {
  const double nan = std::nan(""), inf = INFINITY;
  return {
      {"nan and inf among fractions", nb::tensor({1.5, nan, inf, -inf, 0.0})},
      {"nan and inf among integers", nb::tensor({1.0, nan, -inf})},
      {"negative nan", nb::tensor({-nan, 2.25})},
      {"only nan and inf", nb::tensor({nan, inf})},
      {"only -inf", nb::tensor({-inf, -inf})},
      {"zeros", nb::zeros({4})},
      {"signed zeros", nb::tensor({0.0, -0.0})},
      {"negative zero among integers", nb::tensor({1.0, -0.0})},
      {"negative zero among fractions", nb::tensor({1.5, -0.0})},
      {"negative zero in scientific mode", nb::tensor({1e-9, -0.0, 3.0})},
      {"nan in scientific mode", nb::tensor({1e-9, nan, -inf}, nb::kFloat64)},
      {"float16 overflowing to inf", nb::tensor({70000.0, 1.0}).to(nb::kFloat16)},
  };
}

// The formatter sees only the shown elements: a tiny value in the elided middle must not switch to scientific mode.
nb::Tensor hidden_outlier() {
  nb::Tensor t = nb::arange(2000).to(nb::kFloat32).view({40, 50});
  t.data_ptr<float>()[1000] = 1e-9f;
  return t;
}

std::vector<Case> shape_cases() {
  return {
      {"2-d", oracle::random_tensor({3, 4}, nb::kFloat32, 10)},
      {"3-d", oracle::random_tensor({2, 3, 4}, nb::kFloat32, 11, -100, 100)},
      {"4-d int32", oracle::random_tensor({2, 2, 2, 3}, nb::kInt32, 12, -9, 9)},
      {"5-d", oracle::random_tensor({1, 2, 1, 2, 2}, nb::kFloat32, 13)},
      {"size-1 dims", oracle::random_tensor({1, 1, 3}, nb::kFloat32, 14)},
      {"wrapping row", oracle::random_tensor({30}, nb::kFloat32, 15, -1e3, 1e3)},
      {"wrapping rows in 2-d", oracle::random_tensor({3, 25}, nb::kFloat32, 16)},
      {"wrapping rows in 3-d", oracle::random_tensor({2, 2, 20}, nb::kFloat64, 17, -1e-7, 1e-7)},
      {"arange(100)", nb::arange(100)},
      {"arange(40) as float", nb::arange(40).to(nb::kFloat32)},
      {"scientific row", oracle::random_tensor({12}, nb::kFloat32, 18, 0, 1e12)},
      {"summarised 1-d", oracle::random_tensor({2000}, nb::kFloat32, 19)},
      {"summarised 1-d int", nb::arange(1001)},
      {"summarised 2-d", oracle::random_tensor({40, 50}, nb::kFloat32, 20, -1000, 1000)},
      {"summarised 3-d", oracle::random_tensor({20, 10, 30}, nb::kInt64, 21, -5000, 5000)},
      {"summarised with a short dim", oracle::random_tensor({4, 400}, nb::kFloat64, 22)},
      {"summarised with short rows", oracle::random_tensor({500, 3}, nb::kFloat32, 23)},
      {"summarised 4-d", oracle::random_tensor({8, 2, 9, 10}, nb::kFloat32, 24, -1e-5, 1e-5)},
      {"summarised, outlier hidden", hidden_outlier()},
  };
}

std::vector<Case> dtype_cases() {
  std::vector<Case> cases;
  for (nb::DType d : {nb::kBool, nb::kUInt8, nb::kInt8, nb::kInt16, nb::kInt32, nb::kInt64, nb::kFloat16, nb::kBFloat16,
                      nb::kFloat32, nb::kFloat64}) {
    cases.push_back({"2x3 " + std::string(nb::dtype_name(d)), oracle::random_tensor({2, 3}, d, 30 + int(d), -100, 100)});
    cases.push_back({"0-d " + std::string(nb::dtype_name(d)), oracle::random_tensor({}, d, 50 + int(d), -100, 100)});
    cases.push_back({"empty " + std::string(nb::dtype_name(d)), nb::zeros({0}, d)});
  }
  cases.push_back({"bool summarised", oracle::random_tensor({30, 40}, nb::kBool, 70)});
  cases.push_back({"float16 fractions", oracle::random_tensor({7}, nb::kFloat16, 71, -1, 1)});
  cases.push_back({"bfloat16 large", oracle::random_tensor({7}, nb::kBFloat16, 72, -1e9, 1e9)});
  cases.push_back({"uint8 wrapping", oracle::random_tensor({40}, nb::kUInt8, 73, 0, 255)});
  cases.push_back({"int8 summarised", oracle::random_tensor({1100}, nb::kInt8, 74, -128, 127)});
  return cases;
}

std::vector<Case> scalar_and_empty_cases() {
  return {
      {"0-d 3.5", nb::tensor(3.5)},
      {"0-d integer-valued", nb::tensor(3.0)},
      {"0-d int", nb::tensor(7)},
      {"0-d nan", nb::tensor(std::nan(""))},
      {"0-d negative zero", nb::tensor(-0.0)},
      {"0-d tiny", nb::tensor(1e-7)},
      {"0-d bool", nb::tensor(true)},
      {"empty (0, 3)", nb::zeros({0, 3})},
      {"empty (2, 0, 4) float64", nb::zeros({2, 0, 4}, nb::kFloat64)},
      {"empty (0, 3) int64", nb::zeros({0, 3}, nb::kInt64)},
  };
}

std::vector<Case> non_contiguous_cases() {
  nb::Tensor m = oracle::random_tensor({5, 7}, nb::kFloat32, 80);
  nb::Tensor big = oracle::random_tensor({30, 50}, nb::kFloat64, 81);
  return {
      {"transposed", m.t()},
      {"stepped slice", m.slice(1, 1, std::nullopt, 3)},
      {"column", m.select(1, 2)},
      {"expanded", nb::tensor({1, 2, 3}).unsqueeze(0).expand({4, 3})},
      {"strided copy 3-d", oracle::strided_copy(oracle::random_tensor({3, 4, 5}, nb::kInt16, 82, -999, 999), 83)},
      {"summarised transposed", big.t()},
      {"summarised strided copy", oracle::strided_copy(oracle::random_tensor({9, 12, 11}, nb::kFloat32, 84), 85)},
      {"diagonal", m.diagonal(1)},
  };
}

void expect_matches_torch(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(printed(c.tensor), oracle::str("a", {c.tensor}));
  }
}

// What torch 2.3+ prints for its unsigned dtypes: torch 1.13's integer layout of the same values, with the suffix
// placed by torch's own _add_suffixes.
std::string torch_unsigned_str(const nb::Tensor& t) {
  return oracle::str(
      "torch._tensor_str._add_suffixes('tensor(' + torch._tensor_str._tensor_str(torch.from_numpy(a.astype(np.int64)), "
      "7), ['dtype=torch.' + a.dtype.name], 7, False)",
      {t});
}

}  // namespace

TEST(Print, MagnitudesMatchTorch) { expect_matches_torch(magnitude_cases()); }
TEST(Print, NanInfAndSignedZerosMatchTorch) { expect_matches_torch(special_value_cases()); }
TEST(Print, ShapesWrappingAndSummariesMatchTorch) { expect_matches_torch(shape_cases()); }
TEST(Print, EveryDtypeMatchesTorch) { expect_matches_torch(dtype_cases()); }
TEST(Print, ScalarsAndEmptyMatchTorch) { expect_matches_torch(scalar_and_empty_cases()); }
TEST(Print, NonContiguousMatchesTorch) { expect_matches_torch(non_contiguous_cases()); }

TEST(Print, SuffixWrapsPastLineWidth) {
  // Lengths around the point where ", dtype=torch.float64" no longer fits on the last line.
  std::vector<Case> cases;
  for (int64_t n = 1; n <= 14; ++n) {
    cases.push_back({"float64 n=" + std::to_string(n), oracle::random_tensor({n}, nb::kFloat64, 90 + n, -1e3, 1e3)});
    cases.push_back({"int32 n=" + std::to_string(n), oracle::random_tensor({n}, nb::kInt32, 110 + n, -1e6, 1e6)});
  }
  cases.push_back({"float16 2-d", oracle::random_tensor({3, 7}, nb::kFloat16, 130, -1e3, 1e3)});
  expect_matches_torch(cases);
}

TEST(Print, RequiresGradSuffix) {
  for (const nb::Tensor& t : {nb::tensor(3.5), oracle::random_tensor({2, 9}, nb::kFloat64, 140, -1e3, 1e3),
                              oracle::random_tensor({13}, nb::kFloat32, 141, -1e3, 1e3), nb::zeros({0, 2})}) {
    nb::Tensor g = t.clone();
    g.requires_grad_();
    EXPECT_EQ(printed(g), oracle::str("a.requires_grad_()", {t}));
  }
}

TEST(Print, UnsignedWideDtypesPrintLikeTorch23) {
  for (nb::DType d : {nb::kUInt16, nb::kUInt32, nb::kUInt64}) {
    SCOPED_TRACE(nb::dtype_name(d));
    for (const nb::Tensor& t : {oracle::random_tensor({6}, d, 150, 0, 60000), oracle::random_tensor({3, 30}, d, 151, 0, 9),
                                oracle::random_tensor({1200}, d, 152, 0, 1000).view({40, 30}).t(),
                                oracle::random_tensor({}, d, 153, 0, 100)}) {
      EXPECT_EQ(printed(t), torch_unsigned_str(t));
    }
  }
  EXPECT_EQ(printed(nb::tensor({0, 65535, 7}, nb::kUInt16)), "tensor([    0, 65535,     7], dtype=torch.uint16)");
  EXPECT_EQ(printed(nb::zeros({0}, nb::kUInt32)), "tensor([], dtype=torch.uint32)");
  nb::Tensor max64 = nb::zeros({2}, nb::kUInt64);
  max64.data_ptr<uint64_t>()[1] = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(printed(max64), "tensor([                   0, 18446744073709551615], dtype=torch.uint64)");
}

TEST(Print, ToStringAndUndefined) {
  nb::Tensor t = nb::tensor({{1, 2}, {3, 4}});
  EXPECT_EQ(t.toString(), "tensor([[1, 2],\n        [3, 4]])");
  EXPECT_EQ(printed(nb::Tensor()), "[ Tensor (undefined) ]");
}
