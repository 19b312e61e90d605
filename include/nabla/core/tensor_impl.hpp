#pragma once
// What a Tensor handle points to: a storage, an element offset into it, sizes, strides (in
// elements), a dtype, and the autograd state (owned by the autograd layer, opaque here).
#include <memory>

#include "nabla/core/dtype.hpp"
#include "nabla/core/shape.hpp"
#include "nabla/core/storage.hpp"

namespace nabla {

// Base of the autograd layer's per-tensor state; core only owns and destroys it.
struct AutogradMetaBase {
  virtual ~AutogradMetaBase() = default;
};

class TensorImpl final : public RefCounted {
 public:
  TensorImpl(Storage storage, int64_t offset, DimVector sizes, DimVector strides, DType dtype);
  // A fresh row-major tensor over all of `storage`.
  TensorImpl(Storage storage, IntArrayRef sizes, DType dtype);
  static void* operator new(size_t nbytes);
  static void operator delete(void* self, size_t nbytes) noexcept;

  const Storage& storage() const { return storage_; }
  int64_t offset() const { return offset_; }
  const DimVector& sizes() const { return sizes_; }
  const DimVector& strides() const { return strides_; }
  int64_t dim() const { return int64_t(sizes_.size()); }
  int64_t numel() const { return numel_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  bool is_contiguous() const { return contiguous_; }
  // Address of element 0 (with the offset applied).
  void* data() const { return static_cast<char*>(storage_->data()) + offset_ * int64_t(itemsize(dtype_)); }
  template <typename T> T* data_as() const { return static_cast<T*>(data()); }

  // Changes the view in place (used by in-place view ops such as squeeze_ and by as_strided_).
  void set_geometry(DimVector sizes, DimVector strides, int64_t offset);
  // Takes src's storage, view and dtype while keeping this tensor's identity and autograd state: what
  // PyTorch's `param.data = src` does (nn::Module::to converts parameters this way).
  void set_data(const TensorImpl& src);

  bool requires_grad() const { return requires_grad_; }
  void set_requires_grad(bool v) { requires_grad_ = v; }
  AutogradMetaBase* autograd_meta() const { return autograd_.get(); }
  void set_autograd_meta(std::unique_ptr<AutogradMetaBase> m) { autograd_ = std::move(m); }

 private:
  void refresh();
  Storage storage_;
  int64_t offset_;
  DimVector sizes_, strides_;
  int64_t numel_ = 1;
  DType dtype_;
  bool contiguous_ = true;
  bool requires_grad_ = false;
  std::unique_ptr<AutogradMetaBase> autograd_;
};

// Row-major strides for `sizes`.
DimVector contiguous_strides(IntArrayRef sizes);

}  // namespace nabla
