#include "cuda/generator.hpp"

#include <array>
#include <mutex>

#include "cuda/runtime.hpp"

namespace nabla::cuda {
namespace {

// PyTorch's default seed, so an unseeded program starts from a fixed, documented state.
constexpr uint64_t kDefaultSeed = 67280421310721ull;

struct Generators {
  std::mutex mutex;
  std::array<PhiloxState, kMaxDevices> states;
  Generators() { states.fill({kDefaultSeed, 0}); }
};
Generators& generators() {
  static Generators g;
  return g;
}

}  // namespace

void seed_generators(uint64_t seed) {
  Generators& g = generators();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.states.fill({seed, 0});
}

PhiloxState philox_reserve(uint64_t increment) {
  Generators& g = generators();
  std::lock_guard<std::mutex> lock(g.mutex);
  PhiloxState& s = g.states[size_t(active_device())];
  PhiloxState taken = s;
  s.offset += (increment + 3) / 4 * 4;  // whole Philox blocks of four values
  return taken;
}

}  // namespace nabla::cuda
