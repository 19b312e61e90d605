// The scan (cumsum/cumprod) and softmax kernels on the CPU: both walk lines along one dim
// (Note [Reduction kernels]). When another dim is closer together in memory than the scanned one
// (a scan over dim 0 of a row-major matrix), a tile of adjacent lines is walked at once so the
// inner loop runs over contiguous memory; otherwise each line is walked alone. Every output
// element is computed by exactly one thread, in line order, so results never depend on the
// thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/check.hpp"
#include "core/float_traits.hpp"
#include "core/kernels/reduce.hpp"
#include "cpu/fold.hpp"
#include "cpu/parallel.hpp"

namespace nabla {
namespace cpu {
namespace {

constexpr int64_t kTile = 64;  // adjacent lines walked together

struct LineGeometry {
  int64_t len, in_step, out_step;            // along the scanned dim
  DimVector sizes, in_strides, out_strides;  // the other dims, outermost first
  int64_t width = 1, lane_in = 0, lane_out = 0;  // the lane dim (width 1: lines walked alone)

  LineGeometry(const TensorImpl& in, const TensorImpl& out, int64_t dim)
      : len(in.sizes()[dim]), in_step(in.strides()[dim]), out_step(out.strides()[dim]) {
    for (int64_t d = 0; d < in.dim(); ++d) {
      if (d == dim || in.sizes()[d] == 1) continue;
      // Insertion by decreasing |input stride| keeps the walk close to memory order.
      size_t at = sizes.size();
      sizes.push_back(0);
      in_strides.push_back(0);
      out_strides.push_back(0);
      for (; at > 0 && std::abs(in_strides[at - 1]) < std::abs(in.strides()[d]); --at) {
        sizes[at] = sizes[at - 1];
        in_strides[at] = in_strides[at - 1];
        out_strides[at] = out_strides[at - 1];
      }
      sizes[at] = in.sizes()[d];
      in_strides[at] = in.strides()[d];
      out_strides[at] = out.strides()[d];
    }
    if (!sizes.empty() && std::abs(in_strides.back()) < std::abs(in_step)) {
      width = sizes.back();
      lane_in = in_strides.back();
      lane_out = out_strides.back();
      sizes.resize(sizes.size() - 1);
      in_strides.resize(in_strides.size() - 1);
      out_strides.resize(out_strides.size() - 1);
    }
  }

  // Calls fn(in_offset, out_offset, lanes) for every tile of lines, in parallel.
  template <typename Fn>
  void for_each_tile(const Fn& fn) const {
    int64_t outer = 1;
    for (int64_t n : sizes) outer *= n;
    const int64_t tiles_per_row = (width + kTile - 1) / kTile;
    const int64_t work = std::max<int64_t>(1, len * std::min(width, kTile));
    parallel_for(outer * tiles_per_row, std::max<int64_t>(1, kGrainSize / work), [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        int64_t rem = u / tiles_per_row, in_off = 0, out_off = 0;
        for (size_t d = sizes.size(); d-- > 0;) {
          const int64_t i = rem % sizes[d];
          rem /= sizes[d];
          in_off += i * in_strides[d];
          out_off += i * out_strides[d];
        }
        const int64_t lane0 = u % tiles_per_row * kTile;
        fn(in_off + lane0 * lane_in, out_off + lane0 * lane_out, std::min(kTile, width - lane0));
      }
    });
  }
};

// ---- scans

// PyTorch's CPU scans accumulate in double for float (at::acc_type), in float for the 16-bit floats.
template <typename T>
using ScanAcc = std::conditional_t<std::is_integral_v<T>, uint64_t,
                                   std::conditional_t<std::is_same_v<T, double> || std::is_same_v<T, float>, double, float>>;
template <typename T>
using ScanOut = std::conditional_t<std::is_integral_v<T>, int64_t, T>;

template <typename T, bool kProd>
void scan_typed(const TensorImpl& in, TensorImpl& out, const LineGeometry& g) {
  using Acc = ScanAcc<T>;
  using Out = ScanOut<T>;
  NB_CHECK(out.dtype() == dtype_v<Out>, RuntimeError, "scan: internal error: output dtype ", dtype_name(out.dtype()));
  const T* x = in.data_as<T>();
  Out* y = out.data_as<Out>();
  auto lift = [](T v) {
    if constexpr (std::is_integral_v<T>) return Acc(int64_t(v));
    else return Acc(v);
  };
  auto step = [](Acc a, Acc v) { return kProd ? a * v : a + v; };
  g.for_each_tile([&](int64_t in_off, int64_t out_off, int64_t lanes) {
    if (lanes == 1) {  // a line alone: one running value, no lane loop
      Acc a = Acc(kProd ? 1 : 0);
      for (int64_t i = 0; i < g.len; ++i) {
        a = step(a, lift(x[in_off + i * g.in_step]));
        y[out_off + i * g.out_step] = Out(a);
      }
      return;
    }
    Acc acc[kTile];
    std::fill(acc, acc + lanes, Acc(kProd ? 1 : 0));
    for (int64_t i = 0; i < g.len; ++i) {
      const T* xi = x + in_off + i * g.in_step;
      Out* yi = y + out_off + i * g.out_step;
      for (int64_t t = 0; t < lanes; ++t) {
        acc[t] = step(acc[t], lift(xi[t * g.lane_in]));
        yi[t * g.lane_out] = Out(acc[t]);
      }
    }
  });
}

void scan(ScanOp op, const TensorImpl& in, TensorImpl& out, int64_t dim) {
  if (out.numel() == 0) return;
  const LineGeometry g(in, out, dim);
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (op == ScanOp::kSum) scan_typed<T, false>(in, out, g);
    else scan_typed<T, true>(in, out, g);
  });
}

// ---- softmax

// One contiguous line of float/double: vectorised max, exp (kept in the output), sum, scale.
template <typename T>
void softmax_line(const T* x, T* y, int64_t n, bool log) {
  const T m = fold_lanes(-std::numeric_limits<T>::infinity(), n, [&](int64_t i) { return x[i]; }, nan_max<T>);
  exp_shifted(x, m, y, n);
  const T sum = fold_lanes(T(0), n, [&](int64_t i) { return y[i]; }, [](T a, T b) { return a + b; });
  if (log) {
    // (x - max) - log(sum), in that order: x - (max + log(sum)) would round away the digits of
    // large logits.
    const T log_sum = std::log(sum);
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - log_sum;
  } else {
    const T scale = T(1) / sum;
    for (int64_t i = 0; i < n; ++i) y[i] *= scale;
  }
}

template <typename T>
void softmax_typed(const TensorImpl& in, TensorImpl& out, const LineGeometry& g, bool log) {
  using V = opmath_t<T>;
  const T* x = in.data_as<T>();
  T* y = out.data_as<T>();
  if constexpr (std::is_same_v<T, V>) {
    if (g.width == 1 && g.in_step == 1 && g.out_step == 1) {
      g.for_each_tile([&](int64_t in_off, int64_t out_off, int64_t) { softmax_line(x + in_off, y + out_off, g.len, log); });
      return;
    }
  }
  g.for_each_tile([&](int64_t in_off, int64_t out_off, int64_t lanes) {
    V max[kTile], sum[kTile];
    std::fill(max, max + lanes, -std::numeric_limits<V>::infinity());
    std::fill(sum, sum + lanes, V(0));
    auto at = [&](int64_t i, int64_t t) { return V(x[in_off + i * g.in_step + t * g.lane_in]); };
    for (int64_t i = 0; i < g.len; ++i)
      for (int64_t t = 0; t < lanes; ++t) max[t] = nan_max(max[t], at(i, t));
    auto out_at = [&](int64_t i, int64_t t) -> T& { return y[out_off + i * g.out_step + t * g.lane_out]; };
    // Full-precision outputs hold exp(x - max) between the passes; 16-bit ones recompute it.
    constexpr bool kKeepExp = std::is_same_v<T, V>;
    for (int64_t i = 0; i < g.len; ++i)
      for (int64_t t = 0; t < lanes; ++t) {
        const V e = math::exp(at(i, t) - max[t]);
        sum[t] += e;
        if (kKeepExp && !log) out_at(i, t) = e;
      }
    if (log) {
      for (int64_t t = 0; t < lanes; ++t) sum[t] = std::log(sum[t]);
      for (int64_t i = 0; i < g.len; ++i)
        for (int64_t t = 0; t < lanes; ++t) out_at(i, t) = T((at(i, t) - max[t]) - sum[t]);
    } else {
      for (int64_t t = 0; t < lanes; ++t) sum[t] = V(1) / sum[t];
      for (int64_t i = 0; i < g.len; ++i)
        for (int64_t t = 0; t < lanes; ++t)
          out_at(i, t) = T((kKeepExp ? V(out_at(i, t)) : math::exp(at(i, t) - max[t])) * sum[t]);
    }
  });
}

void softmax(const TensorImpl& in, TensorImpl& out, int64_t dim, bool log) {
  if (out.numel() == 0) return;
  const LineGeometry g(in, out, dim);
  visit_floating_dtype(in.dtype(), "softmax", [&](auto tag) { softmax_typed<typename decltype(tag)::type>(in, out, g, log); });
}

}  // namespace
}  // namespace cpu

NB_REGISTER_KERNEL(scan_kernel, kCPU, cpu::scan);
NB_REGISTER_KERNEL(softmax_kernel, kCPU, cpu::softmax);

}  // namespace nabla
