// The CUDA backend against nabla's own CPU backend, which is the reference here: the GPU machine's
// system Python may lack PyTorch, so nothing in this file starts the oracle process (random_tensor,
// strided_copy and close from oracle.hpp are plain C++). Every suite is named Cuda* so that
// scripts/gpu-check selects them; on a machine without a GPU each test skips, saying why.
#include <cmath>
#include <functional>
#include <map>

#include "nabla/cuda.hpp"
#include "nabla/index.hpp"
#include "nabla/nn.hpp"
#include "nabla/optim.hpp"
#include "nabla/op_table.hpp"
#include "oracle.hpp"
#include "test_support.hpp"

namespace nb = nabla;
using test_support::raises;

namespace {

std::string unavailable_reason() {
  try {
    nb::cuda::current_device();
  } catch (const nb::Error& e) {
    return e.what();
  }
  return "";
}

#define REQUIRE_CUDA() \
  if (!nb::cuda::is_available()) GTEST_SKIP() << "no CUDA device: " << unavailable_reason()

const nb::Device kGpu(nb::kCUDA, 0);

std::vector<nb::Tensor> to_gpu(const std::vector<nb::Tensor>& ts) {
  std::vector<nb::Tensor> out;
  for (const nb::Tensor& t : ts) out.push_back(t.to(kGpu));
  return out;
}

// A CUDA result against the CPU one: on the GPU, then the same dtype, shape and values.
::testing::AssertionResult matches(const nb::Tensor& gpu, const nb::Tensor& cpu, std::optional<oracle::Tolerance> tol = {}) {
  if (!gpu.is_cuda()) return ::testing::AssertionFailure() << "the result is on " << gpu.device().str() << ", not cuda";
  return oracle::close(gpu.cpu(), cpu, tol);
}

// ||a - b|| / ||b|| in float64, a on any device: for products, whose elements may round differently.
double relative_error(const nb::Tensor& a, const nb::Tensor& b) {
  nb::Tensor x = a.cpu().to(nb::kFloat64), y = b.cpu().to(nb::kFloat64);
  return (x - y).norm().item<double>() / std::max(y.norm().item<double>(), 1e-300);
}

nb::Tensor rnd(nb::IntArrayRef shape, nb::DType d, uint64_t seed, double lo = -4, double hi = 4) {
  return oracle::random_tensor(shape, d, seed, lo, hi);
}

// ---- The op table ----------------------------------------------------------------------------

bool is_division(std::string_view name) {
  return name == "div" || name == "div_floor" || name == "div_trunc" || name == "remainder" || name == "fmod";
}

// Operand `which` of an element-wise op, in a range where integer results neither overflow nor divide by zero.
nb::Tensor elementwise_input(std::string_view op, int which, nb::IntArrayRef shape, nb::DType d, uint64_t seed) {
  const bool integral = !nb::is_floating(d) && d != nb::kBool;
  if (op.find("shift") != std::string_view::npos && which == 1) return rnd(shape, d, seed, 0, 9);
  if (op == "pow" && integral) return rnd(shape, d, seed, which ? 0 : -3, 4);
  if (which == 1 && is_division(op) && integral) return rnd(shape, d, seed, 1, 5);
  return rnd(shape, d, seed);
}

// The inputs of the other families: the shapes of test_op_table.cpp.
std::vector<nb::Tensor> table_inputs(const nb::OpInfo& op, nb::DType d, uint64_t s) {
  using V = std::vector<nb::Tensor>;
  const std::string name(op.name);
  static const std::map<std::string, std::vector<nb::DimVector>> shapes = {
      {"matmul", {{2, 3, 4}, {4, 5}}}, {"mm", {{3, 4}, {4, 5}}}, {"bmm", {{2, 3, 4}, {2, 4, 5}}},
      {"dot", {{7}, {7}}},             {"outer", {{3}, {4}}},   {"addmm", {{5}, {3, 4}, {4, 5}}},
      {"cat", {{2, 3}, {1, 3}}},       {"stack", {{2, 3}, {2, 3}}}, {"transpose", {{2, 3, 4}}},
      {"permute", {{2, 3, 4}}},        {"flatten", {{2, 3, 4}}}, {"squeeze", {{3, 1, 4}}},
      {"contiguous", {{2, 3, 4}}}};
  if (name == "index_select" || name == "index") return V{rnd({5, 3}, d, s), nb::tensor({4, 0, 0, 2})};
  if (name == "gather") return V{rnd({5, 3}, d, s), nb::tensor({{4, 0, 1}, {2, 2, 3}})};
  if (name == "scatter" || name == "scatter_add")
    return V{rnd({5, 3}, d, s), nb::tensor({{4, 0, 1}, {2, 1, 3}}), rnd({2, 3}, d, s + 1)};
  if (name == "masked_fill") return V{rnd({3, 4}, d, s), rnd({3, 4}, nb::kBool, s + 1)};
  if (name == "where") return V{rnd({3, 4}, nb::kBool, s), rnd({3, 4}, d, s + 1), rnd({4}, d, s + 2)};
  auto it = shapes.find(name);
  if (it == shapes.end()) return V{rnd({3, 4}, d, s)};  // reductions, scans, sort, flip, roll, reshape, ...
  V out;
  for (size_t i = 0; i < it->second.size(); ++i) out.push_back(rnd(it->second[i], d, s + i));
  return out;
}

// Each op's inputs, contiguous or as strided views; element-wise binary ops broadcast in the strided case.
std::vector<nb::Tensor> op_inputs(const nb::OpInfo& op, nb::DType d, uint64_t seed, bool strided) {
  std::vector<nb::Tensor> in;
  if (op.kind == nb::OpKind::kUnary) {
    in = {elementwise_input(op.name, 0, {6, 7}, d, seed)};
  } else if (op.kind == nb::OpKind::kBinary) {
    in = {elementwise_input(op.name, 0, {6, 7}, d, seed),
          elementwise_input(op.name, 1, strided ? nb::DimVector{7} : nb::DimVector{6, 7}, d, seed + 1)};
  } else {
    in = table_inputs(op, d, seed);
  }
  if (strided)
    for (size_t i = 0; i < in.size(); ++i) in[i] = oracle::strided_copy(in[i], seed + i);
  return in;
}

// Sort indices are fixed only up to ties: compare what they select.
bool indices_up_to_ties(std::string_view name) { return name == "argsort"; }

const nb::DType kAllDTypes[] = {nb::kBool,    nb::kUInt8,  nb::kInt8,    nb::kInt16,    nb::kInt32,
                                nb::kInt64,   nb::kUInt16, nb::kUInt32,  nb::kUInt64,   nb::kFloat16,
                                nb::kBFloat16, nb::kFloat32, nb::kFloat64};

TEST(CudaOpTable, EveryOpMatchesTheCpu) {
  REQUIRE_CUDA();
  uint64_t seed = 500;
  for (const nb::OpInfo& op : nb::op_table()) {
    const bool elementwise = op.kind == nb::OpKind::kUnary || op.kind == nb::OpKind::kBinary;
    for (nb::DType d : kAllDTypes) {
      if (!op.accepts(d)) continue;
      for (bool strided : {false, true}) {
        SCOPED_TRACE(std::string(op.name) + " " + std::string(nb::dtype_name(d)) + (strided ? " strided" : ""));
        std::vector<nb::Tensor> in = op_inputs(op, d, seed++, strided);
        nb::Tensor expected;
        try {
          expected = op.invoke(in);
        } catch (const nb::Error& e) {
          EXPECT_THROW(op.invoke(to_gpu(in)), nb::Error) << "the CPU raised: " << e.what();
          continue;
        }
        nb::Tensor got;
        try {
          got = op.invoke(to_gpu(in));
        } catch (const std::exception& e) {
          ADD_FAILURE() << "CUDA raised: " << e.what();
          continue;
        }
        if (indices_up_to_ties(op.name)) {
          EXPECT_TRUE(got.is_cuda());
          EXPECT_CLOSE(in[0].gather(-1, got.cpu()), in[0].gather(-1, expected), oracle::Tolerance{0, 0});
          continue;
        }
        // Beyond the element-wise ops, results are sums of a few terms in another order.
        const double rtol = elementwise ? op.rtol : std::max(op.rtol, 1e-5), atol = elementwise ? op.atol : 1e-5;
        EXPECT_TRUE(matches(got, expected, oracle::tolerance_for(expected.dtype(), rtol, atol)));
      }
    }
  }
}

// ---- Device, copies, errors, memory ------------------------------------------------------------

TEST(CudaDevice, CopiesRoundTripEveryDType) {
  REQUIRE_CUDA();
  EXPECT_GE(nb::cuda::device_count(), 1);
  EXPECT_EQ(nb::cuda::current_device(), 0);
  for (nb::DType d : kAllDTypes) {
    SCOPED_TRACE(std::string(nb::dtype_name(d)));
    nb::Tensor x = rnd({37, 53}, d, 7);
    nb::Tensor g = x.to(kGpu);
    EXPECT_TRUE(g.is_cuda());
    EXPECT_EQ(g.device().str(), "cuda:0");
    EXPECT_EQ(g.dtype(), d);
    EXPECT_TRUE(g.cpu().equal(x));
    EXPECT_TRUE(x.t().cuda().cpu().equal(x.t()));           // a strided source
    EXPECT_TRUE(g.t().contiguous().cpu().equal(x.t()));     // a strided copy on the GPU
    EXPECT_TRUE(g.to(nb::kFloat64).cpu().equal(x.to(nb::kFloat64)));  // conversion on the GPU
  }
  nb::Tensor on_gpu = nb::zeros({4}, nb::TensorOptions().device(kGpu));
  EXPECT_TRUE(on_gpu.is_cuda());
  EXPECT_EQ(nb::full({3}, 2.5, nb::TensorOptions().device(nb::Device("cuda"))).sum().item<double>(), 7.5);
}

TEST(CudaDevice, MixingDevicesRaisesTorchsMessage) {
  REQUIRE_CUDA();
  nb::Tensor a = nb::ones({3}), b = nb::ones({3}).cuda();
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { (void)(a + b); }, "Expected all tensors to be on the same device"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { (void)nb::matmul(nb::ones({2, 2}), nb::ones({2, 2}).cuda()); },
                                       "same device"));
}

TEST(CudaDevice, AMissingDeviceRaises) {
  REQUIRE_CUDA();
  const int n = nb::cuda::device_count();
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { (void)nb::ones({2}).to(nb::Device(nb::kCUDA, n)); }, "invalid device"));
  EXPECT_TRUE(raises<nb::RuntimeError>([] { (void)nb::ones({2}).to(nb::Device("cuda:7")); }, "invalid device"));
  EXPECT_THROW(nb::cuda::set_device(n), nb::RuntimeError);
}

TEST(CudaMemory, OutOfMemoryNamesTheSizes) {
  REQUIRE_CUDA();
  const int64_t ten_tb = int64_t(10) << 40;
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { (void)nb::empty({ten_tb}, nb::TensorOptions(nb::kUInt8).device(kGpu)); },
                                       {"CUDA out of memory", "Tried to allocate"}));
  // The failed request leaves the device usable.
  EXPECT_EQ(nb::ones({5}).cuda().sum().item<double>(), 5.0);
}

TEST(CudaMemory, StatsFollowAllocations) {
  REQUIRE_CUDA();
  nb::cuda::synchronize();
  const size_t before = nb::cuda::memory_allocated();
  nb::cuda::reset_peak_memory_stats();
  {
    nb::Tensor t = nb::empty({64 << 20}, nb::TensorOptions(nb::kUInt8).device(kGpu));
    EXPECT_GE(nb::cuda::memory_allocated(), before + (64u << 20));
    EXPECT_GE(nb::cuda::memory_reserved(), nb::cuda::memory_allocated());
    EXPECT_GE(nb::cuda::max_memory_allocated(), before + (64u << 20));
  }
  EXPECT_EQ(nb::cuda::memory_allocated(), before);
  EXPECT_GE(nb::cuda::max_memory_allocated(), before + (64u << 20));  // the peak stays until reset
  nb::cuda::empty_cache();
  EXPECT_LT(nb::cuda::memory_reserved(), before + (64u << 20) + 1);
  EXPECT_GE(nb::cuda::memory_reserved(), nb::cuda::memory_allocated());
  nb::cuda::reset_peak_memory_stats();
  EXPECT_EQ(nb::cuda::max_memory_allocated(), nb::cuda::memory_allocated());
}

// Issue 6's flat memory on the GPU: the Fashion-MNIST MLP trains 300 steps after a 30-step warm-up with
// the same tensors live at the same point of each step, so memory_allocated must come back to exactly the
// same value, and the cache (memory_reserved) must not grow once every block size has been seen.
TEST(CudaMemory, TrainingKeepsMemoryFlat) {
  REQUIRE_CUDA();
  constexpr int kWarmupSteps = 30, kMeasuredSteps = 300;
  nb::manual_seed(0);
  auto model = std::make_shared<nb::nn::Sequential>(std::initializer_list<std::shared_ptr<nb::nn::Module>>{
      std::make_shared<nb::nn::Linear>(784, 128), std::make_shared<nb::nn::ReLU>(),
      std::make_shared<nb::nn::Linear>(128, 10)});
  model->to(kGpu);
  nb::optim::SGD optimizer(model->parameters(), nb::optim::SGDOptions{.lr = 0.05, .momentum = 0.9});
  const nb::Tensor images = nb::rand({16, 64, 784}).to(kGpu), labels = nb::randint(0, 10, {16, 64}).to(kGpu);
  size_t allocated_after_warmup = 0, reserved_after_warmup = 0;
  for (int step = 0; step < kWarmupSteps + kMeasuredSteps; ++step) {
    optimizer.zero_grad();
    nb::nn::functional::cross_entropy((*model)(images[step % 16]), labels[step % 16]).backward();
    optimizer.step();
    if (step + 1 == kWarmupSteps) {
      nb::cuda::synchronize();
      allocated_after_warmup = nb::cuda::memory_allocated();
      reserved_after_warmup = nb::cuda::memory_reserved();
    }
  }
  nb::cuda::synchronize();
  EXPECT_EQ(nb::cuda::memory_allocated(), allocated_after_warmup);
  EXPECT_EQ(nb::cuda::memory_reserved(), reserved_after_warmup);
}

// ---- Matmul ----------------------------------------------------------------------------------

struct PrecisionGuard {
  std::string saved = nb::get_float32_matmul_precision();
  ~PrecisionGuard() { nb::set_float32_matmul_precision(saved); }
};

TEST(CudaMatmul, FloatDTypesAgainstTheCpu) {
  REQUIRE_CUDA();
  PrecisionGuard guard;
  struct Case {
    nb::DType dtype;
    const char* precision;
    double max_error;
  };
  // float32 in "highest" stays float32; "high" allows TF32 (10-bit mantissa); the 16-bit floats
  // round their inputs and outputs.
  for (Case c : {Case{nb::kFloat32, "highest", 1e-5}, Case{nb::kFloat32, "high", 3e-3},
                 Case{nb::kFloat64, "highest", 1e-13}, Case{nb::kFloat16, "highest", 3e-3},
                 Case{nb::kBFloat16, "highest", 2e-2}}) {
    nb::set_float32_matmul_precision(c.precision);
    SCOPED_TRACE(std::string(nb::dtype_name(c.dtype)) + " " + c.precision);
    nb::Tensor a = rnd({3, 65, 130}, c.dtype, 1), b = rnd({130, 47}, c.dtype, 2);
    nb::Tensor bb = rnd({3, 130, 47}, c.dtype, 3), bias = rnd({47}, c.dtype, 4);
    nb::Tensor ga = a.cuda(), gb = b.cuda(), gbb = bb.cuda();
    auto check = [&](const nb::Tensor& got, const nb::Tensor& expected, const char* what) {
      EXPECT_TRUE(got.is_cuda()) << what;
      EXPECT_EQ(got.dtype(), expected.dtype()) << what;
      EXPECT_EQ(got.sizes(), expected.sizes()) << what;
      EXPECT_LT(relative_error(got, expected), c.max_error) << what;
    };
    check(nb::matmul(ga, gb), nb::matmul(a, b), "broadcast batch");
    check(nb::bmm(ga, gbb), nb::bmm(a, bb), "bmm");
    check(nb::matmul(ga.transpose(1, 2), ga), nb::matmul(a.transpose(1, 2), a), "transposed operand");
    check(nb::matmul(ga.slice(2, 0, std::nullopt, 2), gb.slice(0, 0, std::nullopt, 2)),
          nb::matmul(a.slice(2, 0, std::nullopt, 2), b.slice(0, 0, std::nullopt, 2)), "stepped views");
    check(nb::addmm(bias.cuda(), ga[0], gb), nb::addmm(bias, a[0], b), "addmm");
    check(nb::matmul(ga[0], gb.select(1, 0)), nb::matmul(a[0], b.select(1, 0)), "matrix-vector");
    check(nb::dot(gb.select(1, 0), gb.select(1, 1)), nb::dot(b.select(1, 0), b.select(1, 1)), "dot");
    nb::Tensor big_a = rnd({256, 512}, c.dtype, 5, -1, 1), big_b = rnd({512, 384}, c.dtype, 6, -1, 1);
    check(nb::mm(big_a.cuda(), big_b.cuda()), nb::mm(big_a, big_b), "256x512x384");
  }
}

TEST(CudaMatmul, IntegersAreExactAndWrap) {
  REQUIRE_CUDA();
  for (nb::DType d : {nb::kInt8, nb::kUInt8, nb::kInt32, nb::kInt64}) {
    SCOPED_TRACE(std::string(nb::dtype_name(d)));
    nb::Tensor a = rnd({2, 33, 70}, d, 11, -100, 100), b = rnd({70, 19}, d, 12, -100, 100);
    EXPECT_TRUE(matches(nb::matmul(a.cuda(), b.cuda()), nb::matmul(a, b)));
    EXPECT_TRUE(matches(nb::matmul(a.cuda().transpose(1, 2).contiguous().transpose(1, 2), b.cuda()), nb::matmul(a, b)));
  }
}

// ---- Reductions ------------------------------------------------------------------------------

TEST(CudaReduce, LargeSumsAndDims) {
  REQUIRE_CUDA();
  const int64_t n = int64_t(1) << 24;
  nb::Tensor ones = nb::ones({n}, nb::TensorOptions().device(kGpu));
  EXPECT_EQ(ones.sum().item<double>(), double(n));
  nb::Tensor x = rnd({n}, nb::kFloat32, 21, 0, 1);
  const double exact = x.to(nb::kFloat64).sum().item<double>();
  nb::Tensor s = x.cuda().sum();
  EXPECT_TRUE(s.is_cuda());
  EXPECT_NEAR(s.item<double>(), exact, 1e-5 * exact);
  EXPECT_NEAR(x.cuda().mean().item<double>(), exact / double(n), 1e-5);

  nb::Tensor m = rnd({1000, 4097}, nb::kFloat32, 22);
  nb::Tensor g = m.cuda();
  const oracle::Tolerance tol{1e-5, 1e-3};  // float sums of thousands of terms, added in another order
  for (int64_t dim : {0, 1}) {
    SCOPED_TRACE(dim);
    EXPECT_TRUE(matches(g.sum({dim}), m.sum({dim}), tol));
    EXPECT_TRUE(matches(g.sum({dim}, true), m.sum({dim}, true), tol));
    EXPECT_TRUE(matches(nb::amax(g, dim), nb::amax(m, dim)));
    EXPECT_TRUE(matches(nb::argmax(g, dim), nb::argmax(m, dim)));
    EXPECT_TRUE(matches(nb::argmin(g.t(), dim), nb::argmin(m.t(), dim)));
    EXPECT_TRUE(matches(nb::var(g, {dim}), nb::var(m, {dim}), tol));
    EXPECT_TRUE(matches(nb::logsumexp(g, dim), nb::logsumexp(m, dim), tol));
    EXPECT_TRUE(matches(nb::softmax(g, dim), nb::softmax(m, dim), tol));
    EXPECT_TRUE(matches(nb::log_softmax(g, dim), nb::log_softmax(m, dim), tol));
    EXPECT_TRUE(matches(nb::cumsum(g, dim), nb::cumsum(m, dim), {{1e-4, 1e-2}}));
  }
  nb::Tensor ints = rnd({3001, 517}, nb::kInt32, 23, -1000, 1000);
  EXPECT_TRUE(matches(ints.cuda().sum(), ints.sum()));
  EXPECT_TRUE(matches(ints.cuda().sum({0}), ints.sum({0})));
  EXPECT_TRUE(matches(nb::prod(ints.cuda().narrow(0, 0, 3) % 3 + 2, 0), nb::prod(ints.narrow(0, 0, 3) % 3 + 2, 0)));
  nb::Tensor with_nan = m.clone();
  with_nan.index_put_({7, 11}, std::nan(""));
  EXPECT_TRUE(std::isnan(with_nan.cuda().max().item<double>()));
  EXPECT_TRUE(matches(nb::argmax(with_nan.cuda(), 1), nb::argmax(with_nan, 1)));
}

// ---- Indexing, sorting -----------------------------------------------------------------------

TEST(CudaIndex, GatherScatterAndMasks) {
  REQUIRE_CUDA();
  nb::Tensor x = rnd({300, 40}, nb::kFloat32, 31);
  nb::Tensor idx = rnd({500}, nb::kInt64, 32, 0, 300);
  nb::Tensor gx = x.cuda(), gidx = idx.cuda();
  EXPECT_TRUE(matches(gx.index_select(0, gidx), x.index_select(0, idx)));
  EXPECT_TRUE(matches(gx.index({gidx}), x.index({idx})));
  nb::Tensor gather_idx = rnd({300, 25}, nb::kInt64, 33, 0, 40);
  EXPECT_TRUE(matches(gx.gather(1, gather_idx.cuda()), x.gather(1, gather_idx)));
  nb::Tensor src = rnd({300, 25}, nb::kFloat32, 34);
  // scatter_add with repeated indices: atomics add in another order.
  EXPECT_TRUE(matches(gx.scatter_add(1, gather_idx.cuda(), src.cuda()), x.scatter_add(1, gather_idx, src), {{1e-5, 1e-5}}));
  nb::Tensor perm = nb::randperm(40).narrow(0, 0, 25).expand({300, 25}).contiguous();
  EXPECT_TRUE(matches(gx.scatter(1, perm.cuda(), src.cuda()), x.scatter(1, perm, src)));
  nb::Tensor ints = rnd({1000}, nb::kInt64, 35, 0, 10), bins = nb::zeros({10}, nb::kInt64);
  EXPECT_TRUE(matches(bins.cuda().scatter_add(0, ints.cuda(), nb::ones_like(ints).cuda()),
                      bins.scatter_add(0, ints, nb::ones_like(ints))));
  nb::Tensor mask = x > 1.0;
  EXPECT_TRUE(matches(gx.masked_select(mask.cuda()), x.masked_select(mask)));
  EXPECT_TRUE(matches(mask.cuda().nonzero(), mask.nonzero()));
  EXPECT_TRUE(matches(nb::masked_fill(gx, mask.cuda(), -1.0), nb::masked_fill(x, mask, -1.0)));
  nb::Tensor put = x.clone(), gput = gx.clone();
  put.index_put_({idx.narrow(0, 0, 7)}, 5.0);
  gput.index_put_({gidx.narrow(0, 0, 7)}, 5.0);
  EXPECT_TRUE(matches(gput, put));
  EXPECT_TRUE(matches(gx.index({nb::Slice(1, 200, 3), 5}), x.index({nb::Slice(1, 200, 3), 5})));
}

// Indices from an unstable sort or topk are fixed only up to ties (a million random floats have some):
// they must be on the GPU and select the expected values.
::testing::AssertionResult selects(const nb::Tensor& x, int64_t dim, const nb::Tensor& gpu_indices,
                                   const nb::Tensor& values) {
  if (!gpu_indices.is_cuda()) return ::testing::AssertionFailure() << "indices on " << gpu_indices.device().str();
  return oracle::close(x.gather(dim, gpu_indices.cpu()), values, oracle::Tolerance{0, 0});
}

TEST(CudaOrder, SortTopkUnique) {
  REQUIRE_CUDA();
  nb::Tensor x = rnd({1 << 20}, nb::kFloat32, 41);
  auto [v, i] = x.cuda().sort();
  auto [cv, ci] = x.sort();
  EXPECT_TRUE(matches(v, cv, oracle::Tolerance{0, 0}));
  EXPECT_TRUE(selects(x, 0, i, cv));
  nb::Tensor rows = rnd({512, 1000}, nb::kFloat32, 42);
  for (bool descending : {false, true}) {
    auto [rv, ri] = rows.cuda().sort(1, descending);
    auto [crv, cri] = rows.sort(1, descending);
    EXPECT_TRUE(matches(rv, crv));
    EXPECT_TRUE(selects(rows, 1, ri, crv));
  }
  auto [tv, ti] = rows.cuda().topk(7, 1);
  auto [ctv, cti] = rows.topk(7, 1);
  EXPECT_TRUE(matches(tv, ctv));
  EXPECT_TRUE(selects(rows, 1, ti, ctv));
  auto [sv, si] = rows.cuda().topk(5, 0, false);
  auto [csv, csi] = rows.topk(5, 0, false);
  EXPECT_TRUE(matches(sv, csv));
  EXPECT_TRUE(selects(rows, 0, si, csv));
  // Ties: a stable sort keeps the order of equal elements, as on the CPU.
  nb::Tensor ties = rnd({4000}, nb::kInt32, 43, 0, 20);
  auto [stv, sti] = ties.cuda().sort(-1, false, true);
  auto [cstv, csti] = ties.sort(-1, false, true);
  EXPECT_TRUE(matches(stv, cstv));
  EXPECT_TRUE(matches(sti, csti));
  auto [u, inverse, counts] = nb::unique(ties.cuda(), true, true, true);
  auto [cu, cinverse, ccounts] = nb::unique(ties, true, true, true);
  EXPECT_TRUE(matches(u, cu));
  EXPECT_TRUE(matches(inverse, cinverse));
  EXPECT_TRUE(matches(counts, ccounts));
}

// ---- Random ----------------------------------------------------------------------------------

TEST(CudaRandom, ReproduciblePerSeedAndDistributed) {
  REQUIRE_CUDA();
  const auto on_gpu = nb::TensorOptions().device(kGpu);
  nb::manual_seed(1234);
  nb::Tensor a = nb::rand({1 << 20}, on_gpu);
  nb::Tensor an = nb::randn({1 << 20}, on_gpu);
  nb::manual_seed(1234);
  nb::Tensor b = nb::rand({1 << 20}, on_gpu);
  nb::Tensor bn = nb::randn({1 << 20}, on_gpu);
  nb::manual_seed(1235);
  nb::Tensor c = nb::rand({1 << 20}, on_gpu);
  EXPECT_TRUE(a.is_cuda());
  EXPECT_TRUE(a.cpu().equal(b.cpu()));
  EXPECT_TRUE(an.cpu().equal(bn.cpu()));
  EXPECT_FALSE(a.cpu().equal(c.cpu()));
  EXPECT_FALSE(a.cpu().equal(nb::rand({1 << 20}, on_gpu).cpu()));  // the stream moves on
  EXPECT_GE(a.min().item<double>(), 0.0);
  EXPECT_LT(a.max().item<double>(), 1.0);
  EXPECT_NEAR(a.mean().item<double>(), 0.5, 0.005);
  EXPECT_NEAR(an.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(nb::std(an).item<double>(), 1.0, 0.01);
  nb::cuda::manual_seed(7);
  nb::Tensor d = nb::randn({1000}, on_gpu);
  nb::cuda::manual_seed(7);
  EXPECT_TRUE(d.cpu().equal(nb::randn({1000}, on_gpu).cpu()));
  nb::Tensor r = nb::randint(3, 9, {100000}, nb::TensorOptions(nb::kInt64).device(kGpu));
  EXPECT_EQ(r.min().item<int64_t>(), 3);
  EXPECT_EQ(r.max().item<int64_t>(), 8);
}

// ---- Autograd, optimizers, training ----------------------------------------------------------

std::vector<nb::Tensor> leaves(const std::vector<nb::Tensor>& values, nb::Device device) {
  std::vector<nb::Tensor> out;
  for (const nb::Tensor& v : values) out.push_back(v.to(device).detach().requires_grad_());
  return out;
}

nb::Tensor composite(const std::vector<nb::Tensor>& p) {
  const nb::Tensor &x = p[0], &w = p[1], &b = p[2];
  nb::Tensor h = nb::relu(nb::matmul(x, w) + b);
  nb::Tensor scores = nb::log_softmax(h * x.narrow(1, 0, 5).sigmoid(), 1);
  return scores.mean() + (x.tanh() * x).sum({1}).pow(2).mean() * 0.01 + nb::logsumexp(w.exp(), 0).sum() +
         nb::index_select(h, 0, nb::tensor({0, 2, 2}).to(x.device())).sum();
}

TEST(CudaAutograd, CompositeGradientsMatchTheCpu) {
  REQUIRE_CUDA();
  std::vector<nb::Tensor> values{rnd({8, 6}, nb::kFloat64, 51, -1, 1), rnd({6, 5}, nb::kFloat64, 52, -1, 1),
                                 rnd({5}, nb::kFloat64, 53, -1, 1)};
  auto cpu = leaves(values, nb::Device(nb::kCPU)), gpu = leaves(values, kGpu);
  nb::Tensor lc = composite(cpu), lg = composite(gpu);
  EXPECT_TRUE(matches(lg, lc, {{1e-10, 1e-10}}));
  lc.backward();
  lg.backward();
  for (size_t i = 0; i < cpu.size(); ++i) {
    ASSERT_TRUE(gpu[i].grad().defined()) << i;
    EXPECT_TRUE(matches(gpu[i].grad(), cpu[i].grad(), {{1e-10, 1e-10}})) << "input " << i;
  }
}

void expect_same_steps(const std::function<std::unique_ptr<nb::optim::Optimizer>(std::vector<nb::Tensor>)>& make) {
  std::vector<nb::Tensor> init{rnd({40, 30}, nb::kFloat32, 61), rnd({30}, nb::kFloat32, 62)};
  auto cpu = leaves(init, nb::Device(nb::kCPU)), gpu = leaves(init, kGpu);
  auto oc = make(cpu), og = make(gpu);
  for (int step = 0; step < 5; ++step) {
    for (size_t i = 0; i < init.size(); ++i) {
      nb::Tensor g = rnd(init[i].sizes(), nb::kFloat32, 70 + uint64_t(step) * 10 + i);
      cpu[i].mutable_grad() = g;
      gpu[i].mutable_grad() = g.cuda();
    }
    oc->step();
    og->step();
    for (size_t i = 0; i < init.size(); ++i)
      EXPECT_TRUE(matches(gpu[i].detach(), cpu[i].detach(), {{1e-5, 1e-6}})) << "step " << step << " param " << i;
  }
}

TEST(CudaOptim, SgdMomentumAndAdamMatchTheCpu) {
  REQUIRE_CUDA();
  expect_same_steps([](std::vector<nb::Tensor> p) -> std::unique_ptr<nb::optim::Optimizer> {
    return std::make_unique<nb::optim::SGD>(p, nb::optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4});
  });
  expect_same_steps([](std::vector<nb::Tensor> p) -> std::unique_ptr<nb::optim::Optimizer> {
    return std::make_unique<nb::optim::SGD>(p, nb::optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true});
  });
  expect_same_steps([](std::vector<nb::Tensor> p) -> std::unique_ptr<nb::optim::Optimizer> {
    return std::make_unique<nb::optim::Adam>(p, nb::optim::AdamOptions{.lr = 1e-2, .weight_decay = 1e-3});
  });
  expect_same_steps([](std::vector<nb::Tensor> p) -> std::unique_ptr<nb::optim::Optimizer> {
    return std::make_unique<nb::optim::Adam>(p, nb::optim::AdamOptions{.lr = 1e-2, .amsgrad = true});
  });
}

std::shared_ptr<nb::nn::Sequential> mlp() {
  using namespace nb::nn;
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(20, 64), std::make_shared<ReLU>(), std::make_shared<Linear>(64, 32),
      std::make_shared<ReLU>(), std::make_shared<Linear>(32, 4)});
}

// Losses of a few SGD steps on fixed data, the model initialised from `seed` on the CPU and moved to `device`.
std::vector<double> train(nb::Device device, const nb::Tensor& x, const nb::Tensor& y, int steps) {
  nb::manual_seed(3);
  auto model = mlp();
  model->to(device);
  nb::optim::SGD opt(model->parameters(), nb::optim::SGDOptions{.lr = 0.05, .momentum = 0.9});
  nb::nn::CrossEntropyLoss criterion;
  nb::Tensor xd = x.to(device), yd = y.to(device);
  std::vector<double> losses;
  for (int s = 0; s < steps; ++s) {
    nb::Tensor batch_x = xd.narrow(0, (s % 4) * 64, 64), batch_y = yd.narrow(0, (s % 4) * 64, 64);
    nb::Tensor loss = criterion(model->forward(batch_x), batch_y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    EXPECT_EQ(loss.is_cuda(), device.is_cuda());
    losses.push_back(loss.item<double>());
  }
  return losses;
}

TEST(CudaTraining, MlpLossFallsAndFollowsTheCpu) {
  REQUIRE_CUDA();
  nb::Tensor x = rnd({256, 20}, nb::kFloat32, 81, -1, 1);
  nb::Tensor y = nb::argmax(nb::matmul(x, rnd({20, 4}, nb::kFloat32, 82)), 1);  // a learnable labelling
  const int steps = 60;
  std::vector<double> cpu = train(nb::Device(nb::kCPU), x, y, steps), gpu = train(kGpu, x, y, steps);
  for (int s = 0; s < 5; ++s) EXPECT_NEAR(gpu[size_t(s)], cpu[size_t(s)], 1e-4 * std::abs(cpu[size_t(s)])) << "step " << s;
  const double first = (gpu[0] + gpu[1] + gpu[2] + gpu[3]) / 4, last = (gpu[56] + gpu[57] + gpu[58] + gpu[59]) / 4;
  EXPECT_LT(last, 0.7 * first);
  EXPECT_NEAR(last, (cpu[56] + cpu[57] + cpu[58] + cpu[59]) / 4, 0.05 * first);
}

}  // namespace
