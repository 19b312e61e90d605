// Copy with conversion, fill and where on the CPU.
#include <cstring>

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

void where(const TensorImpl& cond, const TensorImpl& a, const TensorImpl& b, TensorImpl& out) {
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu_kernel<T, bool, T, T>(out, {&cond, &a, &b}, [](bool c, T x, T y) { return c ? x : y; });
  });
}

}  // namespace
}  // namespace cpu

NB_REGISTER_KERNEL(copy_kernel, kCPU, cpu::copy);
NB_REGISTER_KERNEL(fill_kernel, kCPU, cpu::fill);
NB_REGISTER_KERNEL(where_kernel, kCPU, cpu::where);

}  // namespace nabla
