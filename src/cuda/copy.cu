// Copy with conversion, fill and where on CUDA; copies between the CPU and a GPU.
#include "core/kernels/copy.hpp"
#include "cuda/loops.cuh"

namespace nabla::cuda {
namespace {

// Host <-> device: the ops layer hands over a contiguous pair of one dtype and shape (it stages
// anything else on either side, src/ops/copy.cpp).
void transfer(const TensorImpl& src, TensorImpl& dst) {
  NB_CHECK(src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous() && src.sizes() == dst.sizes(),
           RuntimeError, "copy: a transfer between ", src.device().str(), " and ", dst.device().str(),
           " needs contiguous tensors of one dtype and shape");
  const TensorImpl& gpu_side = src.device().is_cuda() ? src : dst;
  DeviceGuard guard(gpu_side.device());
  const size_t nbytes = size_t(dst.numel()) * itemsize(dst.dtype());
  const cudaMemcpyKind kind = dst.device().is_cpu() ? cudaMemcpyDeviceToHost : cudaMemcpyHostToDevice;
  NB_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), nbytes, kind, stream()));
  // Blocking, as torch's .to() without non_blocking: the host may read the destination, or reuse a
  // pinned source, as soon as this returns (a pageable source waits for the stream anyway).
  sync_stream();
}

// (A __device__ lambda may not sit inside visit_dtype's generic lambda, so each one lives in a named
// function template.)
template <typename To, typename From>
void convert_into(const TensorImpl& src, TensorImpl& dst) {
  launch_elementwise<To, From>(dst, {&src}, [] __device__(From v) { return convert<To, From>(v); }, "copy");
}

template <typename T>
void fill_with(TensorImpl& dst, T v) {
  launch_elementwise<T>(dst, {}, [v] __device__() { return v; }, "fill");
}

template <typename T>
void where_as(const TensorImpl& cond, const TensorImpl& a, const TensorImpl& b, TensorImpl& out) {
  launch_elementwise<T, bool, T, T>(out, {&cond, &a, &b}, [] __device__(bool c, T x, T y) { return c ? x : y; },
                                    "where");
}

void copy(const TensorImpl& src, TensorImpl& dst) {
  if (dst.numel() == 0) return;
  if (src.device() != dst.device() && (src.device().is_cpu() || dst.device().is_cpu())) return transfer(src, dst);
  DeviceGuard guard(dst.device());
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous() && src.sizes() == dst.sizes()) {
    NB_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), size_t(dst.numel()) * itemsize(dst.dtype()),
                                  cudaMemcpyDeviceToDevice, stream()));
    return;
  }
  visit_dtype(dst.dtype(), [&](auto to_tag) {
    using To = typename decltype(to_tag)::type;
    visit_dtype(src.dtype(), [&](auto from_tag) {
      convert_into<To, typename decltype(from_tag)::type>(src, dst);
    });
  });
}

void fill(TensorImpl& dst, const Scalar& value) {
  visit_dtype(dst.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    fill_with<T>(dst, value.to<T>());
  });
}

void where(const TensorImpl& cond, const TensorImpl& a, const TensorImpl& b, TensorImpl& out) {
  visit_dtype(out.dtype(), [&](auto tag) { where_as<typename decltype(tag)::type>(cond, a, b, out); });
}

}  // namespace

NB_REGISTER_KERNEL(copy_kernel, kCUDA, copy);
NB_REGISTER_KERNEL(fill_kernel, kCUDA, fill);
NB_REGISTER_KERNEL(where_kernel, kCUDA, where);

}  // namespace nabla::cuda
