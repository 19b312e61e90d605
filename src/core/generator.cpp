// The CPU generator: mt19937 seeded as PyTorch's CPUGeneratorImpl seeds it (init_genrand with
// the low 32 bits of the seed), plus the cached second Box-Muller sample of the scalar normal path.
// random(), random64() and the cached sample are unlocked: the kernels hold mutex() for a whole
// fill, so there is no per-element locking. manual_seed takes the lock itself.
#include <array>

#include "nabla/cuda.hpp"
#include "nabla/random.hpp"

namespace nabla {

// Standard MT19937 (Matsumoto & Nishimura): its output equals std::mt19937(uint32_t(seed)).
struct Generator::Engine {
  static constexpr int kN = 624, kM = 397;
  static constexpr uint32_t kMatrixA = 0x9908b0dfu, kUpperMask = 0x80000000u, kLowerMask = 0x7fffffffu;

  std::array<uint32_t, kN> state{};
  int next = kN;

  void seed(uint32_t s) {
    state[0] = s;
    for (int j = 1; j < kN; ++j) state[j] = 1812433253u * (state[j - 1] ^ (state[j - 1] >> 30)) + uint32_t(j);
    next = kN;
  }

  static uint32_t mix(uint32_t upper, uint32_t lower, uint32_t far) {
    uint32_t y = (upper & kUpperMask) | (lower & kLowerMask);
    return far ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
  }

  // Regenerates all 624 words at once (the reference algorithm's "next_state").
  void twist() {
    int k = 0;
    for (; k < kN - kM; ++k) state[k] = mix(state[k], state[k + 1], state[k + kM]);
    for (; k < kN - 1; ++k) state[k] = mix(state[k], state[k + 1], state[k + kM - kN]);
    state[kN - 1] = mix(state[kN - 1], state[0], state[kM - 1]);
    next = 0;
  }

  uint32_t operator()() {
    if (next >= kN) twist();
    uint32_t y = state[next++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
  }
};

Generator::Generator(uint64_t seed) : engine_(std::make_unique<Engine>()), seed_(seed) { engine_->seed(uint32_t(seed)); }

Generator::~Generator() = default;

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  engine_->seed(uint32_t(seed & 0xffffffffu));
  cached_normal_.reset();
}

uint32_t Generator::random() { return (*engine_)(); }

uint64_t Generator::random64() {
  uint64_t hi = (*engine_)();
  uint64_t lo = (*engine_)();
  return (hi << 32) | lo;
}

std::optional<double> Generator::take_cached_normal() {
  std::optional<double> v = cached_normal_;
  cached_normal_.reset();
  return v;
}

Generator& default_generator() {
  // PyTorch's default_rng_seed_val, so an unseeded program draws what an unseeded torch draws.
  static Generator gen(67280421310721ull);
  return gen;
}

// As torch.manual_seed: the CPU generator and every CUDA device's.
void manual_seed(uint64_t seed) {
  default_generator().manual_seed(seed);
  cuda::manual_seed(seed);
}

}  // namespace nabla
