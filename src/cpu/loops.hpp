#pragma once
// Note [Element-wise loops]
// An element-wise kernel is one functor, written once; cpu_kernel runs it over an output and
// inputs that broadcast to the output's shape, with any strides. The geometry is reduced first
// (broadcast strides, then adjacent dims merged when every operand allows it), so most calls end
// in a single inner loop. The inner loop has a contiguous fast path the compiler vectorises, a
// path for a broadcast scalar operand, and a strided fallback. Large outputs are split across the
// OpenMP threads; each element is computed independently, so results never depend on the
// thread count. Inputs must already have the functor's argument type (the ops layer converts).
#include <array>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cpu/parallel.hpp"
#include "nabla/core/tensor_impl.hpp"
#include "core/promotion.hpp"

namespace nabla::cpu {

template <int N>  // N operands, operand 0 is the output
struct LoopGeometry {
  DimVector sizes;                      // innermost dim last
  std::array<DimVector, N> strides;     // in bytes
  std::array<char*, N> data;
  int64_t numel = 1;

  LoopGeometry(const TensorImpl& out, std::array<const TensorImpl*, N - 1> inputs) : sizes(out.sizes()) {
    data[0] = static_cast<char*>(out.data());
    strides[0] = DimVector(out.sizes().size());
    for (size_t d = 0; d < sizes.size(); ++d) strides[0][d] = out.strides()[d] * int64_t(itemsize(out.dtype()));
    for (int k = 1; k < N; ++k) {
      const TensorImpl& in = *inputs[k - 1];
      data[k] = static_cast<char*>(in.data());
      strides[k] = broadcast_strides(in.sizes(), in.strides(), out.sizes());
      for (auto& s : strides[k]) s *= int64_t(itemsize(in.dtype()));
    }
    coalesce();
    numel = numel_of(sizes);
  }

  // Merges dim d-1 into d when, for every operand, stepping d-1 once equals stepping d fully.
  void coalesce() {
    DimVector s;
    std::array<DimVector, N> st;
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (sizes[d] == 1) continue;
      bool merge = !s.empty();
      for (int k = 0; k < N && merge; ++k) merge = st[k].back() == strides[k][d] * sizes[d];
      if (merge) {
        s[s.size() - 1] *= sizes[d];
        for (int k = 0; k < N; ++k) st[k][st[k].size() - 1] = strides[k][d];
      } else {
        s.push_back(sizes[d]);
        for (int k = 0; k < N; ++k) st[k].push_back(strides[k][d]);
      }
    }
    if (s.empty()) {
      s.push_back(1);
      for (int k = 0; k < N; ++k) st[k].push_back(0);
    }
    sizes = std::move(s);
    strides = std::move(st);
  }

  // Calls inner(ptrs, inner_strides, count) over linear elements [begin, end).
  template <typename Inner>
  void for_range(int64_t begin, int64_t end, const Inner& inner) const {
    const int64_t nd = int64_t(sizes.size());
    const int64_t inner_size = sizes[nd - 1];
    std::array<int64_t, N> inner_strides;
    for (int k = 0; k < N; ++k) inner_strides[k] = strides[k][nd - 1];
    DimVector idx(size_t(nd), 0);
    int64_t rem = begin;
    for (int64_t d = nd - 1; d >= 0; --d) {
      idx[d] = rem % sizes[d];
      rem /= sizes[d];
    }
    int64_t pos = begin;
    while (pos < end) {
      std::array<char*, N> ptrs;
      for (int k = 0; k < N; ++k) {
        char* p = data[k];
        for (int64_t d = 0; d < nd; ++d) p += idx[d] * strides[k][d];
        ptrs[k] = p;
      }
      int64_t count = inner_size - idx[nd - 1];
      if (count > end - pos) count = end - pos;
      inner(ptrs, inner_strides, count);
      pos += count;
      idx[nd - 1] += count;
      for (int64_t d = nd - 1; d > 0 && idx[d] == sizes[d]; --d) {
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  }

  template <typename Inner>
  void run(const Inner& inner, int64_t grain = kGrainSize) const {
    parallel_for(numel, grain, [&](int64_t b, int64_t e) { for_range(b, e, inner); });
  }
};

template <typename T> inline T load(const char* p) { return *reinterpret_cast<const T*>(p); }
template <typename T> inline void store(char* p, T v) { *reinterpret_cast<T*>(p) = v; }

template <typename Out, typename... Ins, typename F, size_t... I>
inline void inner_loop(const std::array<char*, 1 + sizeof...(Ins)>& ptrs,
                       const std::array<int64_t, 1 + sizeof...(Ins)>& st, int64_t n, const F& f_shared,
                       std::index_sequence<I...>) {
  // A local copy of the functor: its captured values could otherwise alias the output, and the
  // compiler would reload them after every store instead of vectorising the loop.
  const F f = f_shared;
  bool out_contig = st[0] == int64_t(sizeof(Out));
  bool all_contig = out_contig && ((st[I + 1] == int64_t(sizeof(Ins))) && ...);
  Out* o = reinterpret_cast<Out*>(ptrs[0]);
  if (all_contig) {
    std::tuple<const Ins*...> in{reinterpret_cast<const Ins*>(ptrs[I + 1])...};
    for (int64_t i = 0; i < n; ++i) o[i] = f(std::get<I>(in)[i]...);
    return;
  }
  if constexpr (sizeof...(Ins) == 2) {
    using A = std::tuple_element_t<0, std::tuple<Ins...>>;
    using B = std::tuple_element_t<1, std::tuple<Ins...>>;
    if (out_contig && st[1] == int64_t(sizeof(A)) && st[2] == 0) {
      const A* a = reinterpret_cast<const A*>(ptrs[1]);
      const B b = load<B>(ptrs[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b);
      return;
    }
    if (out_contig && st[1] == 0 && st[2] == int64_t(sizeof(B))) {
      const A a = load<A>(ptrs[1]);
      const B* b = reinterpret_cast<const B*>(ptrs[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(a, b[i]);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    store<Out>(ptrs[0] + i * st[0], f(load<Ins>(ptrs[I + 1] + i * st[I + 1])...));
}

// out[i] = f(in0[i], ...) for Out f(Ins...).
template <typename Out, typename... Ins, typename F>
void cpu_kernel(TensorImpl& out, std::array<const TensorImpl*, sizeof...(Ins)> inputs, const F& f) {
  constexpr int N = 1 + int(sizeof...(Ins));
  // The common cases skip the geometry: operands laid out like the output, or single values (a scalar
  // operand, a 0-d tensor) read with stride 0; one linear loop.
  std::array<int64_t, N> st{int64_t(sizeof(Out)), int64_t(sizeof(Ins))...};
  bool flat = out.is_contiguous();
  for (int k = 1; k < N && flat; ++k) {
    const TensorImpl& in = *inputs[k - 1];
    if (in.numel() == 1) st[k] = 0;
    else flat = in.is_contiguous() && in.sizes() == out.sizes();
  }
  if (flat) {
    parallel_for(out.numel(), kGrainSize, [&](int64_t b, int64_t e) {
      std::array<char*, N> ptrs;
      ptrs[0] = static_cast<char*>(out.data()) + b * st[0];
      for (int k = 1; k < N; ++k) ptrs[k] = static_cast<char*>(inputs[k - 1]->data()) + b * st[k];
      inner_loop<Out, Ins...>(ptrs, st, e - b, f, std::make_index_sequence<N - 1>{});
    });
    return;
  }
  LoopGeometry<N> geo(out, inputs);
  geo.run([&](const std::array<char*, N>& ptrs, const std::array<int64_t, N>& st, int64_t n) {
    inner_loop<Out, Ins...>(ptrs, st, n, f, std::make_index_sequence<N - 1>{});
  });
}

}  // namespace nabla::cpu
