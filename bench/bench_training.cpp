// Training timings of nabla for `make bench`: the seed example's epoch, forward+backward through a chain
// of 100 small ops, and a Fashion-MNIST MLP epoch at each thread count. bench/libtorch/libtorch_training.cpp
// and bench/training.py run the same workloads (bench/training_workloads.hpp) in LibTorch and PyTorch.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <array>
#include <memory>
#include <string>

#include <nabla/nabla.hpp>

#include "training_workloads.hpp"

namespace nb = nabla;
namespace tw = training_workloads;

namespace {

nb::Tensor column(const std::array<float, 15>& values) {
  return nb::from_blob(const_cast<float*>(values.data()), {int64_t(values.size()), 1}, nb::kFloat32).clone();
}

// One epoch of the seed's linear regression: forward, loss, zero_grad, backward, step.
void BM_seed_epoch(benchmark::State& state) {
  const nb::Tensor x = column(tw::kSeedX), y = column(tw::kSeedY);
  nb::manual_seed(0);
  auto model = std::make_shared<nb::nn::Linear>(1, 1);
  nb::nn::MSELoss criterion;
  nb::optim::SGD optimizer(model->parameters(), tw::kSeedLearningRate);
  for (auto _ : state) {
    nb::Tensor loss = criterion(model->forward(x), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
}

void BM_chain100(benchmark::State& state) {
  nb::manual_seed(0);
  nb::Tensor input = nb::rand({tw::kChainNumel});
  input.requires_grad_();
  for (auto _ : state) {
    nb::Tensor x = input;
    for (int round = 0; round < tw::kChainRounds; ++round)
      x = (x * tw::kChainScale + tw::kChainShift).tanh() - tw::kChainOffset;
    x.sum().backward();
  }
}

struct MlpTraining {
  std::shared_ptr<nb::nn::Sequential> model;
  nb::nn::CrossEntropyLoss criterion;
  std::unique_ptr<nb::optim::SGD> optimizer;
  std::unique_ptr<nb::data::DataLoader> loader;
  bool warmed_up = false;

  MlpTraining() {
    const std::string dir = tw::kFashionMnistDir;
    const nb::Tensor images = nb::read_idx(dir + "/train-images-idx3-ubyte.gz");
    const nb::Tensor labels = nb::read_idx(dir + "/train-labels-idx1-ubyte.gz");
    const nb::Tensor inputs = (images.to(nb::kFloat32) / 255.0f).reshape({images.size(0), tw::kMlpWidths[0]});
    nb::manual_seed(0);
    using namespace nb::nn;
    model = std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
        std::make_shared<Linear>(tw::kMlpWidths[0], tw::kMlpWidths[1]), std::make_shared<ReLU>(),
        std::make_shared<Linear>(tw::kMlpWidths[1], tw::kMlpWidths[2]), std::make_shared<ReLU>(),
        std::make_shared<Linear>(tw::kMlpWidths[2], tw::kMlpWidths[3])});
    optimizer = std::make_unique<nb::optim::SGD>(
        model->parameters(), nb::optim::SGDOptions{.lr = tw::kMlpLearningRate, .momentum = tw::kMlpMomentum});
    auto dataset = std::make_shared<nb::data::TensorDataset>(std::vector<nb::Tensor>{inputs, labels.to(nb::kInt64)});
    loader = std::make_unique<nb::data::DataLoader>(
        dataset, nb::data::DataLoaderOptions{.batch_size = tw::kMlpBatchSize, .shuffle = true});
  }

  void epoch() {
    for (const nb::data::Batch& batch : *loader) {
      nb::Tensor loss = criterion(model->forward(batch[0]), batch[1]);
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
    }
  }
};

// The data is loaded, and one untimed warm-up epoch run, once per process.
void BM_mlp_epoch(benchmark::State& state) {
  static MlpTraining training;
  const int threads = int(state.range(0)), previous_threads = omp_get_max_threads();
  omp_set_num_threads(threads);
  if (!training.warmed_up) {
    training.epoch();
    training.warmed_up = true;
  }
  for (auto _ : state) training.epoch();
  omp_set_num_threads(previous_threads);
}

BENCHMARK(BM_seed_epoch)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_chain100)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_mlp_epoch)->Apply(tw::register_mlp_epochs);

}  // namespace
