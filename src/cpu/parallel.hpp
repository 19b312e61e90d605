#pragma once
// The one thread pool: OpenMP's, shared with OpenBLAS (the OpenMP build), so the two never
// oversubscribe the cores. Work below kGrainSize elements runs on the calling thread.
#include <cstdint>

#include <omp.h>

namespace nabla::cpu {

inline constexpr int64_t kGrainSize = 32768;

// Calls fn(begin, end) over [0, n) split into contiguous chunks, one per thread. Chunks depend on
// the thread count, so callers that combine per-chunk results must not (see reduce.cpp).
template <typename Fn>
void parallel_for(int64_t n, int64_t grain, const Fn& fn) {
  if (n <= 0) return;
  if (n <= grain) return fn(int64_t(0), n);  // without asking OpenMP anything: small ops stay cheap
  int64_t max_threads = omp_get_max_threads();
  int64_t threads = (n + grain - 1) / grain;
  if (threads > max_threads) threads = max_threads;
  if (threads <= 1 || omp_in_parallel()) {
    fn(int64_t(0), n);
    return;
  }
#pragma omp parallel num_threads(int(threads))
  {
    int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t chunk = (n + nt - 1) / nt;
    int64_t begin = t * chunk, end = begin + chunk < n ? begin + chunk : n;
    if (begin < end) fn(begin, end);
  }
}

}  // namespace nabla::cpu
