#pragma once
// 16-bit floating types stored as raw bits; arithmetic happens in float, as in PyTorch.
#include <bit>
#include <cstdint>

#include "nabla/core/host_device.hpp"

namespace nabla {

struct Half {
  uint16_t bits = 0;
  Half() = default;
  constexpr static Half from_bits(uint16_t b) { Half h; h.bits = b; return h; }
  NB_HOST_DEVICE Half(float f) : bits(from_float(f)) {}
  NB_HOST_DEVICE operator float() const { return to_float(bits); }

  NB_HOST_DEVICE static uint16_t from_float(float f) {
    uint32_t x = std::bit_cast<uint32_t>(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return uint16_t(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u));
    if (ax >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to infinity
    if (ax < 0x38800000u) {  // result is subnormal or zero: let the FPU round via a magic add
      float r = std::bit_cast<float>(ax) + 0.5f;
      return uint16_t(sign | (std::bit_cast<uint32_t>(r) - 0x3f000000u));
    }
    uint32_t mant_odd = (ax >> 13) & 1u;
    ax += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
    return uint16_t(sign | (ax >> 13));
  }
  NB_HOST_DEVICE static float to_float(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {
      float m = float(mant) * (1.0f / 16777216.0f);  // mant * 2^-24
      return sign ? -m : m;
    }
    return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
  }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  constexpr static BFloat16 from_bits(uint16_t b) { BFloat16 h; h.bits = b; return h; }
  NB_HOST_DEVICE BFloat16(float f) : bits(from_float(f)) {}
  NB_HOST_DEVICE operator float() const { return to_float(bits); }

  NB_HOST_DEVICE static uint16_t from_float(float f) {
    uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40u);  // quiet NaN
    x += 0x7fffu + ((x >> 16) & 1u);  // round to nearest even
    return uint16_t(x >> 16);
  }
  NB_HOST_DEVICE static float to_float(uint16_t b) { return std::bit_cast<float>(uint32_t(b) << 16); }
};

}  // namespace nabla
