// Copy with conversion, fill and where on the CPU.
#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/kernels/copy.hpp"
#include "nabla/core/convert.hpp"
#include "cpu/loops.hpp"

namespace nabla {

namespace cpu {
namespace {

void copy(const TensorImpl& src, TensorImpl& dst) {
  if (dst.numel() == 0) return;
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous() && src.sizes() == dst.sizes()) {
    size_t nbytes = size_t(dst.numel()) * itemsize(dst.dtype());
    char* d = static_cast<char*>(dst.data());
    const char* s = static_cast<const char*>(src.data());
    parallel_for(int64_t(nbytes), kGrainSize * 8, [&](int64_t b, int64_t e) { std::memcpy(d + b, s + b, size_t(e - b)); });
    return;
  }
  visit_dtype(dst.dtype(), [&](auto to_tag) {
    using To = typename decltype(to_tag)::type;
    visit_dtype(src.dtype(), [&](auto from_tag) {
      using From = typename decltype(from_tag)::type;
      cpu_kernel<To, From>(dst, {&src}, [](From v) { return convert<To, From>(v); });
    });
  });
}

void fill(TensorImpl& dst, const Scalar& value) {
  visit_dtype(dst.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = value.to<T>();
    if (dst.is_contiguous()) {
      T* p = dst.data_as<T>();
      parallel_for(dst.numel(), kGrainSize, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) p[i] = v;
      });
      return;
    }
    cpu_kernel<T>(dst, {}, [v]() { return v; });
  });
}

// c ? x : y as a bit select: without a branch, which a condition that follows the data (a ReLU's
// mask in its gradient) would mispredict every other element. The condition is read as the byte
// it is stored in: loops over bool do not vectorise, loops over uint8_t do.
template <typename T>
T select(uint8_t c, T x, T y) {
  using Bits = std::conditional_t<sizeof(T) == 1, uint8_t,
                                  std::conditional_t<sizeof(T) == 2, uint16_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
  static_assert(sizeof(Bits) == sizeof(T));
  const Bits mask = Bits(Bits(0) - Bits(c));
  return std::bit_cast<T>(Bits((std::bit_cast<Bits>(x) & mask) | (std::bit_cast<Bits>(y) & Bits(~mask))));
}

void where(const TensorImpl& cond, const TensorImpl& a, const TensorImpl& b, TensorImpl& out) {
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    // A single value on one side (where(mask, grad, 0)) is captured, so the loop has two operands
    // laid out like the output: the case the element-wise loop runs fastest.
    if (b.numel() == 1 && a.numel() != 1) {
      const T y = *static_cast<const T*>(b.data());
      cpu_kernel<T, uint8_t, T>(out, {&cond, &a}, [y](uint8_t c, T x) { return select(c, x, y); });
    } else if (a.numel() == 1 && b.numel() != 1) {
      const T x = *static_cast<const T*>(a.data());
      cpu_kernel<T, uint8_t, T>(out, {&cond, &b}, [x](uint8_t c, T y) { return select(c, x, y); });
    } else {
      cpu_kernel<T, uint8_t, T, T>(out, {&cond, &a, &b}, [](uint8_t c, T x, T y) { return select(c, x, y); });
    }
  });
}

}  // namespace
}  // namespace cpu

NB_REGISTER_KERNEL(copy_kernel, kCPU, cpu::copy);
NB_REGISTER_KERNEL(fill_kernel, kCPU, cpu::fill);
NB_REGISTER_KERNEL(where_kernel, kCPU, cpu::where);

}  // namespace nabla
