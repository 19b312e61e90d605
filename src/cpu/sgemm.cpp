// Our sgemm for AVX2+FMA (Note [Our sgemm] in sgemm.hpp).
#include "cpu/sgemm.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "cpu/parallel.hpp"

namespace nabla::cpu {
namespace {

// The register tile: 6 rows x 2 vectors of 8 = 12 accumulators, plus 2 B vectors and 1 broadcast
// A value, of the 16 ymm registers.
constexpr int kMr = 6, kNr = 16;
// Depth of one pass: a 16-column B sliver (16 KiB) stays in L1 while the A slivers stream by.
constexpr int64_t kKc = 256;
// Rows of A packed at once. Each 16-column sliver of B is packed once per block of rows, so blocks
// are large: A's slivers then stream from L3 (1152 x 256 floats is 1.1 MiB a pass), which the
// kernel's 24 bytes per 6 cycles allow; with L2-sized blocks of 288 rows, repacking B cost a 2048^3
// product 15% (136 against 156 GFLOP/s here).
constexpr int64_t kMc = 1152;
// A block keeps every pass, up to this many floats (16 MiB): deeper products take fewer rows.
constexpr int64_t kABlockFloats = int64_t(1) << 22;
// Below this many multiply-adds, waking a second thread costs more than it saves.
constexpr int64_t kParallelMacs = int64_t(1) << 20;

struct Operand {
  const float* data;
  int64_t row_stride, col_stride;
  const float* at(int64_t row, int64_t col) const { return data + row * row_stride + col * col_stride; }
};

int64_t ceil_div(int64_t x, int64_t by) { return (x + by - 1) / by; }

// acc = A sliver (a[l * kMr + i]) times B sliver (b[l * kNr + j]) over depth l < kc, then the
// first `rows` x `cols` of C become alpha acc + beta C.
void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta, int rows,
            int cols) {
  __m256 acc[kMr][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
#pragma GCC unroll 4
  for (int64_t l = 0; l < kc; ++l, a += kMr, b += kNr) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (rows == kMr && cols == kNr) {
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      float* ci = c + i * ldc;
      __m256 r0 = _mm256_mul_ps(acc[i][0], va), r1 = _mm256_mul_ps(acc[i][1], va);
      if (beta != 0.f) {
        r0 = _mm256_fmadd_ps(_mm256_loadu_ps(ci), vb, r0);
        r1 = _mm256_fmadd_ps(_mm256_loadu_ps(ci + 8), vb, r1);
      }
      _mm256_storeu_ps(ci, r0);
      _mm256_storeu_ps(ci + 8, r1);
    }
    return;
  }
  // A partial tile goes through memory; indexing the accumulators directly would keep them there
  // through the loop above too.
  alignas(32) float tile[kMr][kNr];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) {
    _mm256_store_ps(tile[i], _mm256_mul_ps(acc[i][0], va));
    _mm256_store_ps(tile[i] + 8, _mm256_mul_ps(acc[i][1], va));
  }
  for (int i = 0; i < rows; ++i) {
    float* ci = c + i * ldc;
    for (int j = 0; j < cols; ++j) ci[j] = beta != 0.f ? std::fma(beta, ci[j], tile[i][j]) : tile[i][j];
  }
}

// Transposes the R x 8 block at src (rows ld apart; R = 8, or 6 for W = 6) into 8 rows of R floats
// at dst, W apart.
template <int W>
void transpose_block(const float* src, int64_t ld, float* dst) {
  constexpr int R = W == kMr ? kMr : 8;
  __m256 r[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) r[i] = i < R ? _mm256_loadu_ps(src + i * ld) : _mm256_setzero_ps();
  __m256 t[8], u[8];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 2
  for (int h = 0; h < 8; h += 4) {
    u[h] = _mm256_shuffle_ps(t[h], t[h + 2], 0x44);
    u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], 0xEE);
    u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0x44);
    u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0xEE);
  }
  const __m256 out[8] = {_mm256_permute2f128_ps(u[0], u[4], 0x20), _mm256_permute2f128_ps(u[1], u[5], 0x20),
                         _mm256_permute2f128_ps(u[2], u[6], 0x20), _mm256_permute2f128_ps(u[3], u[7], 0x20),
                         _mm256_permute2f128_ps(u[0], u[4], 0x31), _mm256_permute2f128_ps(u[1], u[5], 0x31),
                         _mm256_permute2f128_ps(u[2], u[6], 0x31), _mm256_permute2f128_ps(u[3], u[7], 0x31)};
  if constexpr (R == 8) {
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) _mm256_store_ps(dst + q * W, out[q]);
  } else {
    // Rows of 6 are stored 8 wide: the 2 extra lanes are rewritten by the next row, and the last
    // row is masked so nothing lands past the block.
#pragma GCC unroll 7
    for (int q = 0; q < 7; ++q) _mm256_storeu_ps(dst + q * W, out[q]);
    _mm256_maskstore_ps(dst + 7 * W, _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0), out[7]);
  }
}

// Packs X(r, l) = x.at(r, l), r < rows, l < depth, as slivers of W rows: (r, l) goes to
// dst[(r / W) * W * depth + l * W + r % W]. The last sliver is padded with zeros, so the kernel
// always runs whole tiles.
template <int W>
void pack(int64_t rows, int64_t depth, const Operand& x, float* dst) {
  const int64_t whole = rows / W * W;
  if (x.row_stride == 1) {
    for (int64_t l = 0; l < depth; ++l) {
      const float* src = x.at(0, l);
      for (int64_t r0 = 0; r0 < whole; r0 += W) {
        float* d = dst + r0 * depth + l * W;
        if constexpr (W % 8 == 0) {
          for (int j = 0; j < W; j += 8) _mm256_store_ps(d + j, _mm256_loadu_ps(src + r0 + j));
        } else {
          for (int j = 0; j < W; ++j) d[j] = src[r0 + j];
        }
      }
    }
  } else {
    for (int64_t r0 = 0; r0 < whole; r0 += W) {
      float* d = dst + r0 * depth;
      int64_t l = 0;
      if (x.col_stride == 1)
        for (; l + 8 <= depth; l += 8)
          for (int j = 0; j < W; j += 8) transpose_block<W>(x.at(r0 + j, l), x.row_stride, d + l * W + j);
      for (; l < depth; ++l)
        for (int j = 0; j < W; ++j) d[l * W + j] = *x.at(r0 + j, l);
    }
  }
  if (whole < rows) {
    float* d = dst + whole * depth;
    for (int64_t l = 0; l < depth; ++l)
      for (int j = 0; j < W; ++j) d[l * W + j] = whole + j < rows ? *x.at(whole + j, l) : 0.f;
  }
}

// Scratch of at least n floats, 64-byte aligned, kept per thread between calls; `which` tells a
// thread's buffers apart.
enum class Buffer { kA, kB };
float* scratch(Buffer which, int64_t n) {
  thread_local std::vector<float> buffers[2];
  std::vector<float>& buffer = buffers[int(which)];
  if (buffer.size() < size_t(n + 16)) buffer.resize(size_t(n + 16));
  return reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(buffer.data()) + 63) & ~uintptr_t(63));
}

// One product's sizes and blocking.
struct Product {
  int64_t m, n, k;
  float alpha, beta;
  Operand a, b;
  float* c;
  int64_t ldc;
  int64_t kc_max;  // depth of a pass: passes of equal depth, as a last pass of a few steps
                   // would reload C for little work
  int64_t mc_max;  // rows of A packed at once, for every pass

  Product(int64_t m_, int64_t n_, int64_t k_, float alpha_, Operand a_, Operand b_, float beta_, float* c_, int64_t ldc_)
      : m(m_), n(n_), k(k_), alpha(alpha_), beta(beta_), a(a_), b(b_), c(c_), ldc(ldc_) {
    kc_max = ceil_div(k, ceil_div(k, kKc));
    mc_max = std::clamp(kABlockFloats / k / kMr * kMr, int64_t(kMr), kMc);
    mc_max = std::min(mc_max, ceil_div(m, kMr) * kMr);
  }
  int64_t blocks() const { return ceil_div(m, mc_max); }
  int64_t a_block_floats() const { return mc_max * k; }
  // A block holds every pass: pass p's slivers start at p * mc_max * kc_max.
  int64_t pass_offset(int64_t l0) const { return l0 / kc_max * mc_max * kc_max; }
};

// Computes a product as thread t of nt. The threads pack each block of A's rows together into
// a_block (shared), then compute its 16-column slivers of C, claimed one at a time: each thread
// first from its own band of them (where the optimizer's split of the same weights left them in
// its cache), then from the others' bands, so a thread that runs slower (the machine's other work)
// computes fewer. claims holds a counter per band and block. An element of C is computed by one
// thread, over the passes in order: the result does not depend on nt.
void team_sgemm(const Product& p, int t, int nt, float* a_block, std::atomic<int64_t>* claims) {
  float* b_packed = scratch(Buffer::kB, p.kc_max * kNr);
  const int64_t column_slivers = ceil_div(p.n, kNr);
  auto band_start = [&](int64_t band) { return band * column_slivers / nt; };
  for (int64_t i0 = 0, block = 0; i0 < p.m; i0 += p.mc_max, ++block) {
    const int64_t mc = std::min(p.mc_max, p.m - i0), row_slivers = ceil_div(mc, kMr);
    const int64_t first = t * row_slivers / nt, last = (t + 1) * row_slivers / nt;
    for (int64_t l0 = 0; l0 < p.k && first < last; l0 += p.kc_max) {
      const int64_t kc = std::min(p.kc_max, p.k - l0);
      pack<kMr>(std::min(mc, last * kMr) - first * kMr, kc, {p.a.at(i0 + first * kMr, l0), p.a.row_stride, p.a.col_stride},
                a_block + p.pass_offset(l0) + first * kMr * kc);
    }
    if (nt > 1) {
#pragma omp barrier
    }
    // Every pass over one 16-column sliver of C.
    auto compute_sliver = [&](int64_t sliver) {
      const int64_t j = sliver * kNr;
      const int cols = int(std::min<int64_t>(kNr, p.n - j));
      for (int64_t l0 = 0; l0 < p.k; l0 += p.kc_max) {
        const int64_t kc = std::min(p.kc_max, p.k - l0);
        pack<kNr>(cols, kc, {p.b.at(l0, j), p.b.col_stride, p.b.row_stride}, b_packed);
        const float* a_pass = a_block + p.pass_offset(l0);
        for (int64_t i = 0; i < mc; i += kMr)
          kernel(kc, a_pass + i * kc, b_packed, p.c + (i0 + i) * p.ldc + j, p.ldc, p.alpha, l0 == 0 ? p.beta : 1.f,
                 int(std::min<int64_t>(kMr, mc - i)), cols);
      }
    };
    for (int64_t u = 0; u < nt; ++u) {
      const int64_t band = (t + u) % nt, first_sliver = band_start(band), band_size = band_start(band + 1) - first_sliver;
      for (int64_t s; (s = claims[block * nt + band].fetch_add(1, std::memory_order_relaxed)) < band_size;)
        compute_sliver(first_sliver + s);
    }
    if (nt > 1) {
#pragma omp barrier
    }
  }
}

// The product on the calling thread alone.
void serial_sgemm(const Product& p) {
  std::vector<std::atomic<int64_t>> claims(size_t(p.blocks()));  // value-initialised: 0
  team_sgemm(p, 0, 1, scratch(Buffer::kA, p.a_block_floats()), claims.data());
}

}  // namespace

void own_sgemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t a_row_stride,
               int64_t a_col_stride, const float* b, int64_t b_row_stride, int64_t b_col_stride, float beta, float* c,
               int64_t ldc) {
  if (alpha == 0.f || k == 0) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.f ? 0.f : beta * c[i * ldc + j];
    return;
  }
  const Operand A{a, a_row_stride, a_col_stride}, B{b, b_row_stride, b_col_stride};
  const Product whole(m, n, k, alpha, A, B, beta, c, ldc);
  const int64_t threads = m * n * k < kParallelMacs || omp_in_parallel() ? 1 : omp_get_max_threads();
  if (threads <= 1) return serial_sgemm(whole);
  if (n >= 2 * threads * kNr) {
    // Enough columns to share: the threads share A's blocks and claim columns.
    float* a_block = scratch(Buffer::kA, whole.a_block_floats());
    std::vector<std::atomic<int64_t>> claims(size_t(whole.blocks() * threads));  // value-initialised: 0
#pragma omp parallel num_threads(int(threads))
    team_sgemm(whole, omp_get_thread_num(), omp_get_num_threads(), a_block, claims.data());
    return;
  }
  // A narrow product: each thread computes a band of rows on its own.
#pragma omp parallel num_threads(int(threads))
  {
    const int64_t slivers = ceil_div(m, kMr), t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = std::min(m, t * slivers / nt * kMr), end = std::min(m, (t + 1) * slivers / nt * kMr);
    if (begin < end)
      serial_sgemm(Product(end - begin, n, k, alpha, {A.at(begin, 0), a_row_stride, a_col_stride}, B, beta,
                           c + begin * ldc, ldc));
  }
}

}  // namespace nabla::cpu
#endif
