// Indexing kernels on the CPU: element offsets from index tensors, gather and put by offsets, nonzero.
#include <atomic>
#include <cstring>

#include "core/kernels/index.hpp"
#include "cpu/loops.hpp"

namespace nabla {

namespace cpu {
namespace {

std::optional<int64_t> index_offsets(TensorImpl& offsets, const TensorImpl& index, int64_t size, int64_t stride,
                                     bool wrap_negative) {
  const int64_t lo = wrap_negative ? -size : 0;
  LoopGeometry<2> geo(offsets, {&index});
  std::optional<int64_t> bad;
  visit_index_dtype(index.dtype(), [&](auto tag) {
    using I = typename decltype(tag)::type;
    std::atomic<bool> any_bad{false};
    geo.run([&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& st, int64_t n) {
      bool chunk_bad = false;
      for (int64_t i = 0; i < n; ++i) {
        int64_t v = load<I>(p[1] + i * st[1]);
        chunk_bad |= v < lo || v >= size;
        if (v < 0) v += size;
        *reinterpret_cast<int64_t*>(p[0] + i * st[0]) += v * stride;
      }
      if (chunk_bad) any_bad.store(true, std::memory_order_relaxed);
    });
    if (!any_bad.load()) return;
    // Error path: find the first offending index serially, so the message is deterministic.
    geo.for_range(0, geo.numel, [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& st, int64_t n) {
      for (int64_t i = 0; i < n && !bad; ++i) {
        int64_t v = load<I>(p[1] + i * st[1]);
        if (v < lo || v >= size) bad = v;
      }
    });
  });
  return bad;
}

void index(TensorImpl& out, const TensorImpl& src, const TensorImpl& offsets) {
  LoopGeometry<3> geo(out, {&src, &offsets});
  visit_itemsize(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr int64_t kSize = sizeof(T);
    geo.run([](const std::array<char*, 3>& p, const std::array<int64_t, 3>& st, int64_t n) {
      if (st[0] == kSize && st[1] == kSize && st[2] == 0) {  // a whole row at one offset
        std::memcpy(p[0], p[1] + load<int64_t>(p[2]) * kSize, size_t(n * kSize));
        return;
      }
      for (int64_t i = 0; i < n; ++i)
        store<T>(p[0] + i * st[0], load<T>(p[1] + i * st[1] + load<int64_t>(p[2] + i * st[2]) * kSize));
    });
  });
}

void index_put(TensorImpl& dst, const TensorImpl& offsets, const TensorImpl& values, bool accumulate) {
  LoopGeometry<3> geo(dst, {&offsets, &values});
  if (!accumulate) {
    visit_itemsize(dst.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      constexpr int64_t kSize = sizeof(T);
      geo.run([](const std::array<char*, 3>& p, const std::array<int64_t, 3>& st, int64_t n) {
        for (int64_t i = 0; i < n; ++i)
          store<T>(p[0] + i * st[0] + load<int64_t>(p[1] + i * st[1]) * kSize, load<T>(p[2] + i * st[2]));
      });
    });
    return;
  }
  // Several elements may add into one target: one thread, so sums do not depend on the thread count.
  visit_dtype(dst.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = opmath_t<T>;
    geo.for_range(0, geo.numel, [](const std::array<char*, 3>& p, const std::array<int64_t, 3>& st, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        T* target = reinterpret_cast<T*>(p[0] + i * st[0]) + load<int64_t>(p[1] + i * st[1]);
        *target = static_cast<T>(static_cast<Acc>(*target) + static_cast<Acc>(load<T>(p[2] + i * st[2])));
      }
    });
  });
}

template <typename T>
inline bool is_nonzero(T v) {
  return static_cast<opmath_t<T>>(v) != opmath_t<T>(0);
}

template <typename T>
int64_t count_range(const LoopGeometry<1>& geo, int64_t begin, int64_t end) {
  int64_t count = 0;
  geo.for_range(begin, end, [&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& st, int64_t n) {
    int64_t c = 0;
    if (st[0] == int64_t(sizeof(T))) {
      const T* x = reinterpret_cast<const T*>(p[0]);
      for (int64_t i = 0; i < n; ++i) c += is_nonzero(x[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) c += is_nonzero(load<T>(p[0] + i * st[0]));
    }
    count += c;
  });
  return count;
}

int64_t count_nonzero(const TensorImpl& x) {
  LoopGeometry<1> geo(x, {});
  std::atomic<int64_t> total{0};
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    parallel_for(x.numel(), kGrainSize, [&](int64_t b, int64_t e) { total += count_range<T>(geo, b, e); });
  });
  return total.load();
}

// Blocks of a fixed size, so the work split (and so the output) never depends on the thread count.
constexpr int64_t kNonzeroBlock = 1 << 16;

template <typename T>
void nonzero_typed(const TensorImpl& x, TensorImpl& out) {
  const int64_t numel = x.numel(), nd = x.dim();
  if (nd == 0) return;  // rows of no coordinates: nothing to write
  LoopGeometry<1> geo(x, {});
  const int64_t blocks = (numel + kNonzeroBlock - 1) / kNonzeroBlock;
  std::vector<int64_t> first_row(size_t(blocks), 0);
  // Where each block's rows start (the last block's count is not needed).
  parallel_for(blocks - 1, 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k)
      first_row[size_t(k) + 1] = count_range<T>(geo, k * kNonzeroBlock, (k + 1) * kNonzeroBlock);
  });
  for (int64_t k = 0; k + 1 < blocks; ++k) first_row[size_t(k) + 1] += first_row[size_t(k)];
  int64_t* rows = out.data_as<int64_t>();
  const DimVector& sizes = x.sizes();
  const DimVector& strides = x.strides();
  const T* base = x.data_as<T>();
  const int64_t last = nd - 1, row_size = sizes[size_t(last)], row_stride = strides[size_t(last)];
  parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
    DimVector coord(size_t(nd), 0);
    for (int64_t k = b; k < e; ++k) {
      const int64_t begin = k * kNonzeroBlock, end = std::min(numel, begin + kNonzeroBlock);
      int64_t rem = begin, offset = 0;
      for (int64_t d = last; d >= 0; --d) {
        coord[size_t(d)] = rem % sizes[size_t(d)];
        rem /= sizes[size_t(d)];
        offset += coord[size_t(d)] * strides[size_t(d)];
      }
      int64_t* row = rows + first_row[size_t(k)] * nd;
      // Runs along the last dim, then a carry into the outer coordinates.
      for (int64_t i = begin; i < end;) {
        const int64_t start = coord[size_t(last)], n = std::min(end - i, row_size - start);
        const T* p = base + offset;
        for (int64_t j = 0; j < n; ++j) {
          if (!is_nonzero(p[j * row_stride])) continue;
          for (int64_t d = 0; d < last; ++d) row[d] = coord[size_t(d)];
          row[last] = start + j;
          row += nd;
        }
        i += n;
        offset += n * row_stride;
        coord[size_t(last)] += n;
        for (int64_t d = last; d > 0 && coord[size_t(d)] == sizes[size_t(d)]; --d) {
          offset += strides[size_t(d - 1)] - sizes[size_t(d)] * strides[size_t(d)];
          coord[size_t(d)] = 0;
          ++coord[size_t(d - 1)];
        }
      }
    }
  });
}

void nonzero(const TensorImpl& x, TensorImpl& out) {
  if (x.numel() == 0) return;
  visit_dtype(x.dtype(), [&](auto tag) { nonzero_typed<typename decltype(tag)::type>(x, out); });
}

}  // namespace
}  // namespace cpu

NB_REGISTER_KERNEL(index_offsets_kernel, kCPU, cpu::index_offsets);
NB_REGISTER_KERNEL(index_kernel, kCPU, cpu::index);
NB_REGISTER_KERNEL(index_put_kernel, kCPU, cpu::index_put);
NB_REGISTER_KERNEL(count_nonzero_kernel, kCPU, cpu::count_nonzero);
NB_REGISTER_KERNEL(nonzero_kernel, kCPU, cpu::nonzero);

}  // namespace nabla
