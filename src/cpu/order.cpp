// sort, topk and unique on the CPU.
//
// Each 1-D slice is gathered into a buffer of (key, index) pairs, ordered with PyTorch's
// comparators (NaN above every number) and scattered back. Without `stable`, slices shorter than
// kLargeSlice use std::sort on the pairs in their original order, as PyTorch's CPU sort does, so
// even the order of ties matches it; topk replays PyTorch's partial_sort/nth_element steps for the
// same reason. Longer slices, and stable sorts, break ties by index: that order is unique, so a
// long slice can be sorted by several threads and still give the same answer on any thread count.
#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>
#include <vector>

#include "core/kernels/order.hpp"
#include "cpu/parallel.hpp"

namespace nabla {
namespace cpu {
namespace {

constexpr int64_t kLargeSlice = int64_t(1) << 16;

template <typename K>
constexpr bool is_nan(K v) {
  if constexpr (std::is_floating_point_v<K>) return v != v;
  else return false;
}

template <typename K>
struct Less {
  bool operator()(K a, K b) const { return (!is_nan(a) && is_nan(b)) || a < b; }
};
template <typename K>
struct Greater {
  bool operator()(K a, K b) const { return (is_nan(a) && !is_nan(b)) || a > b; }
};

template <typename K>
struct Keyed {
  K key;
  int64_t index;
};

// Orders Keyed entries by key; with kTieBreak, equal keys by index (a strict total order).
template <typename K, typename Cmp, bool kTieBreak>
struct ByKey {
  bool operator()(const Keyed<K>& a, const Keyed<K>& b) const {
    Cmp cmp;
    if constexpr (kTieBreak) return cmp(a.key, b.key) || (!cmp(b.key, a.key) && a.index < b.index);
    else return cmp(a.key, b.key);
  }
};

// Calls fn(comparator) with the ByKey instantiation for the requested direction and tie rule.
template <typename K, typename Fn>
void with_comparator(bool descending, bool tie_break, const Fn& fn) {
  if (descending) {
    if (tie_break) fn(ByKey<K, Greater<K>, true>{});
    else fn(ByKey<K, Greater<K>, false>{});
  } else {
    if (tie_break) fn(ByKey<K, Less<K>, true>{});
    else fn(ByKey<K, Less<K>, false>{});
  }
}

// Element offsets of the 1-D slices of a tensor along `dim`, numbered in row-major order of the
// other dims, so that the same number names corresponding slices of input and outputs.
class Slices {
 public:
  Slices(const TensorImpl& t, int64_t dim) : step_(t.strides()[dim]) {
    for (int64_t d = 0; d < t.dim(); ++d) {
      if (d == dim) continue;
      sizes_.push_back(t.sizes()[d]);
      strides_.push_back(t.strides()[d]);
    }
  }
  int64_t offset(int64_t slice) const {
    int64_t off = 0;
    for (size_t d = sizes_.size(); d-- > 0;) {
      off += (slice % sizes_[d]) * strides_[d];
      slice /= sizes_[d];
    }
    return off;
  }
  int64_t step() const { return step_; }

 private:
  DimVector sizes_, strides_;
  int64_t step_;
};

// Reads slice `s` of x into buf as (key, position) pairs, and writes the first `len` pairs of buf
// back as values and indices.
template <typename T>
class SliceIO {
 public:
  using K = opmath_t<T>;
  SliceIO(const TensorImpl& x, TensorImpl& values, TensorImpl& indices, int64_t dim)
      : in_(x, dim), values_(values, dim), indices_(indices, dim), src_(x.data_as<const T>()),
        values_data_(values.data_as<T>()), indices_data_(indices.data_as<int64_t>()) {}

  void load(int64_t s, int64_t n, Keyed<K>* buf) const {
    const T* p = src_ + in_.offset(s);
    const int64_t step = in_.step();
    for (int64_t j = 0; j < n; ++j) buf[j] = {K(p[j * step]), j};
  }
  void store(int64_t s, int64_t len, const Keyed<K>* buf) const {
    T* v = values_data_ + values_.offset(s);
    int64_t* i = indices_data_ + indices_.offset(s);
    const int64_t vs = values_.step(), is = indices_.step();
    for (int64_t j = 0; j < len; ++j) {
      v[j * vs] = T(buf[j].key);
      i[j * is] = buf[j].index;
    }
  }

 private:
  Slices in_, values_, indices_;
  const T* src_;
  T* values_data_;
  int64_t* indices_data_;
};

// Sorts data[0, n) with a strict total order `cmp` on all threads: chunks sorted in parallel, then
// merged pairwise through `scratch`. Because cmp has no ties, the result does not depend on the
// chunking.
template <typename E, typename Cmp>
void parallel_sort(E* data, E* scratch, int64_t n, const Cmp& cmp) {
  const int64_t chunks = std::min<int64_t>(omp_get_max_threads(), n / 4096);
  if (chunks <= 1 || omp_in_parallel()) {
    std::sort(data, data + n, cmp);
    return;
  }
  auto bound = [&](int64_t c) { return std::min(c, chunks) * n / chunks; };
  parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) std::sort(data + bound(c), data + bound(c + 1), cmp);
  });
  E *src = data, *dst = scratch;
  for (int64_t width = 1; width < chunks; width *= 2) {
    const int64_t pairs = (chunks + 2 * width - 1) / (2 * width);
    parallel_for(pairs, 1, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        int64_t lo = bound(2 * p * width), mid = bound((2 * p + 1) * width), hi = bound((2 * p + 2) * width);
        std::merge(src + lo, src + mid, src + mid, src + hi, dst + lo, cmp);
      }
    });
    std::swap(src, dst);
  }
  if (src != data) std::copy(src, src + n, data);
}

template <typename T>
void sort_typed(const TensorImpl& x, int64_t dim, bool descending, bool stable, TensorImpl& values,
                TensorImpl& indices) {
  using K = opmath_t<T>;
  const int64_t n = x.sizes()[dim];
  const int64_t count = x.numel() / n;
  const SliceIO<T> io(x, values, indices, dim);
  with_comparator<K>(descending, stable || n >= kLargeSlice, [&](auto cmp) {
    if (n >= kLargeSlice && count < omp_get_max_threads()) {
      std::vector<Keyed<K>> buf(static_cast<size_t>(n)), scratch(static_cast<size_t>(n));
      for (int64_t s = 0; s < count; ++s) {
        io.load(s, n, buf.data());
        parallel_sort(buf.data(), scratch.data(), n, cmp);
        io.store(s, n, buf.data());
      }
      return;
    }
    parallel_for(count, std::max<int64_t>(1, kGrainSize / n), [&](int64_t b, int64_t e) {
      std::vector<Keyed<K>> buf(static_cast<size_t>(n));
      for (int64_t s = b; s < e; ++s) {
        io.load(s, n, buf.data());
        std::sort(buf.begin(), buf.end(), cmp);
        io.store(s, n, buf.data());
      }
    });
  });
}

void sort(const TensorImpl& x, int64_t dim, bool descending, bool stable, TensorImpl& values, TensorImpl& indices) {
  if (x.numel() == 0) return;
  visit_dtype(x.dtype(), [&](auto tag) {
    sort_typed<typename decltype(tag)::type>(x, dim, descending, stable, values, indices);
  });
}

template <typename T>
void topk_typed(const TensorImpl& x, int64_t dim, int64_t k, bool largest, bool sorted, TensorImpl& values,
                TensorImpl& indices) {
  using K = opmath_t<T>;
  const int64_t n = x.sizes()[dim];
  const int64_t count = x.numel() / n;
  const SliceIO<T> io(x, values, indices, dim);
  with_comparator<K>(largest, false, [&](auto cmp) {
    parallel_for(count, std::max<int64_t>(1, kGrainSize / n), [&](int64_t b, int64_t e) {
      std::vector<Keyed<K>> queue(static_cast<size_t>(n));
      Keyed<K>* q = queue.data();
      for (int64_t s = b; s < e; ++s) {
        io.load(s, n, q);
        // PyTorch's steps exactly, so that ties are picked and ordered as it does.
        if (k * 64 <= n) {
          std::partial_sort(q, q + k, q + n, cmp);
        } else {
          std::nth_element(q, q + k - 1, q + n, cmp);
          if (sorted) std::sort(q, q + k - 1, cmp);
        }
        io.store(s, k, q);
      }
    });
  });
}

void topk(const TensorImpl& x, int64_t dim, int64_t k, bool largest, bool sorted, TensorImpl& values,
          TensorImpl& indices) {
  if (x.numel() == 0 || k == 0) return;
  visit_dtype(x.dtype(), [&](auto tag) {
    topk_typed<typename decltype(tag)::type>(x, dim, k, largest, sorted, values, indices);
  });
}

// One-byte types: a histogram over the 256 possible values, in chunks fixed by the size alone.
template <typename T>
int64_t unique_by_histogram(const T* p, int64_t n, T* values, int64_t* inverse, int64_t* counts) {
  // Bucket b holds the value whose rank among all 256 values is b (int8 is offset by 128).
  auto bucket = [](T v) { return std::is_signed_v<T> ? int(v) + 128 : int(uint8_t(v)); };
  constexpr int64_t kChunk = int64_t(1) << 18;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<std::array<int64_t, 256>> partial(static_cast<size_t>(chunks));
  parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      auto& h = partial[size_t(c)];
      h.fill(0);
      for (int64_t i = c * kChunk, end = std::min(n, i + kChunk); i < end; ++i) ++h[size_t(bucket(p[i]))];
    }
  });
  std::array<int64_t, 256> rank{};
  int64_t u = 0;
  for (int b = 0; b < 256; ++b) {
    int64_t total = 0;
    for (const auto& h : partial) total += h[size_t(b)];
    if (total == 0) continue;
    rank[size_t(b)] = u;
    values[u] = std::is_same_v<T, bool> ? T(b != 0) : T(std::is_signed_v<T> ? b - 128 : b);
    if (counts) counts[u] = total;
    ++u;
  }
  if (inverse) {
    parallel_for(n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) inverse[i] = rank[size_t(bucket(p[i]))];
    });
  }
  return u;
}

template <typename T>
int64_t unique_by_sort(const T* p, int64_t n, T* values, int64_t* inverse, int64_t* counts) {
  using K = opmath_t<T>;
  std::vector<K> keys(p, p + n);
  std::sort(keys.begin(), keys.end(), Less<K>());
  // Compacts runs of equal keys to the front; `==` keeps every NaN apart, as PyTorch does.
  int64_t u = 0;
  for (int64_t i = 0; i < n;) {
    int64_t j = i + 1;
    while (j < n && keys[size_t(j)] == keys[size_t(i)]) ++j;
    keys[size_t(u)] = keys[size_t(i)];
    values[u] = T(keys[size_t(i)]);
    if (counts) counts[u] = j - i;
    ++u;
    i = j;
  }
  if (inverse) {
    const K* first = keys.data();
    parallel_for(n, kGrainSize / 8, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) inverse[i] = std::lower_bound(first, first + u, K(p[i]), Less<K>()) - first;
    });
  }
  return u;
}

// Data with few distinct values: one pass through an open-addressing hash table, then only the
// distinct values are sorted. Gives up (nullopt) past kMaxHashed distinct values, where sorting
// everything is the faster way.
constexpr int64_t kMaxHashed = int64_t(1) << 16;

template <typename T>
std::optional<int64_t> unique_by_hash(const T* p, int64_t n, T* values, int64_t* inverse, int64_t* counts) {
  using K = opmath_t<T>;
  using Bits = std::conditional_t<sizeof(K) == 4, uint32_t, uint64_t>;
  // Equal values hash alike: -0.0 is folded into 0.0 (NaNs are kept out of the table).
  auto bits_of = [](T v) -> Bits {
    K k = K(v);
    if constexpr (std::is_floating_point_v<K>) {
      if (k == K(0)) k = K(0);
      return std::bit_cast<Bits>(k);
    } else {
      return Bits(k);
    }
  };
  const int64_t limit = std::min(n, kMaxHashed);
  const int shift = 64 - std::bit_width(uint64_t(2 * limit - 1));
  const uint64_t mask = (uint64_t(1) << (64 - shift)) - 1;
  auto home = [shift](Bits b) { return (uint64_t(b) * 0x9E3779B97F4A7C15ull) >> shift; };
  std::vector<Bits> slot_bits(mask + 1);
  std::vector<int32_t> slot_id(mask + 1, -1);
  std::vector<T> distinct;
  std::vector<int64_t> distinct_count;
  int64_t nans = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (is_nan(K(p[i]))) {
      ++nans;
      continue;
    }
    const Bits b = bits_of(p[i]);
    uint64_t h = home(b);
    while (slot_id[h] >= 0 && slot_bits[h] != b) h = (h + 1) & mask;
    if (slot_id[h] >= 0) {
      ++distinct_count[size_t(slot_id[h])];
      continue;
    }
    if (int64_t(distinct.size()) == limit) return std::nullopt;
    slot_bits[h] = b;
    slot_id[h] = int32_t(distinct.size());
    distinct.push_back(p[i]);
    distinct_count.push_back(1);
  }
  const int64_t d = int64_t(distinct.size());
  std::vector<int32_t> order(static_cast<size_t>(d)), rank(static_cast<size_t>(d));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return K(distinct[size_t(a)]) < K(distinct[size_t(b)]); });
  for (int64_t r = 0; r < d; ++r) {
    rank[size_t(order[size_t(r)])] = int32_t(r);
    values[r] = distinct[size_t(order[size_t(r)])];
    if (counts) counts[r] = distinct_count[size_t(order[size_t(r)])];
  }
  // Every NaN is a value of its own, after all numbers (as the sort path leaves them).
  for (int64_t j = 0; j < nans; ++j) {
    values[d + j] = T(std::numeric_limits<K>::quiet_NaN());
    if (counts) counts[d + j] = 1;
  }
  if (inverse) {
    parallel_for(n, kGrainSize / 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (is_nan(K(p[i]))) {
          inverse[i] = d;
          continue;
        }
        const Bits bits = bits_of(p[i]);
        uint64_t h = home(bits);
        while (slot_bits[h] != bits || slot_id[h] < 0) h = (h + 1) & mask;
        inverse[i] = rank[size_t(slot_id[h])];
      }
    });
  }
  return d + nans;
}

int64_t unique(const TensorImpl& x, TensorImpl& values, TensorImpl* inverse, TensorImpl* counts) {
  return visit_dtype(x.dtype(), [&](auto tag) -> int64_t {
    using T = typename decltype(tag)::type;
    int64_t* inv = inverse ? inverse->data_as<int64_t>() : nullptr;
    int64_t* cnt = counts ? counts->data_as<int64_t>() : nullptr;
    if constexpr (sizeof(T) == 1) return unique_by_histogram<T>(x.data_as<const T>(), x.numel(), values.data_as<T>(), inv, cnt);
    else {
      const T* p = x.data_as<const T>();
      if (auto u = unique_by_hash<T>(p, x.numel(), values.data_as<T>(), inv, cnt)) return *u;
      return unique_by_sort<T>(p, x.numel(), values.data_as<T>(), inv, cnt);
    }
  });
}

}  // namespace
}  // namespace cpu

NB_REGISTER_KERNEL(sort_kernel, kCPU, cpu::sort);
NB_REGISTER_KERNEL(topk_kernel, kCPU, cpu::topk);
NB_REGISTER_KERNEL(unique_kernel, kCPU, cpu::unique);

}  // namespace nabla
