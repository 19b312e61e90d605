#pragma once
// The Tensor handle: a reference to a TensorImpl. Copies share the tensor (as in PyTorch);
// clone() copies the data. Methods forward to the free functions of ops.hpp.
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/scalar.hpp"
#include "nabla/core/tensor_impl.hpp"
#include "nabla/tensor_options.hpp"

namespace nabla {

class TensorIndex;
class Generator;
class Node;
namespace np {
class ndarray;
}

// One dim or several: accepts `1`, `{0, 2}` or a span.
struct Dims {
  DimVector dims;
  Dims(int64_t d) : dims{d} {}
  Dims(int d) : dims{int64_t(d)} {}
  Dims(std::initializer_list<int64_t> d) : dims(d) {}
  Dims(IntArrayRef d) : dims(d) {}
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(IntrusivePtr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return bool(impl_); }
  TensorImpl* impl() const { return impl_.get(); }
  const IntrusivePtr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }

  // Geometry and type.
  const DimVector& sizes() const { return impl_->sizes(); }
  const DimVector& strides() const { return impl_->strides(); }
  const DimVector& shape() const { return sizes(); }
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t dim() const { return impl_->dim(); }
  int64_t ndimension() const { return dim(); }
  int64_t numel() const { return impl_->numel(); }
  DType dtype() const { return impl_->dtype(); }
  DType scalar_type() const { return dtype(); }
  Device device() const { return impl_->device(); }
  bool is_cuda() const { return device().is_cuda(); }
  bool is_contiguous() const { return impl_->is_contiguous(); }
  bool is_floating_point() const { return is_floating(dtype()); }
  int64_t storage_offset() const { return impl_->offset(); }
  size_t element_size() const { return itemsize(dtype()); }
  size_t nbytes() const { return size_t(numel()) * element_size(); }
  void* data_ptr() const { return impl_->data(); }
  template <typename T> T* data_ptr() const;  // checks that T matches dtype()
  TensorOptions options() const { return TensorOptions(dtype()).device(device()); }

  // The single value of a one-element tensor.
  Scalar item() const;
  template <typename T> T item() const { return item().to<T>(); }
  std::string toString() const;  // what operator<< prints

  // Autograd (src/autograd; see autograd.hpp for grad mode and autograd::grad).
  bool requires_grad() const { return impl_->requires_grad(); }
  Tensor& requires_grad_(bool r = true);
  Tensor& set_requires_grad(bool r) { return requires_grad_(r); }
  // The accumulated gradient of a leaf (or of a tensor that retains its grad); undefined when none.
  const Tensor& grad() const;
  Tensor& mutable_grad() const;
  Node* grad_fn() const;  // nullptr for leaves
  bool is_leaf() const { return grad_fn() == nullptr; }
  uint32_t output_nr() const;
  uint32_t _version() const { return impl_->storage()->version(); }
  // gradient may be omitted for a one-element tensor; retain_graph defaults to create_graph.
  void backward(const Tensor& gradient = Tensor(), std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false, const std::vector<Tensor>& inputs = {}) const;
  void retain_grad() const;
  bool retains_grad() const;
  // hook(grad) runs when this tensor's gradient is computed; a defined return value replaces it.
  using Hook = std::function<Tensor(const Tensor&)>;
  uint32_t register_hook(Hook hook) const;
  void remove_hook(uint32_t handle) const;

  // Views: share storage with *this.
  Tensor view(IntArrayRef sizes) const;
  Tensor view_as(const Tensor& o) const { return view(o.sizes()); }
  Tensor reshape(IntArrayRef sizes) const;  // a view when the strides allow, else a copy
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor permute(IntArrayRef dims) const;
  Tensor t() const;  // 2-D transpose (0-D and 1-D unchanged)
  Tensor T() const;  // all dims reversed
  Tensor mT() const;  // last two dims swapped
  Tensor expand(IntArrayRef sizes) const;
  Tensor expand_as(const Tensor& o) const { return expand(o.sizes()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor as_strided(IntArrayRef sizes, IntArrayRef strides, std::optional<int64_t> offset = std::nullopt) const;
  Tensor unfold(int64_t dim, int64_t size, int64_t step) const;
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;

  // Copies and conversions.
  Tensor contiguous() const;  // *this when already contiguous
  Tensor clone() const;
  Tensor& copy_(const Tensor& src);  // broadcasts src, converts dtype and device
  Tensor to(DType dtype, bool copy = false) const;
  Tensor to(Device device, bool copy = false) const;
  Tensor to(const TensorOptions& options, bool copy = false) const;
  Tensor cpu() const { return to(Device(kCPU)); }
  Tensor cuda() const { return to(Device(kCUDA)); }
  // A copy in page-locked host memory, which CUDA transfers read and write directly (asynchronously);
  // this tensor itself when it is pinned already. Needs a CUDA build and a GPU, like torch's.
  Tensor pin_memory() const;
  bool is_pinned() const;
  Tensor detach() const;  // shares storage, drops autograd history
  Tensor& detach_();
  std::vector<Tensor> unbind(int64_t dim = 0) const;
  // An np::ndarray over this tensor's memory (include nabla/np.hpp). Refuses a tensor that requires grad
  // (while grad mode is on), one off the CPU, and bfloat16; force = true detaches and copies as needed.
  np::ndarray numpy(bool force = false) const;

  // Filling and in-place random.
  Tensor& fill_(const Scalar& v);
  Tensor& zero_();
  Tensor& uniform_(double from = 0, double to = 1, Generator* gen = nullptr);
  Tensor& normal_(double mean = 0, double std = 1, Generator* gen = nullptr);
  Tensor& random_(int64_t from, std::optional<int64_t> to, Generator* gen = nullptr);
  Tensor& bernoulli_(double p = 0.5, Generator* gen = nullptr);

  // Unary element-wise.
#define NB_UNARY_METHOD(name) Tensor name() const; Tensor& name##_();
  NB_UNARY_METHOD(neg) NB_UNARY_METHOD(abs) NB_UNARY_METHOD(sign) NB_UNARY_METHOD(exp)
  NB_UNARY_METHOD(expm1) NB_UNARY_METHOD(log) NB_UNARY_METHOD(log1p) NB_UNARY_METHOD(log2)
  NB_UNARY_METHOD(sqrt) NB_UNARY_METHOD(rsqrt) NB_UNARY_METHOD(sin) NB_UNARY_METHOD(cos)
  NB_UNARY_METHOD(tan) NB_UNARY_METHOD(tanh) NB_UNARY_METHOD(sigmoid) NB_UNARY_METHOD(relu)
  NB_UNARY_METHOD(silu) NB_UNARY_METHOD(erf) NB_UNARY_METHOD(floor) NB_UNARY_METHOD(ceil)
  NB_UNARY_METHOD(round) NB_UNARY_METHOD(trunc) NB_UNARY_METHOD(reciprocal)
  NB_UNARY_METHOD(logical_not) NB_UNARY_METHOD(bitwise_not) NB_UNARY_METHOD(square)
#undef NB_UNARY_METHOD
  Tensor gelu(const std::string& approximate = "none") const;
  Tensor isnan() const;
  Tensor isinf() const;
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt) const;
  Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);

  // Binary element-wise (tensor or scalar operand).
  Tensor add(const Tensor& o, const Scalar& alpha = 1) const;
  Tensor add(const Scalar& o, const Scalar& alpha = 1) const;
  Tensor& add_(const Tensor& o, const Scalar& alpha = 1);
  Tensor& add_(const Scalar& o, const Scalar& alpha = 1);
  Tensor sub(const Tensor& o, const Scalar& alpha = 1) const;
  Tensor sub(const Scalar& o, const Scalar& alpha = 1) const;
  Tensor& sub_(const Tensor& o, const Scalar& alpha = 1);
  Tensor& sub_(const Scalar& o, const Scalar& alpha = 1);
  // rounding_mode: "" (true division), "floor" or "trunc".
  Tensor div(const Tensor& o, const std::string& rounding_mode = "") const;
  Tensor div(const Scalar& o, const std::string& rounding_mode = "") const;
  Tensor& div_(const Tensor& o, const std::string& rounding_mode = "");
  Tensor& div_(const Scalar& o, const std::string& rounding_mode = "");
#define NB_BINARY_METHOD(name)                   \
  Tensor name(const Tensor& o) const;            \
  Tensor name(const Scalar& o) const;            \
  Tensor& name##_(const Tensor& o);              \
  Tensor& name##_(const Scalar& o);
  NB_BINARY_METHOD(mul) NB_BINARY_METHOD(floor_divide) NB_BINARY_METHOD(remainder)
  NB_BINARY_METHOD(fmod) NB_BINARY_METHOD(pow) NB_BINARY_METHOD(maximum) NB_BINARY_METHOD(minimum)
  NB_BINARY_METHOD(atan2) NB_BINARY_METHOD(eq) NB_BINARY_METHOD(ne) NB_BINARY_METHOD(lt)
  NB_BINARY_METHOD(le) NB_BINARY_METHOD(gt) NB_BINARY_METHOD(ge) NB_BINARY_METHOD(logical_and)
  NB_BINARY_METHOD(logical_or) NB_BINARY_METHOD(logical_xor) NB_BINARY_METHOD(bitwise_and)
  NB_BINARY_METHOD(bitwise_or) NB_BINARY_METHOD(bitwise_xor)
  NB_BINARY_METHOD(bitwise_left_shift) NB_BINARY_METHOD(bitwise_right_shift)
#undef NB_BINARY_METHOD
  bool equal(const Tensor& o) const;  // same shape and values
  bool allclose(const Tensor& o, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) const;

  // Reductions. `dims` empty is not allowed; call the overload without dims to reduce all.
  Tensor sum(std::optional<DType> dtype = std::nullopt) const;
  Tensor sum(Dims dims, bool keepdim = false, std::optional<DType> dtype = std::nullopt) const;
  Tensor mean(std::optional<DType> dtype = std::nullopt) const;
  Tensor mean(Dims dims, bool keepdim = false, std::optional<DType> dtype = std::nullopt) const;
  Tensor prod(std::optional<DType> dtype = std::nullopt) const;
  Tensor prod(int64_t dim, bool keepdim = false, std::optional<DType> dtype = std::nullopt) const;
  Tensor max() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  Tensor min() const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor amax(Dims dims, bool keepdim = false) const;
  Tensor amin(Dims dims, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  // All dims; pass {} as dims to give a correction (x.var({}, 0)). An int argument means a dim, as in PyTorch.
  Tensor var() const;
  Tensor var(Dims dims, double correction = 1, bool keepdim = false) const;
  Tensor std() const;
  Tensor std(Dims dims, double correction = 1, bool keepdim = false) const;
  Tensor norm(double p = 2) const;
  Tensor norm(double p, Dims dims, bool keepdim = false) const;
  Tensor all() const;
  Tensor all(int64_t dim, bool keepdim = false) const;
  Tensor any() const;
  Tensor any(int64_t dim, bool keepdim = false) const;
  Tensor logsumexp(Dims dims, bool keepdim = false) const;
  Tensor cumsum(int64_t dim, std::optional<DType> dtype = std::nullopt) const;
  Tensor cumprod(int64_t dim, std::optional<DType> dtype = std::nullopt) const;
  Tensor softmax(int64_t dim, std::optional<DType> dtype = std::nullopt) const;
  Tensor log_softmax(int64_t dim, std::optional<DType> dtype = std::nullopt) const;

  // Linear algebra.
  Tensor matmul(const Tensor& o) const;
  Tensor mm(const Tensor& o) const;
  Tensor bmm(const Tensor& o) const;
  Tensor dot(const Tensor& o) const;
  Tensor outer(const Tensor& o) const;

  // Indexing.
  Tensor index(std::initializer_list<TensorIndex> indices) const;
  Tensor index(const std::vector<TensorIndex>& indices) const;
  Tensor& index_put_(std::initializer_list<TensorIndex> indices, const Tensor& value);
  Tensor& index_put_(std::initializer_list<TensorIndex> indices, const Scalar& value);
  Tensor& index_put_(const std::vector<TensorIndex>& indices, const Tensor& value);
  Tensor& index_put_(const std::vector<TensorIndex>& indices, const Scalar& value);
  Tensor operator[](int64_t i) const { return select(0, i); }
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Scalar& value) const;
  Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& scatter_(int64_t dim, const Tensor& index, const Scalar& value);
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor masked_fill(const Tensor& mask, const Scalar& value) const;
  Tensor& masked_fill_(const Tensor& mask, const Scalar& value);
  Tensor masked_select(const Tensor& mask) const;
  Tensor nonzero() const;
  Tensor flip(IntArrayRef dims) const;
  Tensor roll(IntArrayRef shifts, IntArrayRef dims) const;
  Tensor roll(int64_t shift, std::optional<int64_t> dim = std::nullopt) const;
  std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false, bool stable = false) const;
  Tensor argsort(int64_t dim = -1, bool descending = false) const;
  std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> split(IntArrayRef split_sizes, int64_t dim = 0) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;

  // Operators: element-wise, as in PyTorch (comparisons return bool tensors).
  Tensor operator-() const { return neg(); }
  Tensor operator~() const { return bitwise_not(); }
  Tensor& operator+=(const Tensor& o) { return add_(o); }
  Tensor& operator+=(const Scalar& o) { return add_(o); }
  Tensor& operator-=(const Tensor& o) { return sub_(o); }
  Tensor& operator-=(const Scalar& o) { return sub_(o); }
  Tensor& operator*=(const Tensor& o) { return mul_(o); }
  Tensor& operator*=(const Scalar& o) { return mul_(o); }
  Tensor& operator/=(const Tensor& o) { return div_(o); }
  Tensor& operator/=(const Scalar& o) { return div_(o); }

 private:
  IntrusivePtr<TensorImpl> impl_;
};

// What PyTorch's print(t) shows, e.g. "tensor([1, 2, 3])".
std::ostream& operator<<(std::ostream& os, const Tensor& t);

#define NB_TENSOR_OPERATOR(op, fn)                                                       \
  inline Tensor operator op(const Tensor& a, const Tensor& b) { return a.fn(b); }        \
  inline Tensor operator op(const Tensor& a, const Scalar& b) { return a.fn(b); }        \
  Tensor operator op(const Scalar& a, const Tensor& b);
NB_TENSOR_OPERATOR(+, add)
NB_TENSOR_OPERATOR(-, sub)
NB_TENSOR_OPERATOR(*, mul)
NB_TENSOR_OPERATOR(/, div)
NB_TENSOR_OPERATOR(%, remainder)
NB_TENSOR_OPERATOR(==, eq)
NB_TENSOR_OPERATOR(!=, ne)
NB_TENSOR_OPERATOR(<, lt)
NB_TENSOR_OPERATOR(<=, le)
NB_TENSOR_OPERATOR(>, gt)
NB_TENSOR_OPERATOR(>=, ge)
NB_TENSOR_OPERATOR(&, bitwise_and)
NB_TENSOR_OPERATOR(|, bitwise_or)
NB_TENSOR_OPERATOR(^, bitwise_xor)
NB_TENSOR_OPERATOR(<<, bitwise_left_shift)
NB_TENSOR_OPERATOR(>>, bitwise_right_shift)
#undef NB_TENSOR_OPERATOR

}  // namespace nabla
