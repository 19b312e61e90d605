// flip, roll, sort, argsort, topk, unique. flip and roll are copies through views (a reversed
// view for flip, two blocks per rolled dim for roll); the others call the order kernels. Gradients:
// flip and roll undo themselves; sort and topk values send theirs back through the indices.
#include <vector>

#include "autograd/function.hpp"
#include "core/kernels/copy.hpp"
#include "core/kernels/order.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

// A 0-d tensor seen as shape (1,), so that the kernels always have a dim to work along.
Tensor at_least_1d(const Tensor& t) { return t.dim() == 0 ? t.unsqueeze(0) : t; }

// The first `n` elements of a 1-D buffer, copied out when that frees most of it.
Tensor shrink(const Tensor& buffer, int64_t n) {
  if (n == buffer.numel()) return buffer;
  Tensor front = buffer.narrow(0, 0, n);
  return n < buffer.numel() / 2 ? front.clone() : front;
}

// values = x gathered along dim by indices: the gradient is scattered back to those positions.
void record_selected_values(const char* name, const Tensor& x, const Tensor& values, const Tensor& indices,
                            int64_t dim) {
  if (!is_floating(x.dtype()) || !grad_needed(x)) return;
  auto node = make_node(name, {&x}, [dim, sizes = x.sizes()](FunctionNode& n, Grads& g) -> Grads {
    return {zeros(sizes, g[0].options()).scatter(dim, n.saved(0), g[0])};
  });
  node->save(indices);
  set_history(values, std::move(node));
}

Tensor roll_values(const Tensor& x, IntArrayRef shifts, IntArrayRef dims) {
  NB_CHECK(!shifts.empty(), RuntimeError, "roll: `shifts` required");
  if (dims.empty() && shifts.size() == 1) {
    return x.dim() == 0 ? x.clone() : roll_values(x.flatten(), shifts, {0}).view(x.sizes());
  }
  NB_CHECK(shifts.size() == dims.size(), RuntimeError, "roll: shifts and dimensions must align. shifts: ",
           shifts.size(), ", dims:", dims.size());
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  if (x.numel() == 0) return out;
  NB_CHECK(x.dim() > 0, IndexError, "roll: Dimension specified as ", dims[0], " but tensor has no dimensions");
  // The total shift of each dim, in [0, size); a dim named twice is rolled twice.
  DimVector total(size_t(x.dim()), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim(dims[i], x.dim(), "roll");
    const int64_t n = x.sizes()[size_t(d)];
    total[size_t(d)] = ((total[size_t(d)] + shifts[i] % n) % n + n) % n;
  }
  DimVector rolled;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (total[size_t(d)] != 0) rolled.push_back(d);
  // Rolling by s moves the last s elements of a dim to the front: one block copy per combination
  // of (front part, back part) over the rolled dims.
  for (uint64_t mask = 0; mask < (uint64_t(1) << rolled.size()); ++mask) {
    Tensor src = x, dst = out;
    for (size_t j = 0; j < rolled.size(); ++j) {
      const int64_t d = rolled[j], n = x.sizes()[size_t(d)], s = total[size_t(d)];
      const bool wraps = (mask >> j) & 1;
      src = wraps ? src.narrow(d, n - s, s) : src.narrow(d, 0, n - s);
      dst = wraps ? dst.narrow(d, 0, s) : dst.narrow(d, s, n - s);
    }
    copy_kernel(x.device())(*src.impl(), *dst.impl());
  }
  return out;
}

}  // namespace

Tensor flip(const Tensor& x, IntArrayRef dims) {
  check_defined(x, "flip");
  DimVector strides = x.strides();
  int64_t offset = x.storage_offset();
  DimVector seen(size_t(x.dim()), 0);
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim(dim, x.dim(), "flip");
    if (x.dim() == 0) continue;
    NB_CHECK(!seen[size_t(d)], RuntimeError, "flip: dim ", d, " appears multiple times in the list of dims ",
             shape_str(dims));
    seen[size_t(d)] = 1;
    if (x.sizes()[size_t(d)] > 1) offset += (x.sizes()[size_t(d)] - 1) * strides[size_t(d)];
    strides[size_t(d)] = -strides[size_t(d)];
  }
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  if (is_floating(x.dtype()) && grad_needed(x)) {
    set_history(out, make_node("FlipBackward0", {&x}, [dims = DimVector(dims)](FunctionNode&, Grads& g) -> Grads {
      return {g[0].flip(dims)};
    }));
  }
  if (x.numel() == 0) return out;
  const TensorImpl reversed(x.impl()->storage(), offset, x.sizes(), std::move(strides), x.dtype());
  copy_kernel(x.device())(reversed, *out.impl());
  return out;
}

Tensor roll(const Tensor& x, IntArrayRef shifts, IntArrayRef dims) {
  check_defined(x, "roll");
  Tensor out;
  {
    NoGradGuard no_grad;  // the flattened form goes through views; the whole roll is one node
    out = roll_values(x, shifts, dims);
  }
  if (is_floating(x.dtype()) && grad_needed(x)) {
    DimVector back(shifts);
    for (int64_t& s : back) s = -s;
    set_history(out, make_node("RollBackward0", {&x}, [back, dims = DimVector(dims)](FunctionNode&, Grads& g) -> Grads {
      return {roll(g[0], back, dims)};
    }));
  }
  return out;
}

std::tuple<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending, bool stable) {
  check_defined(x, "sort");
  const int64_t d = wrap_dim(dim, x.dim(), "sort");
  Tensor values = make_empty(x.sizes(), x.dtype(), x.device());
  Tensor indices = make_empty(x.sizes(), kInt64, x.device());
  if (x.numel() > 0) {
    sort_kernel(x.device())(*at_least_1d(x).impl(), d, descending, stable, *at_least_1d(values).impl(),
                            *at_least_1d(indices).impl());
  }
  record_selected_values("SortBackward0", x, values, indices, d);
  return {values, indices};
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending, bool stable) {
  NoGradGuard no_grad;  // only the indices are wanted: no node for the values
  return std::get<1>(sort(x, dim, descending, stable));
}

std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
  check_defined(x, "topk");
  NB_CHECK(x.dtype() != kBool, TypeError, "topk: not implemented for bool (as in PyTorch); convert first, e.g. "
           "x.to(kUInt8)");
  const int64_t d = wrap_dim(dim, x.dim(), "topk");
  const int64_t n = x.dim() == 0 ? 1 : x.sizes()[size_t(d)];
  NB_CHECK(k >= 0 && k <= n, RuntimeError, "topk: selected index k out of range (k = ", k, ", but dim ", d,
           " of the input of shape ", shape_str(x.sizes()), " has size ", n, ")");
  DimVector shape = x.sizes();
  if (x.dim() > 0) shape[size_t(d)] = k;
  Tensor values = make_empty(shape, x.dtype(), x.device());
  Tensor indices = make_empty(shape, kInt64, x.device());
  if (values.numel() > 0) {
    topk_kernel(x.device())(*at_least_1d(x).impl(), d, k, largest, sorted, *at_least_1d(values).impl(),
                            *at_least_1d(indices).impl());
  }
  record_selected_values("TopkBackward0", x, values, indices, d);
  return {values, indices};
}

// The unique values always come out sorted: a valid order for sorted=false too (PyTorch's CUDA
// backend does the same), and the one that makes inverse and counts cheap.
std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& x, bool sorted, bool return_inverse, bool return_counts,
                                          std::optional<int64_t> dim) {
  check_defined(x, "unique");
  NB_CHECK(!dim, NotImplementedError, "unique: dim=", dim.value_or(0),
           " is not supported; call unique without dim for the unique elements of the flattened tensor");
  const int64_t n = x.numel();
  Tensor values = make_empty({n}, x.dtype(), x.device());
  Tensor inverse = make_empty(return_inverse ? x.sizes() : DimVector{0}, kInt64, x.device());
  Tensor counts = make_empty({return_counts ? n : 0}, kInt64, x.device());
  if (n == 0) return {values, inverse, counts};
  const Tensor input = x.contiguous();
  const int64_t u = unique_kernel(x.device())(*input.impl(), *values.impl(), return_inverse ? inverse.impl() : nullptr,
                                              return_counts ? counts.impl() : nullptr);
  return {shrink(values, u), inverse, return_counts ? shrink(counts, u) : counts};
}

Tensor Tensor::flip(IntArrayRef dims) const { return nabla::flip(*this, dims); }
Tensor Tensor::roll(IntArrayRef shifts, IntArrayRef dims) const { return nabla::roll(*this, shifts, dims); }
Tensor Tensor::roll(int64_t shift, std::optional<int64_t> dim) const {
  return dim ? nabla::roll(*this, {shift}, {*dim}) : nabla::roll(*this, {shift}, {});
}
std::tuple<Tensor, Tensor> Tensor::sort(int64_t dim, bool descending, bool stable) const {
  return nabla::sort(*this, dim, descending, stable);
}
Tensor Tensor::argsort(int64_t dim, bool descending) const { return nabla::argsort(*this, dim, descending); }
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return nabla::topk(*this, k, dim, largest, sorted);
}

}  // namespace nabla
