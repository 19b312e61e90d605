// Views: new sizes/strides/offset over the same storage. No data moves here. A view of a tensor that
// requires grad records how its gradient maps back to the input.
#include <algorithm>
#include <optional>

#include "autograd/function.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

// How a view's gradient returns to its input's shape.
struct ViewGrad {
  enum Kind : uint8_t { kNone, kReshape, kPermute, kExpand, kGeneric };
  Kind kind = kNone;
  const char* name = nullptr;
  DimVector perm = {};  // kPermute: view dim i is input dim perm[i]
};

struct Geometry {
  DimVector sizes, strides;
  int64_t offset;
};

Tensor make_view(const Tensor& base, DimVector sizes, DimVector strides, int64_t offset, ViewGrad how = {});

// The lowest and highest storage positions that a geometry with elements addresses.
std::pair<int64_t, int64_t> extent(const Geometry& geo) {
  const OffsetRange range = offset_range(geo.sizes, geo.strides);
  return {geo.offset + range.lowest, geo.offset + range.highest};
}

// Any view: the flat input index of every view element, found through the storage positions both
// address, receives that element's gradient (scatter_add, so overlapping views such as unfold add up).
Tensor generic_view_backward(const Tensor& g, const Geometry& in, const Geometry& view) {
  const int64_t n = numel_of(in.sizes);
  if (n == 0 || numel_of(view.sizes) == 0) return zeros(in.sizes, g.options());
  const TensorOptions index_options = TensorOptions(kInt64).device(g.device());
  Tensor flat_index = arange(n, index_options);
  const auto [view_lo, view_hi] = extent(view);
  Tensor index;
  if (contiguous_strides(in.sizes) == in.strides && view_lo >= in.offset && view_hi < in.offset + n) {
    index = make_view(flat_index, view.sizes, view.strides, view.offset - in.offset);
  } else {
    const auto [in_lo, in_hi] = extent(in);
    const int64_t lo = std::min(in_lo, view_lo), hi = std::max(in_hi, view_hi);
    Tensor positions = full({hi - lo + 1}, -1, index_options);
    make_view(positions, in.sizes, in.strides, in.offset - lo).copy_(flat_index.view(in.sizes));
    index = make_view(positions, view.sizes, view.strides, view.offset - lo);
  }
  return zeros({n}, g.options()).scatter_add(0, index.reshape({-1}), g.reshape({-1})).view(in.sizes);
}

Tensor view_backward(const Tensor& g, const ViewGrad& how, const Geometry& in, const Geometry& view) {
  switch (how.kind) {
    case ViewGrad::kReshape: return g.reshape(in.sizes);
    case ViewGrad::kPermute: {
      DimVector inverse(how.perm.size());
      for (size_t i = 0; i < how.perm.size(); ++i) inverse[size_t(how.perm[i])] = int64_t(i);
      return g.permute(inverse);
    }
    case ViewGrad::kExpand: return g;  // the node sums it back to the input's shape
    default: return generic_view_backward(g, in, view);
  }
}

Tensor make_view(const Tensor& base, DimVector sizes, DimVector strides, int64_t offset, ViewGrad how) {
  // Huge sizes (expand, view or as_strided to 2^62 x 4, ...) would overflow numel and give a tensor
  // whose element count disagrees with its shape; refuse them as PyTorch does.
  int64_t numel = 1;
  for (int64_t s : sizes)
    NB_CHECK(!__builtin_mul_overflow(numel, s, &numel), RuntimeError,
             "numel: integer multiplication overflow for the view of shape ", shape_str(sizes));
  Tensor view(make_intrusive<TensorImpl>(base.impl()->storage(), offset, sizes, strides, base.dtype()));
  if (how.kind != ViewGrad::kNone && grad_needed(base)) {
    Geometry in{base.sizes(), base.strides(), base.storage_offset()}, out{std::move(sizes), std::move(strides), offset};
    set_history(view, make_node(how.name, {&base}, [how = std::move(how), in = std::move(in), out = std::move(out)](
                                                        FunctionNode&, Grads& g) -> Grads {
      return {view_backward(g[0], how, in, out)};
    }));
    ensure_meta(*view.impl()).differentiable_view = true;
  }
  return view;
}

ViewGrad reshaped(const char* name) { return {ViewGrad::kReshape, name}; }
ViewGrad generic(const char* name) { return {ViewGrad::kGeneric, name}; }

// Resolves one -1 in `shape` against numel, as view/reshape do.
DimVector infer_size(IntArrayRef shape, int64_t numel, const char* op) {
  DimVector out(shape);
  int64_t known = 1;
  bool overflow = false, has_zero = false;
  std::optional<size_t> infer;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      NB_CHECK(!infer, RuntimeError, op, ": only one dimension can be inferred in shape ", shape_str(shape));
      infer = i;
    } else {
      NB_CHECK(out[i] >= 0, RuntimeError, op, ": invalid shape dimension ", out[i], " in ", shape_str(shape));
      overflow |= __builtin_mul_overflow(known, out[i], &known);
      has_zero |= out[i] == 0;
    }
  }
  // A product beyond int64 is more elements than any tensor has, unless a 0 makes it 0.
  NB_CHECK(!overflow || has_zero, RuntimeError, op, ": shape '", shape_str(shape), "' is invalid for input of size ",
           numel);
  if (has_zero) known = 0;
  if (infer) {
    NB_CHECK(known != 0 && numel % known == 0, RuntimeError, op, ": shape '", shape_str(shape),
             "' is invalid for input of size ", numel);
    out[*infer] = numel / known;
  } else {
    NB_CHECK(known == numel, RuntimeError, op, ": shape '", shape_str(shape), "' is invalid for input of size ",
             numel);
  }
  return out;
}

// Strides for viewing (sizes, strides) as `shape` without copying, if possible (PyTorch's
// computeStride): each run of old dims that is contiguous in memory may be re-split freely.
std::optional<DimVector> view_strides(IntArrayRef sizes, IntArrayRef strides, IntArrayRef shape) {
  DimVector out(shape.size());
  if (numel_of(sizes) == 0 || sizes.empty()) return contiguous_strides(shape);
  int64_t view_d = int64_t(shape.size()) - 1;
  int64_t chunk_base_stride = strides.empty() ? 1 : strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = int64_t(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];
    if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

}  // namespace

Tensor Tensor::view(IntArrayRef shape) const {
  check_defined(*this, "view");
  DimVector s = infer_size(shape, numel(), "view");
  auto st = view_strides(sizes(), strides(), s);
  NB_CHECK(st, RuntimeError, "view: size ", shape_str(s), " is not compatible with input tensor's size ",
           shape_str(sizes()), " and stride ", shape_str(strides()),
           " (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.");
  return make_view(*this, std::move(s), std::move(*st), storage_offset(), reshaped("ViewBackward0"));
}

Tensor Tensor::reshape(IntArrayRef shape) const {
  check_defined(*this, "reshape");
  DimVector s = infer_size(shape, numel(), "reshape");
  if (auto st = view_strides(sizes(), strides(), s))
    return make_view(*this, std::move(s), std::move(*st), storage_offset(), reshaped("ViewBackward0"));
  return contiguous().view(s);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  check_defined(*this, "transpose");
  int64_t d0 = wrap_dim(dim0, dim(), "transpose"), d1 = wrap_dim(dim1, dim(), "transpose");
  DimVector perm(static_cast<size_t>(dim()));
  for (int64_t i = 0; i < dim(); ++i) perm[size_t(i)] = i;
  if (dim() == 0) return make_view(*this, sizes(), strides(), storage_offset(), {ViewGrad::kPermute, "TransposeBackward0", perm});
  DimVector s = sizes(), st = strides();
  std::swap(s[d0], s[d1]);
  std::swap(st[d0], st[d1]);
  std::swap(perm[size_t(d0)], perm[size_t(d1)]);
  return make_view(*this, std::move(s), std::move(st), storage_offset(), {ViewGrad::kPermute, "TransposeBackward0", perm});
}

Tensor Tensor::permute(IntArrayRef dims) const {
  check_defined(*this, "permute");
  NB_CHECK(int64_t(dims.size()) == dim(), RuntimeError, "permute(sparse_coo): number of dimensions in the tensor input "
           "does not match the length of the desired ordering of dimensions i.e. input.dim() = ", dim(),
           " is not equal to len(dims) = ", dims.size());
  DimVector s(dims.size()), st(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], dim(), "permute");
    NB_CHECK(!seen[d], RuntimeError, "permute: repeated dim ", dims[i], " in ", shape_str(dims));
    seen[d] = true;
    s[i] = sizes()[d];
    st[i] = strides()[d];
  }
  DimVector perm(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) perm[i] = wrap_dim(dims[i], dim(), "permute");
  return make_view(*this, std::move(s), std::move(st), storage_offset(), {ViewGrad::kPermute, "PermuteBackward0", perm});
}

Tensor Tensor::t() const {
  check_defined(*this, "t");
  NB_CHECK(dim() <= 2, RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is ", dim(),
           "D; use .mT() or .transpose(d0, d1) for batches");
  return dim() < 2 ? transpose(0, 0) : transpose(0, 1);
}

Tensor Tensor::T() const {
  check_defined(*this, "T");
  DimVector order(static_cast<size_t>(dim()));
  for (int64_t i = 0; i < dim(); ++i) order[i] = dim() - 1 - i;
  return permute(order);
}

Tensor Tensor::mT() const {
  check_defined(*this, "mT");
  NB_CHECK(dim() >= 2, RuntimeError, "mT: tensor.mT is only supported on matrices or batches of matrices. Got ",
           dim(), "-D tensor.");
  return transpose(-2, -1);
}

Tensor Tensor::expand(IntArrayRef shape) const {
  check_defined(*this, "expand");
  NB_CHECK(int64_t(shape.size()) >= dim(), RuntimeError, "expand: the number of sizes provided (", shape.size(),
           ") must be greater or equal to the number of dimensions in the tensor (", dim(), ")");
  size_t lead = shape.size() - size_t(dim());
  DimVector s(shape.size()), st(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      NB_CHECK(shape[i] >= 0, RuntimeError, "expand: the expanded size of the tensor (", shape[i],
               ") isn't allowed in a leading, non-existing dimension ", i);
      s[i] = shape[i];
      st[i] = 0;
      continue;
    }
    int64_t have = sizes()[i - lead];
    int64_t want = shape[i] == -1 ? have : shape[i];
    NB_CHECK(want >= 0 && (have == want || have == 1), RuntimeError, "expand: the expanded size of the tensor (", want,
             ") must match the existing size (", have, ") at non-singleton dimension ", i, ".  Target sizes: ",
             shape_str(shape), ".  Tensor sizes: ", shape_str(sizes()));
    s[i] = want;
    st[i] = have == want ? strides()[i - lead] : 0;
  }
  return make_view(*this, std::move(s), std::move(st), storage_offset(), {ViewGrad::kExpand, "ExpandBackward0"});
}

Tensor Tensor::squeeze() const {
  check_defined(*this, "squeeze");
  DimVector s, st;
  for (int64_t i = 0; i < dim(); ++i)
    if (sizes()[i] != 1) {
      s.push_back(sizes()[i]);
      st.push_back(strides()[i]);
    }
  return make_view(*this, std::move(s), std::move(st), storage_offset(), reshaped("SqueezeBackward0"));
}

Tensor Tensor::squeeze(int64_t d) const {
  check_defined(*this, "squeeze");
  int64_t w = wrap_dim(d, dim(), "squeeze");
  if (dim() == 0 || sizes()[w] != 1) return make_view(*this, sizes(), strides(), storage_offset(), reshaped("SqueezeBackward1"));
  DimVector s = sizes(), st = strides();
  s.erase(size_t(w));
  st.erase(size_t(w));
  return make_view(*this, std::move(s), std::move(st), storage_offset(), reshaped("SqueezeBackward1"));
}

Tensor Tensor::unsqueeze(int64_t d) const {
  check_defined(*this, "unsqueeze");
  int64_t w = wrap_dim(d, dim() + 1, "unsqueeze");
  DimVector s = sizes(), st = strides();
  int64_t stride = w < dim() ? sizes()[w] * strides()[w] : 1;
  s.insert(size_t(w), 1);
  st.insert(size_t(w), stride);
  return make_view(*this, std::move(s), std::move(st), storage_offset(), reshaped("UnsqueezeBackward0"));
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  check_defined(*this, "flatten");
  if (dim() == 0) return reshape({1});
  int64_t a = wrap_dim(start_dim, dim(), "flatten"), b = wrap_dim(end_dim, dim(), "flatten");
  NB_CHECK(a <= b, RuntimeError, "flatten() has invalid args: start_dim cannot come after end_dim");
  DimVector s;
  for (int64_t i = 0; i < a; ++i) s.push_back(sizes()[i]);
  int64_t merged = 1;
  for (int64_t i = a; i <= b; ++i) merged *= sizes()[i];
  s.push_back(merged);
  for (int64_t i = b + 1; i < dim(); ++i) s.push_back(sizes()[i]);
  return reshape(s);
}

Tensor Tensor::slice(int64_t d, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) const {
  check_defined(*this, "slice");
  NB_CHECK(dim() > 0, IndexError, "slice: cannot slice a 0-d tensor");
  int64_t w = wrap_dim(d, dim(), "slice");
  NB_CHECK(step > 0, ValueError, "slice: step must be greater than zero (got ", step,
           "); use flip() to reverse a dimension");
  int64_t n = sizes()[w];
  auto clampi = [n](int64_t v) { return v < 0 ? std::max<int64_t>(v + n, 0) : std::min(v, n); };
  int64_t b = start ? clampi(*start) : 0;
  int64_t e = end ? clampi(*end) : n;
  int64_t len = e > b ? (e - b - 1) / step + 1 : 0;  // not (e - b + step - 1) / step: overflows for huge steps
  DimVector s = sizes(), st = strides();
  s[w] = len;
  if (len > 1) st[w] = strides()[w] * step;  // with one element the stride is never used (and may not fit)
  return make_view(*this, std::move(s), std::move(st), storage_offset() + b * strides()[w], generic("SliceBackward0"));
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  check_defined(*this, "select");
  NB_CHECK(dim() > 0, IndexError, "select() cannot be applied to a 0-dim tensor.");
  int64_t w = wrap_dim(d, dim(), "select");
  int64_t n = sizes()[w];
  NB_CHECK(index >= -n && index < n, IndexError, "select(): index ", index, " is out of bounds for dimension ", w,
           " with size ", n);
  if (index < 0) index += n;
  DimVector s = sizes(), st = strides();
  s.erase(size_t(w));
  st.erase(size_t(w));
  return make_view(*this, std::move(s), std::move(st), storage_offset() + index * strides()[w],
                   generic("SelectBackward0"));
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  check_defined(*this, "narrow");
  NB_CHECK(dim() > 0, RuntimeError, "narrow() cannot be applied to a 0-dim tensor.");
  int64_t w = wrap_dim(d, dim(), "narrow");
  int64_t n = sizes()[w];
  if (start < 0) start += n;
  NB_CHECK(start >= 0 && length >= 0 && length <= n - start, IndexError, "narrow: start (", start,
           ") + length (", length, ") exceeds dimension size (", n, ") of dim ", w);
  return slice(w, start, start + length);
}

Tensor Tensor::as_strided(IntArrayRef s, IntArrayRef st, std::optional<int64_t> offset) const {
  check_defined(*this, "as_strided");
  NB_CHECK(s.size() == st.size(), RuntimeError, "as_strided: mismatch in length of strides and shape: ",
           shape_str(s), " vs ", shape_str(st));
  int64_t off = offset.value_or(storage_offset());
  int64_t last = off;
  for (size_t i = 0; i < s.size(); ++i) {
    NB_CHECK(s[i] >= 0 && st[i] >= 0, RuntimeError, "as_strided: negative size or stride in ", shape_str(s), " / ",
             shape_str(st));
    if (s[i] == 0) last = -1;
    int64_t extent = 0;
    NB_CHECK(last < 0 || (!__builtin_mul_overflow(s[i] - 1, st[i], &extent) &&
                          !__builtin_add_overflow(last, extent, &last)),
             RuntimeError, "as_strided: sizes ", shape_str(s), " with strides ", shape_str(st),
             " address elements beyond any storage (the extent overflows int64)");
  }
  size_t capacity = impl()->storage()->nbytes() / element_size();
  NB_CHECK(off >= 0 && (last < 0 || size_t(last) < capacity), RuntimeError, "as_strided: setStorage: sizes ",
           shape_str(s), ", strides ", shape_str(st), ", storage offset ", off,
           " require more elements than the storage holds (", capacity, ")");
  return make_view(*this, DimVector(s), DimVector(st), off, generic("AsStridedBackward0"));
}

Tensor Tensor::unfold(int64_t d, int64_t size, int64_t step) const {
  check_defined(*this, "unfold");
  int64_t w = dim() == 0 ? 0 : wrap_dim(d, dim(), "unfold");
  int64_t n = dim() == 0 ? 1 : sizes()[w];
  NB_CHECK(size >= 0 && size <= n, RuntimeError, "unfold: maximum size for tensor at dimension ", w, " is ", n,
           " but size is ", size);
  NB_CHECK(step > 0, RuntimeError, "unfold: step is ", step, " but must be > 0");
  DimVector s = sizes(), st = strides();
  if (dim() > 0) {
    s[w] = (n - size) / step + 1;
    if (s[w] > 1) st[w] = strides()[w] * step;  // with one window the stride is never used (and may not fit)
  }
  s.push_back(size);
  st.push_back(dim() == 0 ? 1 : strides()[w]);
  return make_view(*this, std::move(s), std::move(st), storage_offset(), generic("UnfoldBackward0"));
}

Tensor Tensor::diagonal(int64_t offset, int64_t dim1, int64_t dim2) const {
  check_defined(*this, "diagonal");
  int64_t a = wrap_dim(dim1, dim(), "diagonal"), b = wrap_dim(dim2, dim(), "diagonal");
  NB_CHECK(a != b, RuntimeError, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  int64_t off = storage_offset();
  int64_t len;
  if (offset >= 0) {
    len = std::max<int64_t>(std::min(sizes()[a], sizes()[b] - offset), 0);
    if (len > 0) off += offset * strides()[b];
  } else {
    len = std::max<int64_t>(std::min(sizes()[a] + offset, sizes()[b]), 0);
    if (len > 0) off -= offset * strides()[a];
  }
  DimVector s, st;
  for (int64_t i = 0; i < dim(); ++i)
    if (i != a && i != b) {
      s.push_back(sizes()[i]);
      st.push_back(strides()[i]);
    }
  s.push_back(len);
  st.push_back(strides()[a] + strides()[b]);
  return make_view(*this, std::move(s), std::move(st), off, generic("DiagonalBackward0"));
}

Tensor Tensor::detach() const {
  check_defined(*this, "detach");
  return make_view(*this, sizes(), strides(), storage_offset());
}

std::vector<Tensor> Tensor::unbind(int64_t d) const {
  check_defined(*this, "unbind");
  int64_t w = wrap_dim(d, dim(), "unbind");
  std::vector<Tensor> out;
  for (int64_t i = 0; i < sizes()[w]; ++i) out.push_back(select(w, i));
  return out;
}

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t d) const {
  check_defined(*this, "split");
  int64_t w = wrap_dim(d, dim(), "split");
  NB_CHECK(split_size > 0 || (split_size == 0 && sizes()[w] == 0), RuntimeError,
           "split expects split_size be non-negative, but got split_size=", split_size);
  std::vector<Tensor> out;
  int64_t n = sizes()[w];
  if (n == 0) return {slice(w, 0, 0)};
  for (int64_t b = 0; b < n; b += split_size) out.push_back(slice(w, b, std::min(b + split_size, n)));
  return out;
}

std::vector<Tensor> Tensor::split(IntArrayRef split_sizes, int64_t d) const {
  check_defined(*this, "split");
  int64_t w = wrap_dim(d, dim(), "split");
  int64_t total = 0;
  for (int64_t s : split_sizes) {
    NB_CHECK(s >= 0, RuntimeError, "split_with_sizes expects split_sizes have only non-negative entries, but got ",
             shape_str(split_sizes));
    total += s;
  }
  NB_CHECK(total == sizes()[w], RuntimeError, "split_with_sizes expects split_sizes to sum exactly to ", sizes()[w],
           " (input tensor's size at dimension ", w, "), but got split_sizes=", shape_str(split_sizes));
  std::vector<Tensor> out;
  int64_t b = 0;
  for (int64_t s : split_sizes) {
    out.push_back(slice(w, b, b + s));
    b += s;
  }
  return out;
}

std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t d) const {
  check_defined(*this, "chunk");
  NB_CHECK(chunks > 0, RuntimeError, "chunk expects `chunks` to be greater than 0, got: ", chunks);
  int64_t w = wrap_dim(d, dim(), "chunk");
  int64_t n = sizes()[w];
  int64_t size = n == 0 ? 0 : (n - 1) / chunks + 1;  // not (n + chunks - 1) / chunks: overflows for huge chunks
  if (size == 0 && n == 0) {
    std::vector<Tensor> out;
    for (int64_t i = 0; i < chunks; ++i) out.push_back(slice(w, 0, 0));
    return out;
  }
  return split(size, w);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) { return x.split(split_size, dim); }
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) { return x.chunk(chunks, dim); }

}  // namespace nabla
