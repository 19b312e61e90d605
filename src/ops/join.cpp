// cat and stack: each input is copied (and cast) into its slice of one output by copy_kernel; the
// gradient of each input is its slice of the output's gradient.
#include <vector>

#include "autograd/function.hpp"
#include "core/kernels/copy.hpp"
#include "ops/common.hpp"

namespace nabla {
namespace {

// torch.cat skips 1-D tensors of shape (0,): the legacy way to start an accumulation.
bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.numel() == 0; }

// "[2, 3]", as torch.stack writes shapes.
std::string list_str(IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    append_part(s, sizes[i]);
  }
  return s + ']';
}

// The dtype of joining `tensors` (torch.result_type over all of them), which must share a device.
DType join_dtype(const std::vector<Tensor>& tensors, const char* op) {
  std::vector<PromotionOperand> operands;
  operands.reserve(tensors.size());
  for (const Tensor& t : tensors) {
    check_defined(t, op);
    NB_CHECK(t.device() == tensors[0].device(), RuntimeError, op,
             ": all input tensors must be on the same device. Received ", t.device().str(), " and ",
             tensors[0].device().str());
    operands.push_back(operand_of(t.dtype(), t.dim()));
  }
  return result_type(operands);
}

void copy_into(const Tensor& src, const Tensor& dst) {
  if (dst.numel() > 0) copy_kernel(dst.device())(*src.impl(), *dst.impl());
}

// Records `slice_of(g, i)` as the gradient of tensors[i] (cast back to its dtype by the node).
template <typename SliceOf>
void record_join(const char* name, const std::vector<Tensor>& tensors, const Tensor& out, SliceOf slice_of) {
  std::vector<const Tensor*> inputs;
  inputs.reserve(tensors.size());
  for (const Tensor& t : tensors) inputs.push_back(&t);
  set_history(out, make_node(name, inputs, [slice_of = std::move(slice_of), n = tensors.size()](FunctionNode& node,
                                                                                                Grads& g) -> Grads {
    Grads grads(n);
    for (size_t i = 0; i < n; ++i)
      if (node.needs_grad(i)) grads[i] = slice_of(g[0], i);
    return grads;
  }));
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  NB_CHECK(!tensors.empty(), RuntimeError, "torch.cat(): expected a non-empty list of Tensors");
  const DType dtype = join_dtype(tensors, "torch.cat()");
  const Tensor* first = nullptr;
  for (size_t i = 0; i < tensors.size(); ++i) {
    NB_CHECK(tensors[i].dim() > 0, RuntimeError, "torch.cat(): zero-dimensional tensor (at position ", i,
             ") cannot be concatenated");
    if (!first && !is_legacy_empty(tensors[i])) first = &tensors[i];
  }
  if (!first) return make_empty({0}, dtype, tensors[0].device());
  const int64_t d = wrap_dim(dim, first->dim(), "torch.cat()");
  DimVector shape = first->sizes();
  shape[size_t(d)] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (is_legacy_empty(t)) continue;
    NB_CHECK(t.dim() == first->dim(), RuntimeError, "torch.cat(): Tensors must have same number of dimensions: got ",
             first->dim(), " and ", t.dim());
    for (int64_t k = 0; k < t.dim(); ++k) {
      NB_CHECK(k == d || t.sizes()[size_t(k)] == first->sizes()[size_t(k)], RuntimeError,
               "torch.cat(): Sizes of tensors must match except in dimension ", d, ". Expected size ",
               first->sizes()[size_t(k)], " but got size ", t.sizes()[size_t(k)], " for tensor number ", i,
               " in the list.");
    }
    shape[size_t(d)] += t.sizes()[size_t(d)];
  }
  Tensor out = make_empty(shape, dtype, first->device());
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (is_legacy_empty(t)) continue;
    const int64_t n = t.sizes()[size_t(d)];
    copy_into(t, out.narrow(d, offset, n));
    offset += n;
  }
  if (is_floating(dtype) && grad_needed_any(tensors)) {
    // Where each input starts along d; a skipped (legacy empty) input gets an empty gradient.
    std::vector<int64_t> starts(tensors.size() + 1, 0);
    for (size_t i = 0; i < tensors.size(); ++i)
      starts[i + 1] = starts[i] + (is_legacy_empty(tensors[i]) ? 0 : tensors[i].sizes()[size_t(d)]);
    std::vector<bool> skipped;
    for (const Tensor& t : tensors) skipped.push_back(is_legacy_empty(t));
    record_join("CatBackward0", tensors, out, [d, starts, skipped](const Tensor& g, size_t i) {
      return skipped[i] ? zeros({0}, g.options()) : g.narrow(d, starts[i], starts[i + 1] - starts[i]);
    });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  NB_CHECK(!tensors.empty(), RuntimeError, "stack expects a non-empty TensorList");
  const DType dtype = join_dtype(tensors, "stack");
  const Tensor& first = tensors[0];
  const int64_t d = wrap_dim(dim, first.dim() + 1, "stack");
  for (size_t i = 1; i < tensors.size(); ++i) {
    NB_CHECK(tensors[i].sizes() == first.sizes(), RuntimeError, "stack expects each tensor to be equal size, but got ",
             list_str(first.sizes()), " at entry 0 and ", list_str(tensors[i].sizes()), " at entry ", i);
  }
  DimVector shape = first.sizes();
  shape.insert(size_t(d), int64_t(tensors.size()));
  Tensor out = make_empty(shape, dtype, first.device());
  for (size_t i = 0; i < tensors.size(); ++i) copy_into(tensors[i], out.select(d, int64_t(i)));
  if (is_floating(dtype) && grad_needed_any(tensors))
    record_join("StackBackward0", tensors, out, [d](const Tensor& g, size_t i) { return g.select(d, int64_t(i)); });
  return out;
}

}  // namespace nabla
