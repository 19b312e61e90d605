#pragma once
// The training workloads that bench/bench_training.cpp (nabla) and bench/libtorch/libtorch_training.cpp
// (LibTorch) both run, so that the two time the same work; bench/training.py repeats these figures for
// PyTorch. Included against either library, so it uses neither.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <thread>
#include <vector>

namespace training_workloads {

// The seed example's 15 points (examples/linear_regression.cpp): Linear(1, 1), MSELoss, SGD(lr=0.01).
constexpr std::array<float, 15> kSeedX = {3.3f,   4.4f,  5.5f, 6.71f,   6.93f,  .168f, 9.779f, 6.182f,
                                          7.59f, 2.167f, 7.042f, 10.791f, 5.313f, 7.997f, 3.1f};
constexpr std::array<float, 15> kSeedY = {1.7f,   2.76f,  2.09f,  3.19f,  1.694f, 1.573f, 3.366f, 2.596f,
                                          2.53f, 1.221f, 2.827f, 3.465f, 1.65f,  2.904f, 1.3f};
constexpr double kSeedLearningRate = 0.01;

// A chain of 4 * kChainRounds small ops on kChainNumel float32 elements, each round
// x = tanh(x * kChainScale + kChainShift) - kChainOffset, then sum().backward().
constexpr int64_t kChainNumel = 16;
constexpr int kChainRounds = 25;
constexpr double kChainScale = 0.9, kChainShift = 0.1, kChainOffset = 0.05;

// The Fashion-MNIST MLP 784-256-128-10 with ReLU, cross-entropy and SGD(lr 0.1, momentum 0.9), batches
// of 128 shuffled each epoch, the last one partial. Images are float32 in [0, 1], flattened to 784.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
constexpr std::array<int64_t, 4> kMlpWidths = {784, 256, 128, 10};
constexpr int64_t kMlpBatchSize = 128;
constexpr double kMlpLearningRate = 0.1, kMlpMomentum = 0.9;
// Timed epochs per thread count, after one untimed warm-up epoch (one per process, not per thread count:
// on a loaded machine the slow thread counts cost minutes an epoch).
constexpr int kMlpTimedEpochs = 3;

// One thread, and one per CPU.
inline std::vector<int> mlp_thread_counts() {
  const int cpus = std::max(1, int(std::thread::hardware_concurrency()));
  return cpus > 1 ? std::vector<int>{1, cpus} : std::vector<int>{1};
}

// BM_mlp_epoch/<threads>: one epoch per repetition, so Google Benchmark's median is the median epoch.
inline void register_mlp_epochs(benchmark::internal::Benchmark* benchmark) {
  for (int threads : mlp_thread_counts()) benchmark->Arg(threads);
  benchmark->Iterations(1)->Repetitions(kMlpTimedEpochs)->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace training_workloads
