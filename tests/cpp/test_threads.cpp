// Concurrency: grad mode is per thread; forward passes, training steps, random draws and allocations
// from several threads at once give what they give one at a time; the OpenMP kernels give the same
// bits on any number of threads; the DataLoader's workers give the batches it gives without them.
// Self-contained (no PyTorch oracle: serial runs are the reference), so that `make check-tsan` builds
// it alone as nabla_thread_tests and runs it under ThreadSanitizer.
#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include "nabla/nabla.hpp"

namespace nb = nabla;
namespace data = nabla::data;

namespace {

constexpr int kThreads = 4;

::testing::AssertionResult same_bits(const nb::Tensor& a, const nb::Tensor& b) {
  if (a.dtype() != b.dtype() || !(a.sizes() == b.sizes())) return ::testing::AssertionFailure() << "shape or dtype differ";
  nb::Tensor ca = a.contiguous(), cb = b.contiguous();
  if (std::memcmp(ca.data_ptr(), cb.data_ptr(), size_t(ca.numel()) * nb::itemsize(ca.dtype())) != 0)
    return ::testing::AssertionFailure() << "values differ";
  return ::testing::AssertionSuccess();
}

// Runs fn(thread_index) on kThreads threads at once and waits for them; an exception fails the test.
void run_concurrently(const std::function<void(int)>& fn) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::atomic<bool> go{false};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      try {
        fn(t);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
        ++failures;
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

std::shared_ptr<nb::nn::Sequential> mlp(uint64_t seed) {
  nb::manual_seed(seed);
  return std::make_shared<nb::nn::Sequential>(std::initializer_list<std::shared_ptr<nb::nn::Module>>{
      std::make_shared<nb::nn::Linear>(64, 48), std::make_shared<nb::nn::ReLU>(), std::make_shared<nb::nn::Linear>(48, 10)});
}

nb::Tensor batch_for(int i, nb::Generator& gen, int64_t rows = 16) {
  return nb::randn({rows, 64}, {}, &gen).add(double(i));
}

}  // namespace

TEST(Threads, GradModeIsPerThread) {
  nb::NoGradGuard no_grad;
  bool other_enabled = false, other_tracks = false;
  std::thread other([&] {
    other_enabled = nb::is_grad_enabled();
    nb::Tensor w = nb::ones({3}).requires_grad_();
    other_tracks = (w * 2).requires_grad();
  });
  other.join();
  EXPECT_TRUE(other_enabled);
  EXPECT_TRUE(other_tracks);
  EXPECT_FALSE(nb::is_grad_enabled());
  EXPECT_FALSE((nb::ones({3}).requires_grad_() * 2).requires_grad());
}

TEST(Threads, ConcurrentInferenceEqualsSerial) {
  auto model = mlp(3);
  nb::Generator gen(11);
  std::vector<nb::Tensor> inputs, serial;
  // Odd batches are big enough (1000 x 48 activations) for the kernels' OpenMP loops, so several
  // threads run OpenMP regions at once.
  for (int i = 0; i < 2 * kThreads; ++i) inputs.push_back(batch_for(i, gen, i % 2 ? 1000 : 16));
  {
    nb::NoGradGuard no_grad;
    for (const nb::Tensor& x : inputs) serial.push_back((*model)(x).softmax(-1));
  }
  std::vector<nb::Tensor> parallel(inputs.size());
  run_concurrently([&](int t) {
    nb::NoGradGuard no_grad;
    for (size_t i = size_t(t); i < inputs.size(); i += kThreads) parallel[i] = (*model)(inputs[i]).softmax(-1);
  });
  for (size_t i = 0; i < inputs.size(); ++i) EXPECT_TRUE(same_bits(parallel[i], serial[i])) << "batch " << i;
}

TEST(Threads, ConcurrentTrainingOfSeparateModelsEqualsSerial) {
  // Each thread trains its own model on its own data stream. The models are made up front: their
  // initialisation draws from the default generator, which all threads share.
  auto train = [](nb::nn::Module& model, uint64_t seed) {
    nb::optim::SGD opt(model.parameters(), nb::optim::SGDOptions{0.05, 0.9});
    nb::Generator gen(seed);
    for (int step = 0; step < 5; ++step) {
      nb::Tensor x = batch_for(step, gen), y = nb::randint(0, 10, {16}, nb::kInt64, &gen);
      opt.zero_grad();
      nb::nn::functional::cross_entropy(model(x), y).backward();
      opt.step();
    }
  };
  std::vector<std::shared_ptr<nb::nn::Sequential>> serial, parallel;
  for (int t = 0; t < kThreads; ++t) {
    serial.push_back(mlp(0));
    parallel.push_back(mlp(0));
  }
  for (int t = 0; t < kThreads; ++t) train(*serial[size_t(t)], uint64_t(t));
  run_concurrently([&](int t) { train(*parallel[size_t(t)], uint64_t(t)); });
  for (int t = 0; t < kThreads; ++t) {
    const auto expected = serial[size_t(t)]->parameters(), got = parallel[size_t(t)]->parameters();
    for (size_t p = 0; p < expected.size(); ++p)
      EXPECT_TRUE(same_bits(got[p], expected[p])) << "thread " << t << ", parameter " << p;
  }
}

TEST(Threads, SharedGeneratorHandsOutEachDrawOnce) {
  nb::Generator shared(5), reference(5);
  constexpr int kDraws = 50;
  std::vector<std::vector<nb::Tensor>> drawn(kThreads);
  run_concurrently([&](int t) {
    for (int i = 0; i < kDraws; ++i) drawn[size_t(t)].push_back(nb::randint(0, 1 << 30, {4}, nb::kInt64, &shared));
  });
  // Interleaved however the threads ran, the draws are the serial stream's, each used once.
  std::vector<int64_t> got, expected;
  for (const auto& per_thread : drawn)
    for (const nb::Tensor& t : per_thread)
      for (int64_t i = 0; i < 4; ++i) got.push_back(t[i].item<int64_t>());
  nb::Tensor all = nb::randint(0, 1 << 30, {kThreads * kDraws * 4}, nb::kInt64, &reference);
  for (int64_t i = 0; i < all.numel(); ++i) expected.push_back(all[i].item<int64_t>());
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
}

TEST(Threads, AllocatorHandsOutDisjointBuffers) {
  run_concurrently([](int t) {
    std::vector<nb::Tensor> live;
    for (int i = 0; i < 200; ++i) {
      const int64_t n = int64_t(1) << (4 + (i * 7 + t) % 14);  // 16 elements to 128 Ki: malloc'd and cached sizes
      live.push_back(nb::full({n}, double(t * 1000 + i), nb::kFloat64));
      if (live.size() > 8) {
        const nb::Tensor& oldest = live.front();
        const double expected = oldest[0].item<double>();
        EXPECT_TRUE((oldest == expected).all().item<bool>()) << "a buffer was handed to two tensors";
        live.erase(live.begin());
      }
    }
  });
}

// Small tensors, their storages and autograd nodes come from per-thread block pools, and a block
// freed on another thread joins that thread's pool: tensors made on one thread and dropped on another
// (as a DataLoader's batches are) keep their values, and no block is handed out twice.
TEST(Threads, SmallTensorsMadeOnOneThreadAndDroppedOnAnotherStayIntact) {
  std::mutex mutex;
  std::vector<nb::Tensor> passed;
  run_concurrently([&](int t) {
    for (int i = 0; i < 500; ++i) {
      const double value = t * 1000 + i;
      nb::Tensor mine = nb::full({1 + i % 40}, value, nb::kFloat64).requires_grad_();
      nb::Tensor theirs;
      {
        std::lock_guard<std::mutex> lock(mutex);
        passed.push_back((mine * 1.0).detach());
        if (passed.size() > 16) {
          theirs = std::move(passed.front());
          passed.erase(passed.begin());
        }
      }
      if (theirs.defined()) {
        const double first = theirs[0].item<double>();
        EXPECT_TRUE((theirs == first).all().item<bool>()) << "a block was handed to two tensors";
      }
      EXPECT_TRUE((mine == value).all().item<bool>());
    }
  });
  std::thread([&] { passed.clear(); }).join();  // dropped on a thread that ends at once
}

TEST(Threads, ParallelKernelsGiveTheSameBitsOnAnyThreadCount) {
  nb::Generator gen(9);
  nb::Tensor a = nb::randn({300, 400}, {}, &gen), b = nb::randn({400, 200}, {}, &gen);
  auto run = [&] {
    return std::vector<nb::Tensor>{a.sum(), a.sum(0), a.sum(1), a.exp() * a, a.cumsum(1), nb::matmul(a, b),
                                   a.softmax(1), a.max(), a.std(0), a.t().contiguous()};
  };
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<nb::Tensor> one = run();
  omp_set_num_threads(std::max(threads, 3));
  const std::vector<nb::Tensor> many = run();
  omp_set_num_threads(threads);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(same_bits(many[i], one[i])) << "result " << i;
}

namespace {

// Examples computed on request, counting calls from any thread.
class Computed : public data::Dataset {
 public:
  explicit Computed(int64_t n, int64_t fail_at = -1) : n_(n), fail_at_(fail_at) {}
  int64_t size() const override { return n_; }
  data::Example get(int64_t index) const override {
    ++calls;
    if (index == fail_at_) throw nb::ValueError("Computed: example " + std::to_string(index) + " is broken");
    return {nb::full({3}, double(index)) * nb::arange(3, nb::kFloat32), nb::tensor({index})};
  }
  mutable std::atomic<int64_t> calls{0};

 private:
  int64_t n_, fail_at_;
};

std::vector<data::Batch> epoch(const data::DataLoader& loader) {
  std::vector<data::Batch> out;
  for (const data::Batch& b : loader) out.push_back(b);
  return out;
}

}  // namespace

TEST(Threads, DataLoaderWorkersGiveTheSameBatchesAndDraws) {
  auto source = std::make_shared<Computed>(203);
  for (bool shuffle : {false, true}) {
    nb::Generator serial_gen(21), worker_gen(21);
    data::DataLoader serial(source, {.batch_size = 16, .shuffle = shuffle, .generator = &serial_gen});
    data::DataLoader workers(source, {.batch_size = 16, .shuffle = shuffle, .generator = &worker_gen,
                                      .num_workers = 3, .prefetch_factor = 2});
    for (int e = 0; e < 2; ++e) {
      const auto expected = epoch(serial), got = epoch(workers);
      ASSERT_EQ(got.size(), expected.size());
      for (size_t b = 0; b < got.size(); ++b)
        for (size_t f = 0; f < 2; ++f) EXPECT_TRUE(same_bits(got[b][f], expected[b][f])) << "batch " << b;
    }
    EXPECT_EQ(worker_gen.random64(), serial_gen.random64()) << "the generators were drawn differently";
  }
}

TEST(Threads, DataLoaderWorkerErrorsReachTheLoopAndEarlyExitStops) {
  auto broken = std::make_shared<Computed>(100, /*fail_at=*/37);
  data::DataLoader loader(broken, {.batch_size = 10, .num_workers = 4});
  int64_t reached = 0;
  try {
    for (const data::Batch& b : loader) {
      (void)b;
      ++reached;
    }
    ADD_FAILURE() << "the broken example did not raise";
  } catch (const nb::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("example 37 is broken"), std::string::npos) << e.what();
  }
  EXPECT_EQ(reached, 3);  // batches 0-2 arrive; batch 3 holds example 37

  auto source = std::make_shared<Computed>(10000);
  data::DataLoader big(source, {.batch_size = 10, .num_workers = 2, .prefetch_factor = 2});
  for (const data::Batch& b : big) {
    (void)b;
    break;
  }
  // Leaving the loop joined the workers: only the batches within the prefetch window were built.
  EXPECT_LE(source->calls.load(), 10 * (1 + 2 * 2));
}

TEST(Threads, DataLoaderRejectsBadWorkerOptions) {
  auto source = std::make_shared<Computed>(4);
  EXPECT_THROW(data::DataLoader(source, {.num_workers = -1}), nb::ValueError);
  EXPECT_THROW(data::DataLoader(source, {.num_workers = 2, .prefetch_factor = 0}), nb::ValueError);
}
