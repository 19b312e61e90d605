// Timings of nabla's ops for `make bench`; bench/compare.py runs the same ops in PyTorch and NumPy and
// prints the ratios. Names here are the keys compare.py looks up.
//
// Memory-bound ops run over kLargeNumel float32 elements; their bytes moved (read + written) are
// reported as bytes_per_second, so compare.py can set each against BM_memcpy's bandwidth.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstring>
#include <random>
#include <vector>

#include <nabla/nabla.hpp>

namespace nb = nabla;

namespace {

constexpr int64_t kLargeNumel = int64_t(1) << 24;
constexpr int64_t kFloatBytes = sizeof(float);

// Uniform [0, 1) floats, like torch.rand, from a fixed seed so every run times the same data.
std::vector<float> uniform_floats(int64_t numel, unsigned seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(numel));
  for (float& v : values) v = uniform(engine);
  return values;
}

nb::Tensor uniform_tensor(nb::IntArrayRef sizes, unsigned seed) {
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  std::vector<float> values = uniform_floats(numel, seed);
  return nb::from_blob(values.data(), sizes, nb::kFloat32).clone();
}

void report_bytes(benchmark::State& state, int64_t bytes_per_iteration) {
  state.SetBytesProcessed(int64_t(state.iterations()) * bytes_per_iteration);
}

// The hardware's copy bandwidth on one thread, into a buffer allocated once.
void BM_memcpy(benchmark::State& state) {
  std::vector<float> src = uniform_floats(kLargeNumel, 1), dst(src.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size() * sizeof(float));
    benchmark::ClobberMemory();
  }
  report_bytes(state, 2 * kFloatBytes * kLargeNumel);
}

void BM_clone(benchmark::State& state) {
  nb::Tensor a = uniform_tensor({kLargeNumel}, 1);
  for (auto _ : state) benchmark::DoNotOptimize(a.clone().data_ptr());
  report_bytes(state, 2 * kFloatBytes * kLargeNumel);
}

void BM_add(benchmark::State& state) {
  nb::Tensor a = uniform_tensor({kLargeNumel}, 1), b = uniform_tensor({kLargeNumel}, 2);
  for (auto _ : state) benchmark::DoNotOptimize((a + b).data_ptr());
  report_bytes(state, 3 * kFloatBytes * kLargeNumel);
}

void BM_mul(benchmark::State& state) {
  nb::Tensor a = uniform_tensor({kLargeNumel}, 1), b = uniform_tensor({kLargeNumel}, 2);
  for (auto _ : state) benchmark::DoNotOptimize((a * b).data_ptr());
  report_bytes(state, 3 * kFloatBytes * kLargeNumel);
}

void BM_exp(benchmark::State& state) {
  nb::Tensor a = uniform_tensor({kLargeNumel}, 1);
  for (auto _ : state) benchmark::DoNotOptimize(nb::exp(a).data_ptr());
  report_bytes(state, 2 * kFloatBytes * kLargeNumel);
}

void BM_sum(benchmark::State& state) {
  nb::Tensor a = uniform_tensor({kLargeNumel}, 1);
  for (auto _ : state) benchmark::DoNotOptimize(nb::sum(a).data_ptr());
  report_bytes(state, kFloatBytes * kLargeNumel);
}

// Per-op overhead: the data is too small to matter.
void BM_add_small(benchmark::State& state) {
  nb::Tensor a = uniform_tensor({4}, 1), b = uniform_tensor({4}, 2);
  for (auto _ : state) benchmark::DoNotOptimize((a + b).data_ptr());
}

void BM_matmul(benchmark::State& state) {
  int64_t n = state.range(0);
  nb::Tensor a = uniform_tensor({n, n}, 1), b = uniform_tensor({n, n}, 2);
  for (auto _ : state) benchmark::DoNotOptimize(nb::matmul(a, b).data_ptr());
}

// The same product straight through OpenBLAS, into a buffer allocated once: the reference for BM_matmul
// (float32 products run on our own sgemm, src/cpu/sgemm.cpp).
void BM_sgemm(benchmark::State& state) {
  int n = int(state.range(0));
  std::vector<float> a = uniform_floats(int64_t(n) * n, 1), b = uniform_floats(int64_t(n) * n, 2), c(a.size());
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    benchmark::ClobberMemory();
  }
}

// Multi-threaded ops are timed by the wall clock; CPU time would count only the calling thread.
// PyTorch-identical random streams (mt19937 plus its transforms): nanoseconds per element.
constexpr int64_t kRandomNumel = int64_t(1) << 22;
void BM_rand(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(nb::rand({kRandomNumel}).data_ptr());
  state.SetItemsProcessed(int64_t(state.iterations()) * kRandomNumel);
}
void BM_randn(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(nb::randn({kRandomNumel}).data_ptr());
  state.SetItemsProcessed(int64_t(state.iterations()) * kRandomNumel);
}

// One fused optimizer step: SGD over the seed's Linear(1, 1) (per-step overhead), Adam over an MLP's
// 1,066,240 parameters (bandwidth).
void optimizer_step(benchmark::State& state, std::vector<nb::Tensor> params, bool adam) {
  for (nb::Tensor& p : params) {
    p.requires_grad_(true);
    p.mutable_grad() = nb::full(p.sizes(), 1e-3f);
  }
  std::unique_ptr<nb::optim::Optimizer> opt;
  if (adam) opt = std::make_unique<nb::optim::Adam>(params);
  else opt = std::make_unique<nb::optim::SGD>(params, 0.01);
  for (auto _ : state) opt->step();
}
void BM_sgd_step_linear1(benchmark::State& state) { optimizer_step(state, {nb::zeros({1, 1}), nb::zeros({1})}, false); }
void BM_adam_step_mlp(benchmark::State& state) {
  optimizer_step(state, {nb::zeros({1024, 784}), nb::zeros({1024}), nb::zeros({256, 1024}), nb::zeros({256})}, true);
}

BENCHMARK(BM_memcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_clone)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_add)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_mul)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_exp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sum)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_add_small)->Unit(benchmark::kNanosecond)->UseRealTime();
BENCHMARK(BM_matmul)->Arg(64)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_rand)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_randn)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sgd_step_linear1)->Unit(benchmark::kNanosecond)->UseRealTime();
BENCHMARK(BM_adam_step_mlp)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_sgemm)->Arg(64)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
