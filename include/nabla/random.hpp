#pragma once
// Random numbers identical to PyTorch's CPU generator: mt19937 seeded like torch.manual_seed,
// with PyTorch's transforms, so the same seed gives the same tensors in both.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "nabla/tensor.hpp"

namespace nabla {

class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ull);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  void manual_seed(uint64_t seed);
  uint64_t initial_seed() const { return seed_; }
  uint32_t random();    // one 32-bit output of mt19937
  uint64_t random64();  // two outputs: (first << 32) | second
  std::optional<double> take_cached_normal();
  void set_cached_normal(double v) { cached_normal_ = v; }
  std::mutex& mutex() { return mutex_; }

 private:
  struct Engine;
  std::unique_ptr<Engine> engine_;
  uint64_t seed_;
  std::optional<double> cached_normal_;
  std::mutex mutex_;
};

Generator& default_generator();
void manual_seed(uint64_t seed);

Tensor rand(IntArrayRef sizes, const TensorOptions& options = {}, Generator* gen = nullptr);
Tensor randn(IntArrayRef sizes, const TensorOptions& options = {}, Generator* gen = nullptr);
Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, const TensorOptions& options = {}, Generator* gen = nullptr);
Tensor randint(int64_t high, IntArrayRef sizes, const TensorOptions& options = {}, Generator* gen = nullptr);
Tensor randperm(int64_t n, const TensorOptions& options = {}, Generator* gen = nullptr);
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);
Tensor bernoulli(const Tensor& p, Generator* gen = nullptr);

}  // namespace nabla
