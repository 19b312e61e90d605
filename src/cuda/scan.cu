// The scan (cumsum/cumprod) kernel on CUDA (Note [Reduction kernels]); src/cpu/scan.cpp is the
// reference: accumulation in double for float/double, in float for the 16-bit floats, in wrapping
// 64-bit integers (int64 output) for integral inputs.
//
// Lines that lie side by side in memory (a scan over dim 0 of a row-major matrix), when there are
// enough of them, are walked one thread per line: adjacent threads read adjacent elements. Every
// other line is scanned by one block, a tile of kThreads * kItems elements at a time through a
// block-wide scan, carrying the running value from tile to tile, so long lines run in parallel.
#include <cub/block/block_scan.cuh>

#include "core/check.hpp"
#include "core/kernels/reduce.hpp"
#include "cuda/reduce_common.cuh"

namespace nabla::cuda {
namespace {

constexpr int kItems = 4;                 // elements per thread per tile of the block scan
constexpr int64_t kSerialLines = 4096;    // side-by-side lines from which a thread per line fills the GPU
constexpr int64_t kShortLine = 16;        // lines this short are walked by one thread whatever their layout

template <typename T>
using ScanAcc = std::conditional_t<std::is_integral_v<T>, uint64_t,
                                   std::conditional_t<std::is_same_v<opmath_t<T>, T>, double, float>>;
template <typename T>
using ScanOut = std::conditional_t<std::is_integral_v<T>, int64_t, T>;

template <typename T>
struct ScanStep {
  using Acc = ScanAcc<T>;
  bool prod;
  __device__ Acc identity() const { return Acc(prod ? 1 : 0); }
  __device__ Acc lift(T v) const {
    if constexpr (std::is_integral_v<T>) return Acc(int64_t(v));
    else return Acc(opmath_t<T>(v));
  }
  __device__ Acc operator()(Acc a, Acc b) const { return prod ? a * b : a + b; }
};

template <typename T>
__global__ void __launch_bounds__(kThreads)
    scan_serial(LineLayout l, ScanStep<T> op, const T* in, ScanOut<T>* out) {
  const int64_t line = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (line >= l.num_lines) return;
  int64_t off[2];
  offsets_of(l.lines, line, off);
  const T* x = in + off[0];
  ScanOut<T>* y = out + off[1];
  ScanAcc<T> a = op.identity();
  for (int64_t i = 0; i < l.len; ++i) {
    a = op(a, op.lift(x[i * l.in_step]));
    y[i * l.out_step] = ScanOut<T>(a);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    scan_block(LineLayout l, ScanStep<T> op, const T* in, ScanOut<T>* out) {
  using Acc = ScanAcc<T>;
  using BlockScan = cub::BlockScan<Acc, kThreads>;
  __shared__ typename BlockScan::TempStorage temp;
  int64_t off[2];
  offsets_of(l.lines, blockIdx.x, off);
  const T* x = in + off[0];
  ScanOut<T>* y = out + off[1];
  Acc carry = op.identity();
  for (int64_t tile = 0; tile < l.len; tile += int64_t(kThreads) * kItems) {
    const int64_t first = tile + int64_t(threadIdx.x) * kItems;
    Acc v[kItems];
#pragma unroll
    for (int k = 0; k < kItems; ++k) v[k] = first + k < l.len ? op.lift(x[(first + k) * l.in_step]) : op.identity();
    Acc total;
    BlockScan(temp).InclusiveScan(v, v, op, total);
#pragma unroll
    for (int k = 0; k < kItems; ++k)
      if (first + k < l.len) y[(first + k) * l.out_step] = ScanOut<T>(op(carry, v[k]));
    carry = op(carry, total);
    __syncthreads();  // the next tile reuses temp
  }
}

template <typename T>
void scan_typed(ScanOp kind, const TensorImpl& in, TensorImpl& out, const LineLayout& l) {
  NB_CHECK(out.dtype() == dtype_v<ScanOut<T>>, RuntimeError, "scan: internal error: output dtype ",
           dtype_name(out.dtype()), " for input dtype ", dtype_name(in.dtype()));
  const ScanStep<T> op{kind == ScanOp::kProd};
  const T* x = in.data_as<T>();
  ScanOut<T>* y = out.data_as<ScanOut<T>>();
  if ((l.lanes && l.num_lines >= kSerialLines) || l.len <= kShortLine) {
    scan_serial<T><<<unsigned(ceil_div(l.num_lines, kThreads)), kThreads, 0, stream()>>>(l, op, x, y);
  } else {
    scan_block<T><<<unsigned(l.num_lines), kThreads, 0, stream()>>>(l, op, x, y);
  }
  NB_CUDA_LAUNCH_CHECK();
}

void scan(ScanOp op, const TensorImpl& in, TensorImpl& out, int64_t dim) {
  if (out.numel() == 0) return;
  DeviceGuard guard(in.device());
  const LineLayout l = make_line_layout(in, out, dim, "scan");
  visit_dtype(in.dtype(), [&](auto tag) { scan_typed<typename decltype(tag)::type>(op, in, out, l); });
}

}  // namespace

NB_REGISTER_KERNEL(scan_kernel, kCUDA, scan);

}  // namespace nabla::cuda
