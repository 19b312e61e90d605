// Random kernels on the CPU, drawing exactly what PyTorch 1.13's CPU kernels draw (AVX2 build).
//
// Note [Reproducing PyTorch's random streams]
// - Draw order: PyTorch fills with cpu_serial_kernel, which visits the output in TensorIterator
//   order (dims sorted by stride); DrawOrder below reproduces that order. Values that need no
//   further draws are transformed in parallel afterwards, so results never depend on threads.
// - Arithmetic: PyTorch's AVX2 kernels are compiled by GCC with FMA contraction on, so some
//   `a * b + c` are fused. This file is compiled with -ffp-contract=off and writes every fused
//   site as an explicit std::fma; everything else is a plain rounded operation. The results are
//   then the same on any CPU (without hardware FMA std::fma is slower, not different).
// - The AVX2 Box-Muller kernel of the float normal path evaluates Cephes log and sincos
//   polynomials (avx_mathfun.h); cephes_log and cephes_sincos emulate them lane by lane.
#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>

#include "core/float_traits.hpp"
#include "core/kernels/random.hpp"
#include "cpu/parallel.hpp"

namespace nabla {

namespace cpu {
namespace {

// ---------------------------------------------------------------------------------------------
// Draw order.

// Element offsets of `out` (and of `in`, which has out's shape) in the order TensorIterator
// visits a nullary op's output: the dims sorted by PyTorch's insertion sort on strides, the
// smallest stride innermost, equal strides ordered by size.
class DrawOrder {
 public:
  DrawOrder(const TensorImpl& out, const TensorImpl* in) {
    const int64_t nd = out.dim();
    DimVector perm(size_t(nd), 0);  // perm[0] is the innermost dim
    for (int64_t i = 0; i < nd; ++i) perm[i] = nd - 1 - i;
    const auto& st = out.strides();
    const auto& sz = out.sizes();
    auto should_swap = [&](int64_t d0, int64_t d1) {
      if (st[d0] == 0 || st[d1] == 0) return 0;
      if (st[d0] != st[d1]) return st[d0] < st[d1] ? -1 : 1;
      return sz[d0] > sz[d1] ? 1 : 0;
    };
    for (int64_t i = 1; i < nd; ++i) {
      int64_t d1 = i;
      for (int64_t d0 = i - 1; d0 >= 0; --d0) {
        int c = should_swap(perm[d0], perm[d1]);
        if (c > 0) {
          std::swap(perm[d0], perm[d1]);
          d1 = d0;
        } else if (c < 0) {
          break;
        }
      }
    }
    for (int64_t k = nd - 1; k >= 0; --k) {  // outermost first
      int64_t d = perm[k];
      if (sz[d] == 1) continue;
      sizes_.push_back(sz[d]);
      out_strides_.push_back(st[d]);
      in_strides_.push_back(in ? in->strides()[d] : 0);
    }
  }

  // Calls f(out_offset, in_offset) for every element, in draw order.
  template <typename F>
  void for_each(const F& f) const {
    const size_t nd = sizes_.size();
    if (nd == 0) {
      f(int64_t(0), int64_t(0));
      return;
    }
    DimVector idx(nd, 0);
    int64_t out_off = 0, in_off = 0;
    const int64_t inner = sizes_[nd - 1], inner_out = out_strides_[nd - 1], inner_in = in_strides_[nd - 1];
    while (true) {
      for (int64_t i = 0; i < inner; ++i) f(out_off + i * inner_out, in_off + i * inner_in);
      int64_t d = int64_t(nd) - 2;
      for (; d >= 0; --d) {
        out_off += out_strides_[d];
        in_off += in_strides_[d];
        if (++idx[d] < sizes_[d]) break;
        out_off -= out_strides_[d] * sizes_[d];
        in_off -= in_strides_[d] * sizes_[d];
        idx[d] = 0;
      }
      if (d < 0) return;
    }
  }

 private:
  DimVector sizes_, out_strides_, in_strides_;
};

// self[e] = draw() for every element, in PyTorch's order, under the generator's lock.
template <typename T, typename Draw>
void fill_serial(TensorImpl& self, Generator& gen, const Draw& draw) {
  T* data = self.data_as<T>();
  std::lock_guard<std::mutex> lock(gen.mutex());
  if (self.is_contiguous()) {
    const int64_t n = self.numel();
    for (int64_t i = 0; i < n; ++i) data[i] = draw();
    return;
  }
  DrawOrder(self, nullptr).for_each([&](int64_t o, int64_t) { data[o] = draw(); });
}

// ---------------------------------------------------------------------------------------------
// Uniform (at::uniform_real_distribution): the low `digits` bits of one draw (two for double).

template <typename T> inline constexpr int kDigits =
    std::is_same_v<T, double> ? 53 : std::is_same_v<T, float> ? 24 : std::is_same_v<T, Half> ? 11 : 8;
template <typename T> using acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename T>
inline acc_t<T> unit_uniform(Generator& gen) {
  if constexpr (std::is_same_v<T, double>) {
    return double(gen.random64() & ((uint64_t(1) << 53) - 1)) * 0x1p-53;
  } else {
    constexpr uint32_t mask = (uint32_t(1) << kDigits<T>) - 1;
    return float(gen.random() & mask) * (1.0f / float(uint32_t(1) << kDigits<T>));
  }
}

void uniform(TensorImpl& self, double from, double to, Generator& gen) {
  visit_dtype(self.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (kIsFloat<T>) {
      using A = acc_t<T>;
      // PyTorch casts the bounds to T and computes `to - from` in T (rounded for 16-bit types).
      const T from_t = T(from), to_t = T(to);
      const A lo = A(from_t), range = A(T(A(to_t) - A(from_t)));
      fill_serial<T>(self, gen, [&] { return T(std::fma(unit_uniform<T>(gen), range, lo)); });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Normal, 16-element path (contiguous, numel >= 16): all uniforms first, then Box-Muller on
// blocks of 16 (u1 from the first 8, u2 from the last 8), the tail block redrawn.

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// Selects as the vector kernel does, with all-ones/all-zeros lane masks (this also keeps the
// loops branch-free, so they vectorize).
inline uint32_t lane_mask(bool b) { return -uint32_t(b); }
inline float masked(float v, uint32_t mask) { return std::bit_cast<float>(std::bit_cast<uint32_t>(v) & mask); }

// Cephes logf as avx_mathfun.h's log256_ps computes it, for x >= 2^-24 (the kernel's clamp of
// subnormal inputs to the smallest normal never acts on Box-Muller's 1 - u).
inline float cephes_log(float x) {
  constexpr float p0 = float(7.0376836292E-2), p1 = float(-1.1514610310E-1), p2 = float(1.1676998740E-1),
                  p3 = float(-1.2420140846E-1), p4 = float(1.4249322787E-1), p5 = float(-1.6668057665E-1),
                  p6 = float(2.0000714765E-1), p7 = float(-2.4999993993E-1), p8 = float(3.3333331174E-1),
                  q1 = float(-2.12194440e-4), q2 = float(0.693359375), sqrthf = float(0.707106781186547524);
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  float e = float(int32_t(bits >> 23) - 0x7f) + 1.0f;
  float m = std::bit_cast<float>((bits & ~0x7f800000u) | std::bit_cast<uint32_t>(0.5f));  // in [0.5, 1)
  const uint32_t below = lane_mask(m < sqrthf);
  const float tmp = masked(m, below);
  m = m - 1.0f;
  e = e - masked(1.0f, below);
  m = m + tmp;
  const float z = m * m;
  float y = std::fma(p0, m, p1);
  y = std::fma(y, m, p2);
  y = std::fma(y, m, p3);
  y = std::fma(y, m, p4);
  y = std::fma(y, m, p5);
  y = std::fma(y, m, p6);
  y = std::fma(y, m, p7);
  y = std::fma(y, m, p8);
  y = y * m;
  y = std::fma(y, z, e * q1);
  y = std::fma(-z, 0.5f, y);
  return std::fma(e, q2, m + y);
}

// Cephes sinf and cosf together, as avx_mathfun.h's sincos256_ps computes them.
inline void cephes_sincos(float x, float& s, float& c) {
  constexpr float dp1 = -0.78515625f, dp2 = -2.4187564849853515625e-4f, dp3 = float(-3.77489497744594108e-8),
                  s0 = float(-1.9515295891E-4), s1 = float(8.3321608736E-3), s2 = float(-1.6666654611E-1),
                  c0 = float(2.443315711809948E-005), c1 = float(-1.388731625493765E-003),
                  c2 = float(4.166664568298827E-002), fopi = float(1.27323954473516);
  uint32_t sign_sin = std::bit_cast<uint32_t>(x) & 0x80000000u;
  x = std::fabs(x);
  int32_t j = int32_t(x * fopi);  // truncation, as cvttps
  j = (j + 1) & ~1;
  const float y = float(j);
  sign_sin ^= uint32_t(j & 4) << 29;
  const uint32_t sign_cos = uint32_t(~(j - 2) & 4) << 29;
  const uint32_t sin_poly_for_sin = lane_mask((j & 2) == 0);
  x = std::fma(y, dp1, x);
  x = std::fma(y, dp2, x);
  x = std::fma(y, dp3, x);
  const float z = x * x;
  float yc = std::fma(c0, z, c1);
  yc = std::fma(yc, z, c2);
  yc = std::fma(yc * z, z, -(z * 0.5f)) + 1.0f;
  float ys = std::fma(s0, z, s1);
  ys = std::fma(ys, z, s2);
  ys = std::fma(ys * z, x, x);
  // The kernel adds the unselected polynomial's masked-out zero; kept for signed zeros.
  const float sin_from_s = masked(ys, sin_poly_for_sin), sin_from_c = masked(yc, ~sin_poly_for_sin);
  const float cos_s = ys - sin_from_s, cos_c = yc - sin_from_c;
  s = std::bit_cast<float>(std::bit_cast<uint32_t>(sin_from_c + sin_from_s) ^ sign_sin);
  c = std::bit_cast<float>(std::bit_cast<uint32_t>(cos_c + cos_s) ^ sign_cos);
}

// normal_fill_16_AVX2 for float: lanes j and j + 8 of one block.
struct BoxMullerFloat {
  float mean, std;
  void operator()(float* d) const {
    constexpr float two_pi = float(kTwoPi);
    for (int j = 0; j < 8; ++j) {
      const float radius = std::sqrt(-2.0f * cephes_log(1.0f - d[j]));
      float s, c;
      cephes_sincos(two_pi * d[j + 8], s, c);
      d[j] = std::fma(radius * c, std, mean);
      d[j + 8] = std::fma(radius * s, std, mean);
    }
  }
};

// normal_fill_16<double>: libm log, cos, sin.
struct BoxMullerDouble {
  double mean, std;
  void operator()(double* d) const {
    for (int j = 0; j < 8; ++j) {
      const double radius = std::sqrt(-2.0 * std::log(1.0 - d[j]));
      const double theta = kTwoPi * d[j + 8];
      d[j] = std::fma(radius * std::cos(theta), std, mean);
      d[j + 8] = std::fma(radius * std::sin(theta), std, mean);
    }
  }
};

// normal_fill_16<Half>: c10::Half arithmetic returns float (fused like float) but the named
// intermediates u1, radius and theta are stored as Half; libm's float log, cos, sin.
struct BoxMullerHalf {
  Half mean, std;
  void operator()(Half* d) const {
    for (int j = 0; j < 8; ++j) {
      const Half u1 = Half(1.0f - float(d[j]));
      const Half radius = Half(std::sqrt(-2.0f * std::log(float(u1))));
      const Half theta = Half(float(kTwoPi * double(float(d[j + 8]))));
      d[j] = Half(std::fma(float(radius) * std::cos(float(theta)), float(std), float(mean)));
      d[j + 8] = Half(std::fma(float(radius) * std::sin(float(theta)), float(std), float(mean)));
    }
  }
};

// normal_fill_16<BFloat16>: every c10::BFloat16 operation and math function (BFloat16-math.h)
// rounds its result to BFloat16.
struct BoxMullerBFloat16 {
  BFloat16 mean, std;
  static float r(float v) { return float(BFloat16(v)); }
  void operator()(BFloat16* d) const {
    for (int j = 0; j < 8; ++j) {
      const float u1 = r(1.0f - float(d[j]));
      const float radius = r(std::sqrt(r(-2.0f * r(std::log(u1)))));
      const float theta = r(float(kTwoPi * double(float(d[j + 8]))));
      d[j] = BFloat16(r(r(radius * r(std::cos(theta))) * float(std)) + float(mean));
      d[j + 8] = BFloat16(r(r(radius * r(std::sin(theta))) * float(std)) + float(mean));
    }
  }
};

template <typename T, typename Transform>
void normal_fill_16(T* data, int64_t n, Generator& gen, const Transform& transform) {
  T tail[16];
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    for (int64_t i = 0; i < n; ++i) data[i] = T(unit_uniform<T>(gen));
    if (n % 16 != 0)
      for (T& v : tail) v = T(unit_uniform<T>(gen));
  }
  parallel_for(n / 16, kGrainSize / 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) transform(data + 16 * i);
  });
  if (n % 16 != 0) {
    std::copy(std::begin(tail), std::end(tail), data + n - 16);
    transform(data + n - 16);
  }
}

// Normal, scalar path (numel < 16 or non-contiguous): at::normal_distribution<double>, which
// draws two doubles, returns r*cos and caches r*sin in the generator for the next call.
inline double standard_normal(Generator& gen) {
  if (std::optional<double> cached = gen.take_cached_normal()) return *cached;
  const double u1 = unit_uniform<double>(gen), u2 = unit_uniform<double>(gen);
  const double r = std::sqrt(-2.0 * std::log(1.0 - u2));
  const double theta = kTwoPi * u1;
  gen.set_cached_normal(r * std::sin(theta));
  return r * std::cos(theta);
}

void normal(TensorImpl& self, double mean, double std, Generator& gen) {
  visit_dtype(self.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (kIsFloat<T>) {
      const int64_t n = self.numel();
      T* data = self.data_as<T>();
      if (n >= 16 && self.is_contiguous()) {
        if constexpr (std::is_same_v<T, float>) normal_fill_16(data, n, gen, BoxMullerFloat{float(mean), float(std)});
        else if constexpr (std::is_same_v<T, double>) normal_fill_16(data, n, gen, BoxMullerDouble{mean, std});
        else if constexpr (std::is_same_v<T, Half>) normal_fill_16(data, n, gen, BoxMullerHalf{Half(mean), Half(std)});
        else normal_fill_16(data, n, gen, BoxMullerBFloat16{BFloat16(mean), BFloat16(std)});
        return;
      }
      fill_serial<T>(self, gen, [&] { return T(std::fma(standard_normal(gen), std, mean)); });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Integers.

template <typename T>
inline T from_int64(int64_t v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0;
  else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return T(float(v));
  else return static_cast<T>(v);
}

void random_from_to(TensorImpl& self, uint64_t range, int64_t base, Generator& gen) {
  visit_dtype(self.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (range == 0) {  // [int64 min, int64 max]: one 64-bit draw, reinterpreted
      fill_serial<T>(self, gen, [&] { return from_int64<T>(int64_t(gen.random64())); });
      return;
    }
    // PyTorch takes one 32-bit draw unless the range needs more and T can hold it.
    constexpr bool wide_type = std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t> || std::is_same_v<T, double> ||
                               std::is_same_v<T, float> || std::is_same_v<T, BFloat16>;
    if (wide_type && range >= (uint64_t(1) << 32)) {
      fill_serial<T>(self, gen, [&] { return from_int64<T>(int64_t(gen.random64() % range + uint64_t(base))); });
    } else {
      fill_serial<T>(self, gen, [&] { return from_int64<T>(int64_t(gen.random() % range + uint64_t(base))); });
    }
  });
}

// randperm_cpu: the identity, then one Fisher-Yates pass with a 32-bit draw per position.
void randperm(TensorImpl& out, Generator& gen) {
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t n = out.numel();
    T* data = out.data_as<T>();
    for (int64_t i = 0; i < n; ++i) data[i] = from_int64<T>(i);
    std::lock_guard<std::mutex> lock(gen.mutex());
    for (int64_t i = 0; i + 1 < n; ++i) {
      const int64_t z = int64_t(gen.random() % uint64_t(n - i));
      std::swap(data[i], data[i + z]);
    }
  });
}

// at::bernoulli_distribution<double>: one 53-bit uniform per element, compared with p.
void bernoulli_scalar(TensorImpl& self, double p, Generator& gen) {
  visit_dtype(self.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_serial<T>(self, gen, [&] { return from_int64<T>(unit_uniform<double>(gen) < p); });
  });
}

// A double p draws 53-bit uniforms; other floating p draw 24-bit float uniforms.
void bernoulli_tensor(TensorImpl& self, const TensorImpl& p, Generator& gen) {
  visit_dtype(self.dtype(), [&](auto out_tag) {
    using T = typename decltype(out_tag)::type;
    visit_dtype(p.dtype(), [&](auto p_tag) {
      using P = typename decltype(p_tag)::type;
      if constexpr (kIsFloat<P>) {
        using U = std::conditional_t<std::is_same_v<P, double>, double, float>;
        T* out = self.data_as<T>();
        const P* prob = p.data_as<P>();
        std::lock_guard<std::mutex> lock(gen.mutex());
        DrawOrder(self, &p).for_each([&](int64_t o, int64_t i) {
          out[o] = from_int64<T>(unit_uniform<U>(gen) < U(prob[i]));
        });
      }
    });
  });
}

}  // namespace
}  // namespace cpu

NB_REGISTER_KERNEL(uniform_kernel, kCPU, cpu::uniform);
NB_REGISTER_KERNEL(normal_kernel, kCPU, cpu::normal);
NB_REGISTER_KERNEL(random_from_to_kernel, kCPU, cpu::random_from_to);
NB_REGISTER_KERNEL(randperm_kernel, kCPU, cpu::randperm);
NB_REGISTER_KERNEL(bernoulli_scalar_kernel, kCPU, cpu::bernoulli_scalar);
NB_REGISTER_KERNEL(bernoulli_tensor_kernel, kCPU, cpu::bernoulli_tensor);

}  // namespace nabla
