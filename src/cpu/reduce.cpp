// The reduce kernel on the CPU (Note [Reduction kernels]).
//
// Every op is a policy: identity, lift (one element -> accumulator), combine (earlier, later),
// finish (accumulator -> output), and optionally block (a run of up to kBlock elements at once).
// One driver runs every policy over any geometry:
//  - the input's dims are split into output dims and reduced dims, each sorted by memory stride
//    and coalesced, so a contiguous reduction over the last dims becomes one long run;
//  - inner path (the reduced elements of an output are nearest in memory): each output folds its
//    runs in blocks; block results go through a binary cascade (pairwise summation, as PyTorch's
//    cascade_sum) so float sums stay accurate;
//  - lane path (an output dim is innermost in memory, e.g. column sums): a tile of adjacent
//    outputs is updated row by row, vectorised across the tile, with the same cascade per lane;
//  - when there are few outputs, the reduced elements are cut into chunks whose size depends on
//    the shapes alone; chunk results are combined in order, so the thread count never changes a
//    result.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>

#include "core/check.hpp"
#include "core/kernels/reduce.hpp"
#include "cpu/fold.hpp"
#include "cpu/parallel.hpp"

namespace nabla {
namespace cpu {
namespace {

constexpr int64_t kBlock = 1024;      // elements folded by one block call before entering the cascade
constexpr int64_t kChunk = 1 << 16;   // reduced elements per work unit when outputs are few
constexpr int64_t kFewOutputs = 16;   // below this many output groups, the reduced elements are chunked
// Outputs per tile on the lane path: 1 KiB of accumulators, so a tile's row is many cache lines.
template <typename Acc>
constexpr int64_t kTile = std::max<int64_t>(8, 1024 / sizeof(Acc));
constexpr int64_t kRowBlock = 32;     // rows folded on the lane path before entering the cascade
constexpr int kCascadeLevels = 48;

template <typename T> constexpr bool kIsFloat = std::is_floating_point_v<opmath_t<T>>;

// ---------------------------------------------------------------------------------------------
// Geometry.

struct ReduceGeometry {
  // Output dims, outermost first: sizes and strides (elements) in the input, the output and the
  // index output.
  DimVector out_sizes, in_strides, out_strides, idx_strides;
  // Reduced dims, outermost first: sizes, input strides, and strides of the row-major index the
  // argmax/argmin ops report.
  DimVector red_sizes, red_strides, red_logical;
  int64_t num_outputs = 1, reduce_size = 1;

  ReduceGeometry(const TensorImpl& in, const TensorImpl* out, const TensorImpl* idx) {
    const TensorImpl& shape = out ? *out : *idx;
    const int64_t nd = in.dim();
    int64_t logical = 1;
    for (int64_t d = nd - 1; d >= 0; --d) {
      const int64_t n = in.sizes()[d];
      if (shape.sizes()[d] == 1 && n != 1) {
        red_sizes.push_back(n);
        red_strides.push_back(in.strides()[d]);
        red_logical.push_back(logical);
        logical *= n;
      }
    }
    std::reverse(red_sizes.begin(), red_sizes.end());
    std::reverse(red_strides.begin(), red_strides.end());
    std::reverse(red_logical.begin(), red_logical.end());
    for (int64_t d = 0; d < nd; ++d) {
      if (shape.sizes()[d] == 1) continue;
      out_sizes.push_back(shape.sizes()[d]);
      in_strides.push_back(in.strides()[d]);
      out_strides.push_back(out ? out->strides()[d] : 0);
      idx_strides.push_back(idx ? idx->strides()[d] : 0);
    }
    sort_and_coalesce(red_sizes, {&red_strides, &red_logical});
    sort_and_coalesce(out_sizes, {&in_strides, &out_strides, &idx_strides});
    if (red_sizes.empty()) {
      red_sizes.push_back(1);
      red_strides.push_back(0);
      red_logical.push_back(0);
    }
    for (int64_t n : out_sizes) num_outputs *= n;
    for (int64_t n : red_sizes) reduce_size *= n;
  }

  // The lane path pays when an output dim is closer together in memory than any reduced dim.
  bool lanes_innermost() const {
    return !out_sizes.empty() && reduce_size > 1 && std::abs(in_strides.back()) < std::abs(red_strides.back());
  }

 private:
  // Orders dims by decreasing |stride| of the first stride set (stable), then merges a dim into
  // its inner neighbour when every stride set steps through both as one dim.
  static void sort_and_coalesce(DimVector& sizes, std::initializer_list<DimVector*> sets) {
    DimVector* key = *sets.begin();
    const size_t n = sizes.size();
    for (size_t i = 1; i < n; ++i) {
      for (size_t j = i; j > 0 && std::abs((*key)[j - 1]) < std::abs((*key)[j]); --j) {
        std::swap(sizes[j - 1], sizes[j]);
        for (DimVector* s : sets) std::swap((*s)[j - 1], (*s)[j]);
      }
    }
    DimVector merged_sizes;
    std::array<DimVector, 3> merged;
    for (size_t d = 0; d < n; ++d) {
      bool merge = !merged_sizes.empty();
      size_t k = 0;
      for (DimVector* s : sets) merge = merge && merged[k++].back() == (*s)[d] * sizes[d];
      if (merge) {
        merged_sizes[merged_sizes.size() - 1] *= sizes[d];
        k = 0;
        for (DimVector* s : sets) merged[k++][merged_sizes.size() - 1] = (*s)[d];
      } else {
        merged_sizes.push_back(sizes[d]);
        k = 0;
        for (DimVector* s : sets) merged[k++].push_back((*s)[d]);
      }
    }
    sizes = std::move(merged_sizes);
    size_t k = 0;
    for (DimVector* s : sets) *s = std::move(merged[k++]);
  }
};

// Walks a multi-dim index space (the first `ndim` output dims) in row-major order, keeping the
// offsets of the input, output and index output.
struct OutputWalker {
  const ReduceGeometry& g;
  size_t ndim;
  DimVector idx;
  int64_t pos = -1, in = 0, out = 0, ix = 0;

  OutputWalker(const ReduceGeometry& g, size_t ndim) : g(g), ndim(ndim), idx(ndim, 0) {}

  void seek(int64_t target) {
    if (target == pos) return;
    if (pos >= 0 && target == pos + 1) return next();
    pos = target;
    in = out = ix = 0;
    for (size_t d = ndim; d-- > 0;) {
      idx[d] = target % g.out_sizes[d];
      target /= g.out_sizes[d];
      in += idx[d] * g.in_strides[d];
      out += idx[d] * g.out_strides[d];
      ix += idx[d] * g.idx_strides[d];
    }
  }

 private:
  void next() {
    ++pos;
    for (size_t d = ndim; d-- > 0;) {
      in += g.in_strides[d];
      out += g.out_strides[d];
      ix += g.idx_strides[d];
      if (++idx[d] < g.out_sizes[d]) return;
      in -= g.in_strides[d] * g.out_sizes[d];
      out -= g.out_strides[d] * g.out_sizes[d];
      ix -= g.idx_strides[d] * g.out_sizes[d];
      idx[d] = 0;
    }
  }
};

// Walks the reduced dims in row-major order: the input offset and the reported index of the
// current element.
struct ReducedWalker {
  const ReduceGeometry& g;
  DimVector idx;
  int64_t offset = 0, logical = 0;

  ReducedWalker(const ReduceGeometry& g, int64_t start) : g(g), idx(g.red_sizes.size(), 0) {
    for (size_t d = idx.size(); d-- > 0;) {
      idx[d] = start % g.red_sizes[d];
      start /= g.red_sizes[d];
      offset += idx[d] * g.red_strides[d];
      logical += idx[d] * g.red_logical[d];
    }
  }
  int64_t left_in_run() const { return g.red_sizes.back() - idx.back(); }
  // Moves n <= left_in_run() elements along the innermost reduced dim, carrying into outer dims.
  void advance(int64_t n) {
    size_t d = idx.size() - 1;
    offset += n * g.red_strides[d];
    logical += n * g.red_logical[d];
    idx[d] += n;
    for (; d > 0 && idx[d] == g.red_sizes[d]; --d) {
      offset += g.red_strides[d - 1] - idx[d] * g.red_strides[d];
      logical += g.red_logical[d - 1] - idx[d] * g.red_logical[d];
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Folding helpers.

// Pairwise combination of a stream of partial results: a binary counter whose level l holds the
// combination of 2^l consecutive pushes.
template <typename P>
struct Cascade {
  using Acc = typename P::Acc;
  const P& p;
  Acc levels[kCascadeLevels];
  uint64_t count = 0;

  explicit Cascade(const P& p) : p(p) {}
  void push(Acc a) {
    int l = 0;
    for (uint64_t c = count; c & 1; c >>= 1, ++l) a = p.combine(levels[l], a);
    levels[l] = a;
    ++count;
  }
  Acc result() const {
    Acc r = p.identity();
    for (int l = kCascadeLevels - 1; l >= 0; --l)
      if ((count >> l) & 1) r = p.combine(r, levels[l]);
    return r;
  }
};

// The same for kTile lanes at once.
template <typename P>
struct LaneCascade {
  using Acc = typename P::Acc;
  const P& p;
  int64_t lanes;
  Acc levels[kCascadeLevels][kTile<Acc>];
  uint64_t count = 0;

  LaneCascade(const P& p, int64_t lanes) : p(p), lanes(lanes) {}
  void push(Acc* a) {
    int l = 0;
    for (uint64_t c = count; c & 1; c >>= 1, ++l)
      for (int64_t t = 0; t < lanes; ++t) a[t] = p.combine(levels[l][t], a[t]);
    std::copy(a, a + lanes, levels[l]);
    ++count;
  }
  void result(Acc* r) const {
    std::fill(r, r + lanes, p.identity());
    for (int l = kCascadeLevels - 1; l >= 0; --l)
      if ((count >> l) & 1)
        for (int64_t t = 0; t < lanes; ++t) r[t] = p.combine(r[t], levels[l][t]);
  }
};

// One block: a run of n <= kBlock elements at stride s whose first index is idx.
template <typename P>
inline typename P::Acc fold_block(const P& p, const typename P::In* x, int64_t s, int64_t n, int64_t idx,
                                  int64_t idx_step) {
  if constexpr (requires { p.block(x, s, n, idx, idx_step); }) {
    return p.block(x, s, n, idx, idx_step);
  } else {
    if (s == 1) return fold_lanes(p.identity(), n, [&](int64_t i) { return p.lift(x[i], 0); }, p);
    return fold_lanes(p.identity(), n, [&](int64_t i) { return p.lift(x[i * s], 0); }, p);
  }
}

// ---------------------------------------------------------------------------------------------
// Policies. In: element type; Acc: accumulator; Out: output element type.

template <typename T>
using IntegralAcc = std::conditional_t<std::is_integral_v<T>, uint64_t, opmath_t<T>>;  // wraps like int64

template <typename T, bool kProduct>
struct SumPolicy {
  using In = T;
  using Acc = IntegralAcc<T>;
  using Out = std::conditional_t<std::is_integral_v<T>, int64_t, T>;
  Acc identity() const { return Acc(kProduct ? 1 : 0); }
  Acc lift(T x, int64_t) const {
    if constexpr (std::is_integral_v<T>) return Acc(int64_t(x));
    else return Acc(x);
  }
  Acc operator()(Acc a, Acc b) const { return kProduct ? a * b : a + b; }
  Acc combine(Acc a, Acc b) const { return (*this)(a, b); }
  Out finish(Acc a, int64_t) const { return Out(a); }
};

template <typename T>
struct MeanPolicy : SumPolicy<T, false> {
  T finish(opmath_t<T> a, int64_t n) const { return T(a / opmath_t<T>(n)); }
};

// max/min with NaN propagation (a NaN anywhere makes the result NaN).
template <typename T, bool kMax>
struct ExtremumPolicy {
  using In = T;
  using Acc = opmath_t<T>;
  using Out = T;
  Acc identity() const {
    if constexpr (std::is_same_v<T, bool>) return !kMax;
    else if constexpr (kIsFloat<T>) return kMax ? -std::numeric_limits<Acc>::infinity() : std::numeric_limits<Acc>::infinity();
    else return kMax ? std::numeric_limits<Acc>::lowest() : std::numeric_limits<Acc>::max();
  }
  Acc lift(T x, int64_t) const { return Acc(x); }
  Acc operator()(Acc a, Acc b) const {
    if constexpr (kIsFloat<T>) return ((kMax ? b > a : b < a) || b != b) ? b : a;
    else return (kMax ? b > a : b < a) ? b : a;
  }
  Acc combine(Acc a, Acc b) const { return (*this)(a, b); }
  Out finish(Acc a, int64_t) const { return Out(a); }
};

template <typename T, bool kAll>
struct LogicalPolicy {
  using In = T;
  using Acc = uint8_t;
  using Out = uint8_t;  // bool and uint8 outputs both hold 0/1
  Acc identity() const { return kAll; }
  Acc lift(T x, int64_t) const { return opmath_t<T>(x) != opmath_t<T>(0); }
  Acc operator()(Acc a, Acc b) const { return kAll ? (a & b) : (a | b); }
  Acc combine(Acc a, Acc b) const { return (*this)(a, b); }
  Out finish(Acc a, int64_t) const { return a; }
};

enum class NormKind : uint8_t { kZero, kOne, kTwo, kInf, kNegInf, kP };

template <typename T, NormKind kKind>
struct NormPolicy {
  using In = T;
  using Acc = opmath_t<T>;
  using Out = T;
  Acc p;
  Acc identity() const { return kKind == NormKind::kNegInf ? std::numeric_limits<Acc>::infinity() : Acc(0); }
  Acc lift(T x, int64_t) const {
    Acc a = std::abs(Acc(x));
    if constexpr (kKind == NormKind::kZero) return a != Acc(0) ? Acc(1) : Acc(0);
    else if constexpr (kKind == NormKind::kTwo) return a * a;
    else if constexpr (kKind == NormKind::kP) return std::pow(a, p);
    else return a;
  }
  Acc operator()(Acc a, Acc b) const {
    if constexpr (kKind == NormKind::kInf) return nan_max(a, b);
    else if constexpr (kKind == NormKind::kNegInf) return (b < a || b != b) ? b : a;
    else return a + b;
  }
  Acc combine(Acc a, Acc b) const { return (*this)(a, b); }
  Out finish(Acc a, int64_t n) const {
    if constexpr (kKind == NormKind::kTwo) return Out(std::sqrt(a));
    else if constexpr (kKind == NormKind::kP) return Out(std::pow(a, Acc(1) / p));
    else if constexpr (kKind == NormKind::kNegInf) return Out(n == 0 ? Acc(0) : a);  // torch.norm gives 0 for empty
    else return Out(a);
  }
};

// Variance by blocks: each block is summed twice in double (mean, then squared deviations from
// it), and blocks merge with Chan's formula, so the result is as accurate as a two-pass variance
// in one pass over memory.
template <typename T, bool kSqrt>
struct VarPolicy {
  using In = T;
  struct Acc {
    double mean = 0, m2 = 0;
    int64_t n = 0;
  };
  using Out = T;
  double correction;
  Acc identity() const { return {}; }
  Acc lift(T x, int64_t) const { return {double(x), 0, 1}; }
  Acc combine(Acc a, Acc b) const {
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    const int64_t n = a.n + b.n;
    const double delta = b.mean - a.mean, wb = double(b.n) / double(n);
    return {a.mean + delta * wb, a.m2 + b.m2 + delta * delta * double(a.n) * wb, n};
  }
  Acc block(const T* x, int64_t s, int64_t n, int64_t, int64_t) const {
    if (n == 0) return {};
    auto plus = [](double a, double b) { return a + b; };
    const double mean = fold_lanes(0.0, n, [&](int64_t i) { return double(x[i * s]); }, plus) / double(n);
    const double m2 = fold_lanes(0.0, n, [&](int64_t i) { double d = double(x[i * s]) - mean; return d * d; }, plus);
    return {mean, m2, n};
  }
  Out finish(Acc a, int64_t n) const {
    const double v = a.m2 / std::max(0.0, double(n) - correction);
    return Out(kSqrt ? std::sqrt(v) : v);
  }
};

// log(sum(exp(x))) as (max, sum of exp(x - max)), merged by rescaling.
template <typename T>
struct LogSumExpPolicy {
  using In = T;
  using V = opmath_t<T>;
  struct Acc {
    V max, scaled;
  };
  using Out = T;
  static constexpr V kInf = std::numeric_limits<V>::infinity();
  Acc identity() const { return {-kInf, 0}; }
  Acc lift(T x, int64_t) const { return {V(x), 1}; }
  // NaN wins; an infinite maximum decides the result alone (+inf -> inf; all -inf -> -inf).
  static bool decided(V m) { return m != m || std::isinf(m); }
  static Acc decided_acc(V m) { return {m, V(m > 0 ? 1 : 0)}; }
  Acc combine(Acc a, Acc b) const {
    if (a.max != a.max) return a;
    const V m = nan_max(a.max, b.max);
    if (decided(m)) return decided_acc(m);
    return {m, a.scaled * math::exp(a.max - m) + b.scaled * math::exp(b.max - m)};
  }
  Acc block(const T* x, int64_t s, int64_t n, int64_t, int64_t) const {
    const V m = fold_lanes(-kInf, n, [&](int64_t i) { return V(x[i * s]); }, nan_max<V>);
    if (decided(m)) return decided_acc(m);
    auto plus = [](V a, V b) { return a + b; };
    if constexpr (std::is_same_v<T, V>) {
      if (s == 1) {
        V e[kBlock];
        exp_shifted(x, m, e, n);
        return {m, fold_lanes(V(0), n, [&](int64_t i) { return e[i]; }, plus)};
      }
    }
    return {m, fold_lanes(V(0), n, [&](int64_t i) { return math::exp(V(x[i * s]) - m); }, plus)};
  }
  Out finish(Acc a, int64_t) const { return Out(a.max + std::log(a.scaled)); }
};

// Index of the first maximum (minimum); the first NaN beats everything.
template <typename T, bool kMax>
struct ArgPolicy {
  using In = T;
  using V = opmath_t<T>;
  struct Acc {
    V value;
    int64_t index;
  };
  using Out = T;
  static constexpr bool kIndexed = true;
  static bool is_nan(V v) { return v != v; }
  Acc identity() const { return {V(0), -1}; }
  Acc lift(T x, int64_t idx) const { return {V(x), idx}; }
  Acc combine(Acc a, Acc b) const {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    bool take_b;
    if (is_nan(a.value) || is_nan(b.value)) take_b = is_nan(a.value) && is_nan(b.value) ? b.index < a.index : is_nan(b.value);
    else take_b = (kMax ? b.value > a.value : b.value < a.value) || (b.value == a.value && b.index < a.index);
    return take_b ? b : a;
  }
  // The extremum by the vectorised fold, then the first element equal to it (or the first NaN).
  Acc block(const T* x, int64_t s, int64_t n, int64_t idx, int64_t idx_step) const {
    if (n == 0) return identity();
    const ExtremumPolicy<T, kMax> extremum;
    const V m = fold_lanes(extremum.identity(), n, [&](int64_t i) { return V(x[i * s]); }, extremum);
    int64_t at = 0;
    if (is_nan(m)) {
      while (!is_nan(V(x[at * s]))) ++at;
    } else {
      while (V(x[at * s]) != m) ++at;
    }
    return {V(x[at * s]), idx + at * idx_step};
  }
  Out finish(Acc a, int64_t) const { return Out(a.value); }
};

template <typename P>
concept IndexedPolicy = requires { P::kIndexed; };

// ---------------------------------------------------------------------------------------------
// The driver.

template <typename P>
class Reducer {
 public:
  using In = typename P::In;
  using Acc = typename P::Acc;
  using Out = typename P::Out;

  Reducer(const P& p, const ReduceGeometry& g, const TensorImpl& in, TensorImpl* out, TensorImpl* idx)
      : p_(p), g_(g), in_(in.data_as<In>()), out_(out ? out->data_as<Out>() : nullptr),
        idx_(idx ? idx->data_as<int64_t>() : nullptr) {}

  void run() {
    if (g_.num_outputs == 0) return;
    if (g_.lanes_innermost()) run_lanes();
    else run_inner();
  }

 private:
  void store(Acc a, int64_t out_off, int64_t idx_off) const {
    if constexpr (IndexedPolicy<P>) {
      if (idx_) idx_[idx_off] = a.index;
      if (out_) out_[out_off] = p_.finish(a, g_.reduce_size);
    } else {
      out_[out_off] = p_.finish(a, g_.reduce_size);
    }
  }

  // Chunks of the reduced elements per output group; fixed by the shapes alone.
  int64_t chunks_for(int64_t groups, int64_t per_chunk) const {
    if (groups >= kFewOutputs || g_.num_outputs * g_.reduce_size < kGrainSize) return 1;
    return std::max<int64_t>(1, (g_.reduce_size + per_chunk - 1) / per_chunk);
  }

  // Runs unit(u, partial_slot) over groups * chunks units; with several chunks, the partials of
  // each group are then combined in chunk order and finish(group, accs) stores them.
  template <typename Unit, typename Finish>
  void run_units(int64_t groups, int64_t chunks, int64_t width, int64_t work_per_unit, const Unit& unit,
                 const Finish& finish) {
    const int64_t units = groups * chunks;
    const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, work_per_unit));
    if (chunks == 1) {
      parallel_for(units, grain, [&](int64_t b, int64_t e) { unit(b, e, nullptr); });
      return;
    }
    std::unique_ptr<Acc[]> partial(new Acc[size_t(units * width)]);
    parallel_for(units, grain, [&](int64_t b, int64_t e) { unit(b, e, partial.get()); });
    parallel_for(groups, std::max<int64_t>(1, kGrainSize / (chunks * width)), [&](int64_t b, int64_t e) {
      Acc combined[kTile<Acc>];
      for (int64_t grp = b; grp < e; ++grp) {
        for (int64_t t = 0; t < width; ++t) {
          Cascade<P> cascade(p_);
          for (int64_t c = 0; c < chunks; ++c) cascade.push(partial[size_t((grp * chunks + c) * width + t)]);
          combined[t] = cascade.result();
        }
        finish(grp, combined);
      }
    });
  }

  // ---- inner path: each output folds its own reduced elements.

  // Folds reduced elements [begin, end) (row-major over the sorted reduced dims) from `base`.
  Acc reduce_range(const In* base, int64_t begin, int64_t end) const {
    if (begin >= end) return p_.identity();
    const size_t nr = g_.red_sizes.size();
    const int64_t stride = g_.red_strides[nr - 1], step = g_.red_logical[nr - 1];
    if (nr == 1 && end - begin <= kBlock) return fold_block(p_, base + begin * stride, stride, end - begin, begin * step, step);
    ReducedWalker w(g_, begin);
    Cascade<P> cascade(p_);
    for (int64_t pos = begin; pos < end;) {
      const int64_t run = std::min(w.left_in_run(), end - pos);
      for (int64_t i = 0; i < run; i += kBlock) {
        const int64_t n = std::min(kBlock, run - i);
        cascade.push(fold_block(p_, base + w.offset + i * stride, stride, n, w.logical + i * step, step));
      }
      pos += run;
      w.advance(run);
    }
    return cascade.result();
  }

  void run_inner() {
    const int64_t outputs = g_.num_outputs, size = g_.reduce_size;
    const int64_t chunks = chunks_for(outputs, kChunk);
    const int64_t per_chunk = (size + chunks - 1) / chunks;
    const size_t nd = g_.out_sizes.size();
    run_units(
        outputs, chunks, 1, std::max<int64_t>(1, per_chunk),
        [&](int64_t b, int64_t e, Acc* partial) {
          OutputWalker w(g_, nd);
          for (int64_t u = b; u < e; ++u) {
            const int64_t grp = chunks == 1 ? u : u / chunks, c = u - grp * chunks;
            w.seek(grp);
            const int64_t begin = std::min(size, c * per_chunk), end = std::min(size, begin + per_chunk);
            Acc a = reduce_range(in_ + w.in, begin, end);
            if (partial) partial[u] = a;
            else store(a, w.out, w.ix);
          }
        },
        [&](int64_t grp, const Acc* a) {
          OutputWalker w(g_, nd);
          w.seek(grp);
          store(a[0], w.out, w.ix);
        });
  }

  // ---- lane path: tiles of adjacent outputs, updated row by row.

  // Folds rows [begin, end) into `lanes` accumulators. A block of rows is walked one group of
  // lanes (four vector registers) at a time, so the group stays in registers across the rows.
  template <bool kUnitStride>
  void fold_rows(const In* base, int64_t lane_stride, int64_t lanes, int64_t begin, int64_t end, Acc* result) const {
    constexpr int64_t kGroup = std::max<int64_t>(1, 128 / sizeof(Acc));
    struct Group {
      Acc v[kGroup];
    };
    const int64_t ls = kUnitStride ? 1 : lane_stride;
    LaneCascade<P> cascade(p_, lanes);
    Acc block[kTile<Acc>];
    const In* rows[kRowBlock];
    int64_t logical[kRowBlock];
    ReducedWalker w(g_, begin);
    for (int64_t r = begin; r < end; r += kRowBlock) {
      const int64_t nrows = std::min(kRowBlock, end - r);
      for (int64_t i = 0; i < nrows; ++i, w.advance(1)) {
        rows[i] = base + w.offset;
        logical[i] = w.logical;
      }
      int64_t t0 = 0;
      for (; t0 + kGroup <= lanes; t0 += kGroup) {
        Group g;
        std::fill(g.v, g.v + kGroup, p_.identity());
        for (int64_t i = 0; i < nrows; ++i) {
          const In* x = rows[i] + t0 * ls;
          const int64_t li = logical[i];
          Group next = g;
          if constexpr (kUnitStride) {
            for (int64_t k = 0; k < kGroup; ++k) next.v[k] = p_.combine(next.v[k], p_.lift(x[k], li));
          } else {
            for (int64_t k = 0; k < kGroup; ++k) next.v[k] = p_.combine(next.v[k], p_.lift(x[k * ls], li));
          }
          g = next;
        }
        std::copy(g.v, g.v + kGroup, block + t0);
      }
      for (; t0 < lanes; ++t0) {
        Acc a = p_.identity();
        for (int64_t i = 0; i < nrows; ++i) a = p_.combine(a, p_.lift(rows[i][t0 * ls], logical[i]));
        block[t0] = a;
      }
      cascade.push(block);
    }
    cascade.result(result);
  }

  void run_lanes() {
    const size_t nd = g_.out_sizes.size();
    const int64_t width = g_.out_sizes[nd - 1], lane_stride = g_.in_strides[nd - 1];
    const int64_t tiles_per_row = (width + kTile<Acc> - 1) / kTile<Acc>;
    const int64_t groups = g_.num_outputs / width * tiles_per_row;
    const int64_t rows = g_.reduce_size;
    const int64_t chunks = chunks_for(groups, std::max<int64_t>(kRowBlock, kChunk / std::min(width, kTile<Acc>)));
    const int64_t per_chunk = (rows + chunks - 1) / chunks;
    auto tile_of = [&](int64_t grp, OutputWalker& w, int64_t& lane0, int64_t& lanes) {
      w.seek(grp / tiles_per_row);
      lane0 = grp % tiles_per_row * kTile<Acc>;
      lanes = std::min(kTile<Acc>, width - lane0);
    };
    auto store_tile = [&](const OutputWalker& w, int64_t lane0, int64_t lanes, const Acc* a) {
      for (int64_t t = 0; t < lanes; ++t)
        store(a[t], w.out + (lane0 + t) * g_.out_strides[nd - 1], w.ix + (lane0 + t) * g_.idx_strides[nd - 1]);
    };
    run_units(
        groups, chunks, kTile<Acc>, std::max<int64_t>(1, per_chunk * std::min(width, kTile<Acc>)),
        [&](int64_t b, int64_t e, Acc* partial) {
          OutputWalker w(g_, nd - 1);
          Acc result[kTile<Acc>];
          for (int64_t u = b; u < e; ++u) {
            int64_t lane0, lanes;
            tile_of(u / chunks, w, lane0, lanes);
            const int64_t c = u % chunks, begin = std::min(rows, c * per_chunk), end = std::min(rows, begin + per_chunk);
            const In* base = in_ + w.in + lane0 * lane_stride;
            Acc* dst = partial ? partial + u * kTile<Acc> : result;
            if (lane_stride == 1) fold_rows<true>(base, 1, lanes, begin, end, dst);
            else fold_rows<false>(base, lane_stride, lanes, begin, end, dst);
            if (!partial) store_tile(w, lane0, lanes, dst);
          }
        },
        [&](int64_t grp, const Acc* a) {
          OutputWalker w(g_, nd - 1);
          int64_t lane0, lanes;
          tile_of(grp, w, lane0, lanes);
          store_tile(w, lane0, lanes, a);
        });
  }

  const P& p_;
  const ReduceGeometry& g_;
  const In* in_;
  Out* out_;
  int64_t* idx_;
};

template <typename P>
void run_policy(const P& p, const ReduceGeometry& g, const TensorImpl& in, TensorImpl* out, TensorImpl* idx) {
  Reducer<P>(p, g, in, out, idx).run();
}

template <typename T>
void run_norm(double p, const ReduceGeometry& g, const TensorImpl& in, TensorImpl* out) {
  using Acc = opmath_t<T>;
  if (p == 0) run_policy(NormPolicy<T, NormKind::kZero>{}, g, in, out, nullptr);
  else if (p == 1) run_policy(NormPolicy<T, NormKind::kOne>{}, g, in, out, nullptr);
  else if (p == 2) run_policy(NormPolicy<T, NormKind::kTwo>{}, g, in, out, nullptr);
  else if (std::isinf(p) && p > 0) run_policy(NormPolicy<T, NormKind::kInf>{}, g, in, out, nullptr);
  else if (std::isinf(p)) run_policy(NormPolicy<T, NormKind::kNegInf>{}, g, in, out, nullptr);
  else run_policy(NormPolicy<T, NormKind::kP>{Acc(p)}, g, in, out, nullptr);
}

void reduce(ReduceOp op, const TensorImpl& in, TensorImpl* out, TensorImpl* indices, const ReduceArgs& args) {
  const ReduceGeometry g(in, out, indices);
  visit_dtype(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using enum ReduceOp;
    switch (op) {
      case kSum: return run_policy(SumPolicy<T, false>{}, g, in, out, nullptr);
      case kProd: return run_policy(SumPolicy<T, true>{}, g, in, out, nullptr);
      case kMax: return run_policy(ExtremumPolicy<T, true>{}, g, in, out, nullptr);
      case kMin: return run_policy(ExtremumPolicy<T, false>{}, g, in, out, nullptr);
      case kAll: return run_policy(LogicalPolicy<T, true>{}, g, in, out, nullptr);
      case kAny: return run_policy(LogicalPolicy<T, false>{}, g, in, out, nullptr);
      case kArgMax: return run_policy(ArgPolicy<T, true>{}, g, in, out, indices);
      case kArgMin: return run_policy(ArgPolicy<T, false>{}, g, in, out, indices);
      default: break;
    }
    if constexpr (kIsFloat<T>) {
      switch (op) {
        case kMean: return run_policy(MeanPolicy<T>{}, g, in, out, nullptr);
        case kNorm: return run_norm<T>(args.p, g, in, out);
        case kVar: return run_policy(VarPolicy<T, false>{args.correction}, g, in, out, nullptr);
        case kStd: return run_policy(VarPolicy<T, true>{args.correction}, g, in, out, nullptr);
        case kLogSumExp: return run_policy(LogSumExpPolicy<T>{}, g, in, out, nullptr);
        default: break;
      }
    }
    fail<RuntimeError>("reduce: internal error: op ", int(op), " has no kernel for dtype ", dtype_name(in.dtype()));
  });
}

}  // namespace
}  // namespace cpu

NB_REGISTER_KERNEL(reduce_kernel, kCPU, cpu::reduce);

}  // namespace nabla
