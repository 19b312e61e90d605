// Indexing: t.index({...}) and index_put_ with Python's rules, index_select, gather, scatter,
// masked_fill, masked_select, nonzero. Every op here reduces to element offsets and the few
// kernels of core/kernels/index.hpp; basic indexing (ints, slices, None, ...) only makes views.
// Gradients: what reads elements puts its gradient back with index_put/scatter_add, and what
// writes them reads theirs with index/gather; these are differentiable again.
#include <span>
#include <string>
#include <vector>

#include "autograd/function.hpp"
#include "core/kernels/copy.hpp"
#include "core/kernels/index.hpp"
#include "nabla/index.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

// A view of base's storage (from base's offset) with the given geometry.
Tensor restrided(const Tensor& base, DimVector sizes, DimVector strides) {
  return Tensor(make_intrusive<TensorImpl>(base.impl()->storage(), base.storage_offset(), std::move(sizes),
                                           std::move(strides), base.dtype()));
}

bool is_mask_dtype(DType d) { return d == kBool || d == kUInt8; }

bool broadcasts_to(IntArrayRef from, IntArrayRef to) {
  if (from.size() > to.size()) return false;
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

bool shares_storage(const Tensor& a, const Tensor& b) { return a.impl()->storage() == b.impl()->storage(); }

// gather/scatter/index_select treat a 0-d tensor as a 1-d one of one element, as PyTorch does.
Tensor at_least_1d(const Tensor& t) { return t.dim() == 0 ? t.unsqueeze(0) : t; }

// An index tensor and the dim of the indexed tensor it addresses.
struct DimIndex {
  int64_t dim;
  Tensor index;
};

// int64 offsets of `shape`: the sum over `dims` of index * base.stride(dim), each index broadcast to
// `shape`. Checks every index against base.size(dim) before anything is written anywhere.
Tensor element_offsets(IntArrayRef shape, const Tensor& base, std::span<const DimIndex> dims, bool wrap_negative,
                       const char* op_prefix) {
  Tensor offsets = make_empty(shape, kInt64, base.device());
  fill_kernel(base.device())(*offsets.impl(), 0);
  for (const DimIndex& d : dims) {
    NB_CHECK(d.index.device() == base.device(), RuntimeError, op_prefix,
             "Expected all tensors to be on the same device, but found at least two devices, ", base.device().str(),
             " and ", d.index.device().str(), "! Move the index with .to(device) first.");
    int64_t size = base.size(d.dim);
    auto bad = index_offsets_kernel(base.device())(*offsets.impl(), *d.index.impl(), size, base.stride(d.dim),
                                                   wrap_negative);
    NB_CHECK(!bad, IndexError, op_prefix, "index ", *bad, " is out of bounds for dimension ", d.dim, " with size ",
             size);
  }
  return offsets;
}

// Advanced indexing of `self` by index tensors at increasing dims, as NumPy/PyTorch define it: the
// index tensors broadcast to one shape B; the result has B in place of the indexed dims when these
// are adjacent, else B first and the other dims after. `src` is self restrided to the result's
// shape (zero strides over B) and `offsets` adds the indexed part, so that
// result[i] = *(&src[i] + offsets[i]).
struct AdvancedIndex {
  DimVector shape;
  Tensor src, offsets;
};

AdvancedIndex advanced_index(const Tensor& self, std::span<const DimIndex> dims, bool wrap_negative = true,
                             const char* op_prefix = "") {
  DimVector index_shape = dims[0].index.sizes();
  for (size_t i = 1; i < dims.size(); ++i) {
    try {
      index_shape = broadcast_shapes(index_shape, dims[i].index.sizes());
    } catch (const RuntimeError&) {
      std::string shapes;
      for (const DimIndex& d : dims) shapes += (shapes.empty() ? "" : ", ") + shape_str(d.index.sizes());
      fail<IndexError>(op_prefix, "shape mismatch: indexing tensors could not be broadcast together with shapes ",
                       shapes);
    }
  }
  bool adjacent = true;
  DimVector indexed(size_t(self.dim()), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    indexed[size_t(dims[i].dim)] = 1;
    if (i > 0) adjacent = adjacent && dims[i].dim == dims[i - 1].dim + 1;
  }
  AdvancedIndex a;
  DimVector src_strides, offset_strides;
  const DimVector index_strides = contiguous_strides(index_shape);
  auto push_index_dims = [&] {
    for (size_t k = 0; k < index_shape.size(); ++k) {
      a.shape.push_back(index_shape[k]);
      src_strides.push_back(0);
      offset_strides.push_back(index_strides[k]);
    }
  };
  if (!adjacent) push_index_dims();
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (indexed[size_t(d)]) {
      if (adjacent && d == dims[0].dim) push_index_dims();
      continue;
    }
    a.shape.push_back(self.size(d));
    src_strides.push_back(self.stride(d));
    offset_strides.push_back(0);
  }
  if (numel_of(a.shape) == 0) {
    // Nothing is read, so the index values go unchecked, except that a non-empty index cannot
    // address an empty dim (as in PyTorch).
    for (const DimIndex& d : dims)
      NB_CHECK(self.size(d.dim) != 0 || d.index.numel() == 0, IndexError, op_prefix, "index is out of bounds for dimension ",
               d.dim, " with size 0");
    a.offsets = make_empty(index_shape, kInt64, self.device());
  } else {
    a.offsets = element_offsets(index_shape, self, dims, wrap_negative, op_prefix);
  }
  a.offsets = restrided(a.offsets, a.shape, std::move(offset_strides));
  a.src = restrided(self, a.shape, std::move(src_strides));
  return a;
}

// PyTorch drops a value's leading size-1 dims before broadcasting it into an indexing result.
Tensor strip_leading_ones(Tensor v) {
  while (v.dim() > 0 && v.size(0) == 1) v = v.select(0, 0);
  return v;
}

// The index tensors of `dims`, saved by a node, and the dims they address.
void save_indices(FunctionNode& node, std::span<const DimIndex> dims) {
  for (const DimIndex& d : dims) node.save(d.index);
}
std::vector<DimIndex> saved_indices(FunctionNode& node, const DimVector& dim_numbers) {
  std::vector<DimIndex> dims;
  for (size_t i = 0; i < dim_numbers.size(); ++i) dims.push_back({dim_numbers[i], node.saved(i)});
  return dims;
}
DimVector dim_numbers(std::span<const DimIndex> dims) {
  DimVector out;
  for (const DimIndex& d : dims) out.push_back(d.dim);
  return out;
}

Tensor gather_advanced(const Tensor& self, std::span<const DimIndex> dims, bool wrap_negative = true,
                       const char* op_prefix = "", const char* grad_name = "IndexBackward0");

// index_put out of place: a copy of `self` (read as one flat dim when `flat`) with copy[dims] =
// values, or += values when accumulating. Gradients: values get g[dims]; self gets g, with the
// overwritten elements zeroed unless accumulating.
Tensor put_copy(const Tensor& self, std::span<const DimIndex> dims, const Tensor& values, bool accumulate,
                bool flat = false) {
  Tensor out = make_empty(self.sizes(), self.dtype(), self.device());
  copy_kernel(self.device())(*self.impl(), *out.impl());
  DimVector stripped_sizes;
  {
    NoGradGuard no_grad;
    AdvancedIndex a = advanced_index(flat ? out.view({-1}) : out, dims);
    Tensor v = strip_leading_ones(values);
    NB_CHECK(broadcasts_to(v.sizes(), a.shape), RuntimeError, "shape mismatch: value tensor of shape ",
             shape_str(values.sizes()), " cannot be broadcast to indexing result of shape ", shape_str(a.shape));
    if (a.src.numel() > 0) index_put_kernel(self.device())(*a.src.impl(), *a.offsets.impl(), *v.impl(), accumulate);
    stripped_sizes = v.sizes();
  }
  if (is_floating(self.dtype()) && grad_needed(self, values)) {
    auto node = make_node("IndexPutBackward0", {&self, &values},
                          [accumulate, flat, stripped_sizes, numbers = dim_numbers(dims), sizes = self.sizes(),
                           value_sizes = values.sizes()](FunctionNode& n, Grads& g) -> Grads {
      const std::vector<DimIndex> at = saved_indices(n, numbers);
      const Tensor grad = flat ? g[0].reshape({-1}) : g[0];
      Tensor gself, gvalues;
      if (n.needs_grad(0) && !accumulate) {
        const Tensor cleared = put_copy(grad, at, zeros({}, grad.options()), false);
        gself = flat ? cleared.view(sizes) : cleared;
      } else if (n.needs_grad(0)) {
        gself = g[0];
      }
      if (n.needs_grad(1)) gvalues = sum_to(gather_advanced(grad, at), stripped_sizes).reshape(value_sizes);
      return {gself, gvalues};
    });
    save_indices(*node, dims);
    set_history(out, std::move(node));
  }
  return out;
}

Tensor gather_advanced(const Tensor& self, std::span<const DimIndex> dims, bool wrap_negative, const char* op_prefix,
                       const char* grad_name) {
  AdvancedIndex a = advanced_index(self, dims, wrap_negative, op_prefix);
  Tensor out = make_empty(a.shape, self.dtype(), self.device());
  index_kernel(self.device())(*out.impl(), *a.src.impl(), *a.offsets.impl());
  if (is_floating(self.dtype()) && grad_needed(self)) {
    auto node = make_node(grad_name, {&self}, [numbers = dim_numbers(dims), sizes = self.sizes()](FunctionNode& n,
                                                                                                  Grads& g) -> Grads {
      return {put_copy(zeros(sizes, g[0].options()), saved_indices(n, numbers), g[0], /*accumulate=*/true)};
    });
    save_indices(*node, dims);
    set_history(out, std::move(node));
  }
  return out;
}

// v with dims [d, d + k) merged into one, when their strides allow it (a view, which keeps v's
// autograd history); undefined otherwise.
Tensor merge_dims(const Tensor& v, int64_t d, int64_t k) {
  for (int64_t j = d; j + 1 < d + k; ++j)
    if (v.stride(j) != v.stride(j + 1) * v.size(j + 1)) return Tensor();
  return v.flatten(d, d + k - 1);
}

Tensor bool_index(bool value, Device device) {
  Tensor t = make_empty({value ? 1 : 0}, kInt64, device);
  fill_kernel(device)(*t.impl(), 0);
  return t;
}

// What the basic indices (ints, slices, None, Ellipsis) leave: a view of self, plus the index
// tensors (masks already turned into their nonzero() columns) still to apply to that view.
struct BasicIndexed {
  Tensor view;
  std::vector<DimIndex> tensors;
};

BasicIndexed apply_basic_indices(const Tensor& self, std::span<const TensorIndex> indices) {
  using Kind = TensorIndex::Kind;
  int64_t specified = 0, ellipses = 0;
  for (const TensorIndex& i : indices) {
    if (i.kind() == Kind::kInteger || i.kind() == Kind::kSlice) ++specified;
    if (i.kind() == Kind::kEllipsis) ++ellipses;
    if (i.kind() == Kind::kTensor) {
      check_defined(i.tensor(), "index");
      check_same_device(self, i.tensor(), "index");
      specified += is_mask_dtype(i.tensor().dtype()) ? i.tensor().dim() : 1;
    }
  }
  NB_CHECK(ellipses <= 1, IndexError, "an index can only have a single ellipsis ('...')");
  NB_CHECK(specified <= self.dim(), IndexError, "too many indices for tensor of dimension ", self.dim());

  BasicIndexed r{self, {}};
  int64_t d = 0;     // the dim of r.view the next index applies to
  int64_t real = 0;  // the same dim in self, for messages
  auto select = [&](int64_t i) {
    int64_t n = r.view.size(d);
    NB_CHECK(i >= -n && i < n, IndexError, "index ", i, " is out of bounds for dimension ", real, " with size ", n);
    r.view = r.view.select(d, i);
    ++real;
  };
  auto new_axis_indexed_by = [&](bool keep) {
    r.view = r.view.unsqueeze(d);
    r.tensors.push_back({d++, bool_index(keep, self.device())});
  };
  for (const TensorIndex& i : indices) {
    switch (i.kind()) {
      case Kind::kInteger: select(i.integer()); break;
      case Kind::kSlice: {
        const Slice& s = i.slice();
        NB_CHECK(s.step != 0, ValueError, "slice step cannot be zero");
        NB_CHECK(s.step > 0, ValueError, "step must be greater than zero (got ", s.step,
                 "); use flip() to reverse a dimension");
        r.view = r.view.slice(d++, s.start, s.stop, s.step);
        ++real;
        break;
      }
      case Kind::kNone: r.view = r.view.unsqueeze(d++); break;
      case Kind::kEllipsis:
        d += self.dim() - specified;
        real += self.dim() - specified;
        break;
      case Kind::kBool: new_axis_indexed_by(i.integer() != 0); break;
      case Kind::kTensor: {
        const Tensor& t = i.tensor();
        if (is_mask_dtype(t.dtype())) {
          if (t.dim() == 0) {
            new_axis_indexed_by(t.item<bool>());
            break;
          }
          for (int64_t j = 0; j < t.dim(); ++j)
            NB_CHECK(t.size(j) == r.view.size(d + j), IndexError, "The shape of the mask ", shape_str(t.sizes()),
                     " at index ", j, " does not match the shape of the indexed tensor ", shape_str(r.view.sizes()),
                     " at index ", d + j);
          if (Tensor merged = merge_dims(r.view, d, t.dim()); merged.defined()) {
            r.view = merged;  // one index column instead of one per mask dim
            r.tensors.push_back({d++, t.reshape({-1}).nonzero().select(1, 0)});
          } else {
            Tensor coords = t.nonzero();
            for (int64_t j = 0; j < t.dim(); ++j) r.tensors.push_back({d++, coords.select(1, j)});
          }
          real += t.dim();
        } else if (t.dim() == 0 && is_integral(t.dtype(), false)) {
          select(t.item<int64_t>());
        } else {
          NB_CHECK(t.dtype() == kInt64, IndexError, "tensors used as indices must be long, byte or bool tensors (got ",
                   dtype_str(t.dtype()), ")");
          r.tensors.push_back({d++, t});
          ++real;
        }
        break;
      }
    }
  }
  return r;
}

// self[indices] = values for indices with at least one tensor; values has self's dtype.
void put_advanced(Tensor& self, const BasicIndexed& b, Tensor values) {
  AdvancedIndex a = advanced_index(b.view, b.tensors);
  values = strip_leading_ones(values);
  NB_CHECK(broadcasts_to(values.sizes(), a.shape), RuntimeError, "shape mismatch: value tensor of shape ",
           shape_str(values.sizes()), " cannot be broadcast to indexing result of shape ", shape_str(a.shape));
  if (shares_storage(values, self)) values = values.clone();
  begin_write(self, "index_put_");
  index_put_kernel(self.device())(*a.src.impl(), *a.offsets.impl(), *values.impl(), false);
}

// gather and scatter address self[i][index[i][j][k]][k] (for dim 1): self restrided to index's
// shape with a zero stride along dim, plus offsets along dim.
struct AlongDim {
  Tensor target, offsets;
};

AlongDim along_dim(const Tensor& self, int64_t dim, const Tensor& index, const std::string& op_prefix) {
  DimVector strides = self.strides();
  strides[size_t(dim)] = 0;
  DimIndex d{dim, index};
  return {restrided(self, index.sizes(), std::move(strides)),
          element_offsets(index.sizes(), self, {&d, 1}, false, op_prefix.c_str())};
}

// scatter_ / scatter_add_ with a tensor `src` or a scalar `value`.
void scatter_impl(Tensor& self, int64_t dim, const Tensor& index, const Tensor* src, const Scalar* value,
                  bool accumulate, const char* op) {
  const std::string prefix = std::string(op) + "(): ";
  check_defined(self, op);
  check_defined(index, op);
  check_same_device(self, index, op);
  NB_CHECK(index.dtype() == kInt64, RuntimeError, prefix, "Expected dtype int64 for index (got ",
           dtype_str(index.dtype()), ")");
  Tensor s = at_least_1d(self), idx = at_least_1d(index);
  NB_CHECK(s.dim() == idx.dim(), RuntimeError, prefix,
           "Index tensor must have the same number of dimensions as self tensor (", idx.dim(), " vs ", s.dim(), ")");
  Tensor values;
  if (src) {
    check_defined(*src, op);
    check_same_device(self, *src, op);
    NB_CHECK(src->dtype() == self.dtype(), RuntimeError, prefix, "Expected self.dtype to be equal to src.dtype (got ",
             dtype_str(self.dtype()), " and ", dtype_str(src->dtype()), ")");
    values = at_least_1d(*src);
    NB_CHECK(values.dim() == idx.dim(), RuntimeError, prefix,
             "Index tensor must have the same number of dimensions as src tensor (", idx.dim(), " vs ", values.dim(), ")");
  } else {
    values = scalar_tensor(*value, self.dtype(), self.device());
  }
  int64_t d = wrap_dim(dim, s.dim(), op);
  bool fits = true;
  for (int64_t k = 0; k < idx.dim(); ++k)
    fits = fits && (k == d || idx.size(k) <= s.size(k)) && (!src || idx.size(k) <= values.size(k));
  NB_CHECK(fits, RuntimeError, prefix, "Expected index ", shape_str(index.sizes()), " to be smaller than self ",
           shape_str(self.sizes()), " apart from dimension ", d, src ? " and to be smaller size than src " : "",
           src ? shape_str(src->sizes()) : "");
  if (idx.numel() == 0) return;
  AlongDim a = along_dim(s, d, idx, prefix);
  if (src) {
    values = restrided(values, idx.sizes(), values.strides());
    if (shares_storage(values, self)) values = values.clone();
  }
  begin_write(self, op);
  index_put_kernel(self.device())(*a.target.impl(), *a.offsets.impl(), *values.impl(), accumulate);
}

// g gathered back to the shape of src, which may be larger than the index: the elements of src that
// no index reads get a zero gradient.
Tensor gathered_for_src(const Tensor& g, int64_t dim, const Tensor& index, IntArrayRef src_sizes) {
  Tensor r = g.gather(dim, index);
  for (int64_t k = 0; k < r.dim(); ++k) {
    const int64_t missing = src_sizes[size_t(k)] - r.size(k);
    if (missing == 0) continue;
    DimVector pad_shape = r.sizes();
    pad_shape[size_t(k)] = missing;
    r = cat({r, zeros(pad_shape, r.options())}, k);
  }
  return r;
}

// scatter/scatter_add out of place, with their gradients: src reads its elements back with gather;
// self's gradient is g, with the overwritten elements zeroed unless accumulating.
Tensor scatter_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor* src, const Scalar* value,
                    bool accumulate, const char* op) {
  check_defined(self, op);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = self.clone();
    scatter_impl(out, dim, index, src, value, accumulate, op);
  }
  const Tensor no_src;
  const Tensor& source = src ? *src : no_src;
  if (!is_floating(self.dtype()) || !(grad_needed(self) || (src && grad_needed(*src)))) return out;
  const int64_t d = wrap_dim(dim, std::max<int64_t>(self.dim(), 1), op);
  const char* name = accumulate ? "ScatterAddBackward0" : src ? "ScatterBackward0" : "ScatterBackward1";
  const DimVector src_sizes = src ? src->sizes() : DimVector();
  auto node = make_node(name, {&self, &source}, [d, accumulate, src_sizes](FunctionNode& n, Grads& g) -> Grads {
    const Tensor idx = n.saved(0);
    Tensor gself, gsrc;
    if (n.needs_grad(0)) gself = accumulate ? g[0] : g[0].scatter(d, idx, Scalar(0));
    if (n.needs_grad(1)) {
      // A 0-d src with a one-element index: the node sums the gradient to src's shape.
      gsrc = src_sizes.size() == size_t(idx.dim()) ? gathered_for_src(g[0], d, idx, src_sizes) : g[0].gather(d, idx);
    }
    return {gself, gsrc};
  });
  node->save(index);
  set_history(out, std::move(node));
  return out;
}

Tensor mask_as_bool(const Tensor& self, const Tensor& mask, const char* op) {
  check_defined(self, op);
  check_defined(mask, op);
  check_same_device(self, mask, op);
  NB_CHECK(is_mask_dtype(mask.dtype()), RuntimeError, op, ": only supports boolean masks, but got mask with dtype ",
           dtype_str(mask.dtype()));
  return mask.to(kBool);
}

}  // namespace

Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const {
  return index(std::vector<TensorIndex>(indices));
}

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const {
  check_defined(*this, "index");
  BasicIndexed b = apply_basic_indices(*this, indices);
  if (b.tensors.empty()) return b.view;
  return gather_advanced(b.view, b.tensors);
}

namespace {

// self with self[indices] = value, out of place: the flat positions of the indexed elements, found by
// indexing a tensor of positions the same way, receive the value.
Tensor index_put_copy(const Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& value) {
  const Tensor grid = arange(self.numel(), TensorOptions(kInt64).device(self.device())).view(self.sizes());
  const BasicIndexed b = apply_basic_indices(grid, indices);
  NB_CHECK(b.tensors.empty() || value.dtype() == self.dtype(), RuntimeError,
           "Index put requires the source and destination dtypes match, got ", dtype_str(self.dtype()),
           " for the destination and ", dtype_str(value.dtype()), " for the source.");
  const DimIndex positions{0, b.tensors.empty() ? b.view : gather_advanced(b.view, b.tensors)};
  return put_copy(self, {&positions, 1}, value.to(self.dtype()), /*accumulate=*/false, /*flat=*/true);
}

}  // namespace

Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& value) {
  return index_put_(std::vector<TensorIndex>(indices), value);
}

Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Scalar& value) {
  return index_put_(std::vector<TensorIndex>(indices), value);
}

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& value) {
  check_defined(*this, "index_put_");
  check_defined(value, "index_put_");
  check_same_device(*this, value, "index_put_");
  if (grad_needed(*this, value))
    return record_inplace(*this, "index_put_", [&] { return index_put_copy(*this, indices, value); });
  BasicIndexed b = apply_basic_indices(*this, indices);
  if (b.tensors.empty()) {
    b.view.copy_(strip_leading_ones(value));
    return *this;
  }
  NB_CHECK(value.dtype() == dtype(), RuntimeError, "Index put requires the source and destination dtypes match, got ",
           dtype_str(dtype()), " for the destination and ", dtype_str(value.dtype()), " for the source.");
  put_advanced(*this, b, value);
  return *this;
}

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Scalar& value) {
  check_defined(*this, "index_put_");
  if (grad_needed(*this)) return index_put_(indices, scalar_tensor(value, dtype(), device()));
  BasicIndexed b = apply_basic_indices(*this, indices);
  if (b.tensors.empty()) {
    b.view.fill_(value);
    return *this;
  }
  put_advanced(*this, b, scalar_tensor(value, dtype(), device()));
  return *this;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined(x, "index_select");
  check_defined(index, "index_select");
  check_same_device(x, index, "index_select");
  NB_CHECK(index.dtype() == kInt64 || index.dtype() == kInt32, RuntimeError,
           "index_select(): Expected dtype int32 or int64 for index (got ", dtype_str(index.dtype()), ")");
  NB_CHECK(index.dim() <= 1, IndexError, "index_select(): Index is supposed to be a vector, got shape ",
           shape_str(index.sizes()));
  Tensor self = at_least_1d(x);
  DimIndex d{wrap_dim(dim, self.dim(), "index_select"), at_least_1d(index)};
  Tensor out = gather_advanced(self, {&d, 1}, false, "index_select(): ", "IndexSelectBackward0");
  // A 0-d input gives a 0-d result (PyTorch's rule).
  return x.dim() == 0 && out.numel() > 0 ? out.select(0, 0) : out;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined(x, "gather");
  check_defined(index, "gather");
  check_same_device(x, index, "gather");
  NB_CHECK(index.dtype() == kInt64, RuntimeError, "gather(): Expected dtype int64 for index (got ",
           dtype_str(index.dtype()), ")");
  Tensor self = at_least_1d(x), idx = at_least_1d(index);
  NB_CHECK(self.dim() == idx.dim(), RuntimeError,
           "gather(): Index tensor must have the same number of dimensions as input tensor (", idx.dim(), " vs ",
           self.dim(), ")");
  int64_t d = wrap_dim(dim, self.dim(), "gather");
  for (int64_t k = 0; k < idx.dim(); ++k)
    NB_CHECK(k == d || idx.size(k) <= self.size(k), RuntimeError, "gather(): Size does not match at dimension ", k,
             " expected index ", shape_str(index.sizes()), " to be smaller than self ", shape_str(x.sizes()),
             " apart from dimension ", d);
  Tensor out = make_empty(idx.sizes(), x.dtype(), x.device());
  if (idx.numel() > 0) {
    AlongDim a = along_dim(self, d, idx, "gather(): ");
    index_kernel(x.device())(*out.impl(), *a.target.impl(), *a.offsets.impl());
  }
  if (is_floating(x.dtype()) && grad_needed(self)) {
    auto node = make_node("GatherBackward0", {&self}, [d, sizes = self.sizes()](FunctionNode& n, Grads& g) -> Grads {
      return {zeros(sizes, g[0].options()).scatter_add(d, n.saved(0), g[0])};
    });
    node->save(idx);
    set_history(out, std::move(node));
  }
  return index.dim() == 0 ? out.select(0, 0) : out;
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) { return x.scatter(dim, index, src); }
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return x.scatter_add(dim, index, src);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value) {
  Tensor m = mask_as_bool(x, mask, "masked_fill");
  Tensor out = make_empty(broadcast_shapes(x.sizes(), m.sizes()), x.dtype(), x.device());
  Tensor v = scalar_tensor(value, x.dtype(), x.device());
  where_kernel(x.device())(*m.impl(), *v.impl(), *x.impl(), *out.impl());
  if (is_floating(x.dtype()) && grad_needed(x)) {
    auto node = make_node("MaskedFillBackward0", {&x}, [](FunctionNode& n, Grads& g) -> Grads {
      return {where(n.saved(0), Scalar(0), g[0])};
    });
    node->save(m);
    set_history(out, std::move(node));
  }
  return out;
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return nabla::index_select(*this, dim, index); }
Tensor Tensor::gather(int64_t dim, const Tensor& index) const { return nabla::gather(*this, dim, index); }

Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Tensor& src) const {
  return scatter_copy(*this, dim, index, &src, nullptr, false, "scatter");
}

Tensor Tensor::scatter(int64_t dim, const Tensor& index, const Scalar& value) const {
  return scatter_copy(*this, dim, index, nullptr, &value, false, "scatter");
}

Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Tensor& src) {
  if (grad_needed(*this, src))
    return record_inplace(*this, "scatter_",
                          [&] { return scatter_copy(*this, dim, index, &src, nullptr, false, "scatter"); });
  scatter_impl(*this, dim, index, &src, nullptr, false, "scatter");
  return *this;
}

Tensor& Tensor::scatter_(int64_t dim, const Tensor& index, const Scalar& value) {
  if (grad_needed(*this))
    return record_inplace(*this, "scatter_",
                          [&] { return scatter_copy(*this, dim, index, nullptr, &value, false, "scatter"); });
  scatter_impl(*this, dim, index, nullptr, &value, false, "scatter");
  return *this;
}

Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return scatter_copy(*this, dim, index, &src, nullptr, true, "scatter_add");
}

Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index, const Tensor& src) {
  if (grad_needed(*this, src)) {
    return record_inplace(*this, "scatter_add_",
                          [&] { return scatter_copy(*this, dim, index, &src, nullptr, true, "scatter_add"); });
  }
  scatter_impl(*this, dim, index, &src, nullptr, true, "scatter_add");
  return *this;
}

Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const { return nabla::masked_fill(*this, mask, value); }

Tensor& Tensor::masked_fill_(const Tensor& mask, const Scalar& value) {
  Tensor m = mask_as_bool(*this, mask, "masked_fill_");
  NB_CHECK(broadcasts_to(m.sizes(), sizes()), RuntimeError, "masked_fill_: mask of shape ", shape_str(m.sizes()),
           " cannot be broadcast to the tensor's shape ", shape_str(sizes()));
  if (grad_needed(*this))
    return record_inplace(*this, "masked_fill_", [&] { return nabla::masked_fill(*this, m, value); });
  Tensor v = scalar_tensor(value, dtype(), device());
  begin_write(*this, "masked_fill_");
  where_kernel(device())(*m.impl(), *v.impl(), *impl(), *impl());
  return *this;
}

Tensor Tensor::masked_select(const Tensor& mask) const {
  check_defined(*this, "masked_select");
  check_defined(mask, "masked_select");
  check_same_device(*this, mask, "masked_select");
  NB_CHECK(is_mask_dtype(mask.dtype()), RuntimeError, "masked_select: expected BoolTensor or ByteTensor for mask (got ",
           dtype_str(mask.dtype()), ")");
  DimVector shape = broadcast_shapes(sizes(), mask.sizes());
  if (shape.empty()) shape.push_back(1);
  return expand(shape).index({mask.expand(shape)});
}

Tensor Tensor::nonzero() const {
  check_defined(*this, "nonzero");
  int64_t n = count_nonzero_kernel(device())(*impl());
  Tensor out = make_empty({n, dim()}, kInt64, device());
  nonzero_kernel(device())(*impl(), *out.impl());
  return out;
}

}  // namespace nabla
