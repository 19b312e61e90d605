// `a + b` on 4-element float32 tensors through LibTorch's C++ API: PyTorch's per-op overhead without
// Python, set against nabla's BM_add_small in bench/compare.py.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace {

void BM_libtorch_add_small(benchmark::State& state) {
  torch::Tensor a = torch::rand({4}), b = torch::rand({4});
  for (auto _ : state) benchmark::DoNotOptimize((a + b).data_ptr());
}
BENCHMARK(BM_libtorch_add_small)->Unit(benchmark::kNanosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
