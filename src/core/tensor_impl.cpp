#include "nabla/core/tensor_impl.hpp"

#include "core/kernels/wrapping.hpp"
#include "core/small_blocks.hpp"

namespace nabla {

namespace {

void fill_contiguous_strides(IntArrayRef sizes, DimVector& strides) {
  int64_t s = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = s;
    // Wraps like PyTorch's: beyond int64 only for a tensor with no elements (a 0 in an earlier dim,
    // or the allocation would have failed), whose strides address nothing.
    s = wrapping_mul(s, sizes[i] > 1 ? sizes[i] : int64_t(1));
  }
}

}  // namespace

DimVector contiguous_strides(IntArrayRef sizes) {
  DimVector strides(sizes.size());
  fill_contiguous_strides(sizes, strides);
  return strides;
}

TensorImpl::TensorImpl(Storage storage, int64_t offset, DimVector sizes, DimVector strides, DType dtype)
    : storage_(std::move(storage)), offset_(offset), sizes_(std::move(sizes)), strides_(std::move(strides)),
      dtype_(dtype) {
  refresh();
}

TensorImpl::TensorImpl(Storage storage, IntArrayRef sizes, DType dtype)
    : storage_(std::move(storage)), offset_(0), sizes_(sizes), strides_(sizes.size()), numel_(numel_of(sizes)),
      dtype_(dtype) {
  fill_contiguous_strides(sizes, strides_);
}

void* TensorImpl::operator new(size_t nbytes) { return small_block_alloc(nbytes); }
void TensorImpl::operator delete(void* self, size_t nbytes) noexcept { small_block_free(self, nbytes); }

void TensorImpl::set_geometry(DimVector sizes, DimVector strides, int64_t offset) {
  sizes_ = std::move(sizes);
  strides_ = std::move(strides);
  offset_ = offset;
  refresh();
}

void TensorImpl::set_data(const TensorImpl& src) {
  storage_ = src.storage_;
  offset_ = src.offset_;
  sizes_ = src.sizes_;
  strides_ = src.strides_;
  dtype_ = src.dtype_;
  refresh();
}

// Contiguous as PyTorch defines it: strides of size-1 dims don't matter.
void TensorImpl::refresh() {
  numel_ = numel_of(sizes_);
  contiguous_ = true;
  int64_t expected = 1;
  for (size_t i = sizes_.size(); i-- > 0;) {
    if (sizes_[i] == 1) continue;
    if (strides_[i] != expected) { contiguous_ = false; break; }
    expected = wrapping_mul(expected, sizes_[i]);  // as contiguous_strides computes them
  }
  if (numel_ == 0) contiguous_ = true;
}

}  // namespace nabla
