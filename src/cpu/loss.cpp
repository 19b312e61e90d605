// The fused cross-entropy kernels on the CPU (Note [Fused cross-entropy]). Rows are split among the
// threads; each row is computed by one thread alone, so results never depend on the thread count.
// A row is first brought into a scratch line in opmath, which the vectorised max, exp and sums read.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/float_traits.hpp"
#include "core/kernels/loss_math.hpp"
#include "cpu/fold.hpp"
#include "cpu/parallel.hpp"

namespace nabla {
namespace cpu {
namespace {

template <typename T>
struct RowsView {
  using V = opmath_t<T>;
  const T* logits;
  const int64_t* target;
  const T* weight;
  int64_t rows, classes, ignore_index;
  CrossEntropyRowMath<V> math;

  explicit RowsView(const CrossEntropyRows& in)
      : logits(in.logits->data_as<T>()),
        target(in.target->data_as<int64_t>()),
        weight(in.weight ? in.weight->data_as<T>() : nullptr),
        rows(in.logits->sizes()[0]),
        classes(in.logits->sizes()[1]),
        ignore_index(in.ignore_index),
        math(in.label_smoothing, classes,
             in.weight ? *in.weight_total->data_as<V>() : V(classes)) {}

  V weight_of(int64_t j) const { return weight ? V(weight[j]) : V(1); }

  // Calls fn(r, x, line) for every row r: x is the row in opmath (a converted copy for 16-bit floats),
  // line is room for `classes` values that the call may overwrite.
  template <typename Fn>
  void for_each_row(const Fn& fn) const {
    parallel_for(rows, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(classes, 1)), [&](int64_t begin, int64_t end) {
      std::vector<V> line(static_cast<size_t>(classes));
      std::vector<V> scratch(std::is_same_v<T, V> ? 0 : static_cast<size_t>(classes));
      for (int64_t r = begin; r < end; ++r) {
        const T* row = logits + r * classes;
        if constexpr (std::is_same_v<T, V>) {
          fn(r, row, line.data());
        } else {
          std::transform(row, row + classes, scratch.begin(), [](T v) { return V(v); });
          fn(r, static_cast<const V*>(scratch.data()), line.data());
        }
      }
    });
  }
};

template <typename T>
void forward_typed(const CrossEntropyRows& in, TensorImpl& loss, TensorImpl& row_weight, TensorImpl& stats,
                   TensorImpl& bad_row) {
  using V = opmath_t<T>;
  const RowsView<T> v(in);
  for (int64_t r = 0; r < v.rows; ++r) {
    const int64_t t = v.target[r];
    if (t != v.ignore_index && (t < 0 || t >= v.classes)) {
      *bad_row.data_as<int64_t>() = r;
      return;
    }
  }
  T* out = loss.data_as<T>();
  T* out_weight = row_weight.data_as<T>();
  V* out_stats = stats.data_as<V>();
  v.for_each_row([&](int64_t r, const V* x, V* line) {
    const int64_t n = v.classes;
    const V max = fold_lanes(-std::numeric_limits<V>::infinity(), n, [&](int64_t i) { return x[i]; }, nan_max<V>);
    exp_shifted(x, max, line, n);
    const V log_sum = std::log(fold_lanes(V(0), n, [&](int64_t i) { return line[i]; }, [](V a, V b) { return a + b; }));
    out_stats[r * kCrossEntropyStats] = max;
    out_stats[r * kCrossEntropyStats + 1] = log_sum;
    const int64_t t = v.target[r];
    if (t == v.ignore_index) {
      out[r] = T(0);
      out_weight[r] = T(0);
      return;
    }
    V weighted_shifted = 0;
    if (v.math.smoothing) {
      weighted_shifted = fold_lanes(V(0), n, [&](int64_t i) { return v.weight_of(i) * (x[i] - max); },
                                    [](V a, V b) { return a + b; });
    }
    const V w_t = v.weight_of(t);
    out[r] = T(v.math.loss(max, log_sum, x[t], w_t, weighted_shifted));
    out_weight[r] = T(w_t);
  });
}

template <typename T>
void backward_typed(const CrossEntropyRows& in, const TensorImpl& stats, const TensorImpl& grad,
                    TensorImpl& grad_logits) {
  using V = opmath_t<T>;
  const RowsView<T> v(in);
  const V* row_stats = stats.data_as<V>();
  const T* g = grad.data_as<T>();
  const int64_t g_step = grad.numel() == 1 ? 0 : 1;
  T* dx = grad_logits.data_as<T>();
  v.for_each_row([&](int64_t r, const V* x, V* line) {
    const int64_t n = v.classes, t = v.target[r];
    T* out = dx + r * n;
    if (t == v.ignore_index) {
      std::fill(out, out + n, T(0));
      return;
    }
    // exp(logp_j), with logp_j = (x_j - max) - log_sum rounded as log_softmax rounds it.
    const V max = row_stats[r * kCrossEntropyStats], log_sum = row_stats[r * kCrossEntropyStats + 1];
    for (int64_t i = 0; i < n; ++i) line[i] = x[i] - max;
    exp_shifted(line, log_sum, line, n);
    const auto c = v.math.grad(V(g[r * g_step]), v.weight_of(t));
    for (int64_t i = 0; i < n; ++i) out[i] = T(c.scale * line[i] - c.per_weight * v.weight_of(i));
    out[t] = T(c.scale * line[t] - c.per_weight * v.weight_of(t) - c.at_target);
  });
}

void forward(const CrossEntropyRows& in, TensorImpl& loss, TensorImpl& row_weight, TensorImpl& stats,
             TensorImpl& bad_row) {
  visit_floating_dtype(in.logits->dtype(), "cross_entropy", [&](auto tag) {
    forward_typed<typename decltype(tag)::type>(in, loss, row_weight, stats, bad_row);
  });
}

void backward(const CrossEntropyRows& in, const TensorImpl& stats, const TensorImpl& grad, TensorImpl& grad_logits) {
  visit_floating_dtype(in.logits->dtype(), "cross_entropy backward", [&](auto tag) {
    backward_typed<typename decltype(tag)::type>(in, stats, grad, grad_logits);
  });
}

}  // namespace
}  // namespace cpu

NB_REGISTER_KERNEL(cross_entropy_forward_kernel, kCPU, cpu::forward);
NB_REGISTER_KERNEL(cross_entropy_backward_kernel, kCPU, cpu::backward);

}  // namespace nabla
