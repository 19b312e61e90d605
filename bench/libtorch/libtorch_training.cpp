// The training workloads of bench/bench_training.cpp through LibTorch's C++ API (bench/training_workloads.hpp):
// the seed example's epoch, forward+backward through a chain of 100 small ops, and a Fashion-MNIST MLP epoch
// at each thread count, with the batches taken by index_select from a randperm, as nabla's DataLoader does.
#include <benchmark/benchmark.h>
#include <torch/torch.h>
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../training_workloads.hpp"

namespace tw = training_workloads;

namespace {

torch::Tensor column(const std::array<float, 15>& values) {
  return torch::from_blob(const_cast<float*>(values.data()), {int64_t(values.size()), 1}, torch::kFloat32).clone();
}

void BM_seed_epoch(benchmark::State& state) {
  const torch::Tensor x = column(tw::kSeedX), y = column(tw::kSeedY);
  torch::manual_seed(0);
  torch::nn::Linear model(1, 1);
  torch::nn::MSELoss criterion;
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(tw::kSeedLearningRate));
  for (auto _ : state) {
    torch::Tensor loss = criterion(model(x), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
}

void BM_chain100(benchmark::State& state) {
  torch::manual_seed(0);
  torch::Tensor input = torch::rand({tw::kChainNumel}).requires_grad_();
  for (auto _ : state) {
    torch::Tensor x = input;
    for (int round = 0; round < tw::kChainRounds; ++round)
      x = (x * tw::kChainScale + tw::kChainShift).tanh() - tw::kChainOffset;
    x.sum().backward();
  }
}

// An IDX file of unsigned bytes (gzip-compressed): magic 0x0000080<dims>, big-endian int32 sizes, data.
torch::Tensor read_idx_uint8(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int read = 0;
  while ((read = gzread(file, chunk, sizeof chunk)) > 0) bytes.insert(bytes.end(), chunk, chunk + read);
  gzclose(file);
  auto be32 = [&](size_t at) {
    return int64_t(bytes.at(at)) << 24 | int64_t(bytes.at(at + 1)) << 16 | int64_t(bytes.at(at + 2)) << 8 |
           int64_t(bytes.at(at + 3));
  };
  if (bytes.size() < 4 || be32(0) >> 8 != 0x08) throw std::runtime_error(path + " is not an IDX file of uint8");
  const int64_t dims = be32(0) & 0xff;
  std::vector<int64_t> sizes;
  for (int64_t d = 0; d < dims; ++d) sizes.push_back(be32(4 + 4 * d));
  const size_t header = 4 + 4 * dims;
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  if (bytes.size() != header + size_t(numel)) throw std::runtime_error(path + " has the wrong size");
  return torch::from_blob(bytes.data() + header, sizes, torch::kUInt8).clone();
}

struct MlpTraining {
  torch::Tensor inputs, labels;
  torch::nn::Sequential model{nullptr};
  torch::nn::CrossEntropyLoss criterion;
  std::unique_ptr<torch::optim::SGD> optimizer;
  bool warmed_up = false;

  MlpTraining() {
    const std::string dir = tw::kFashionMnistDir;
    const torch::Tensor images = read_idx_uint8(dir + "/train-images-idx3-ubyte.gz");
    inputs = (images.to(torch::kFloat32) / 255.0f).reshape({images.size(0), tw::kMlpWidths[0]});
    labels = read_idx_uint8(dir + "/train-labels-idx1-ubyte.gz").to(torch::kInt64);
    torch::manual_seed(0);
    model = torch::nn::Sequential(torch::nn::Linear(tw::kMlpWidths[0], tw::kMlpWidths[1]), torch::nn::ReLU(),
                                  torch::nn::Linear(tw::kMlpWidths[1], tw::kMlpWidths[2]), torch::nn::ReLU(),
                                  torch::nn::Linear(tw::kMlpWidths[2], tw::kMlpWidths[3]));
    optimizer = std::make_unique<torch::optim::SGD>(
        model->parameters(), torch::optim::SGDOptions(tw::kMlpLearningRate).momentum(tw::kMlpMomentum));
  }

  void epoch() {
    const int64_t examples = inputs.size(0);
    const torch::Tensor order = torch::randperm(examples, torch::kInt64);
    for (int64_t start = 0; start < examples; start += tw::kMlpBatchSize) {
      const torch::Tensor indices = order.narrow(0, start, std::min(tw::kMlpBatchSize, examples - start));
      torch::Tensor loss = criterion(model->forward(inputs.index_select(0, indices)), labels.index_select(0, indices));
      optimizer->zero_grad();
      loss.backward();
      optimizer->step();
    }
  }
};

// The data is loaded, and one untimed warm-up epoch run, once per process.
void BM_mlp_epoch(benchmark::State& state) {
  static MlpTraining training;
  const int threads = int(state.range(0)), previous_threads = at::get_num_threads();
  at::set_num_threads(threads);
  if (!training.warmed_up) {
    training.epoch();
    training.warmed_up = true;
  }
  for (auto _ : state) training.epoch();
  at::set_num_threads(previous_threads);
}

BENCHMARK(BM_seed_epoch)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_chain100)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_mlp_epoch)->Apply(tw::register_mlp_epochs);

}  // namespace

BENCHMARK_MAIN();
