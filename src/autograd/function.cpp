// FunctionNode (saved tensors, input metadata) and the helpers ops use to record history.
#include "autograd/function.hpp"

#include <cctype>

#include "core/check.hpp"
#include "core/kernels/copy.hpp"
#include "nabla/ops.hpp"

namespace nabla {
namespace {

std::vector<Edge> edges_of(std::span<const Tensor* const> inputs) {
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor* t : inputs) edges.push_back(t->defined() && t->requires_grad() ? gradient_edge(*t) : Edge{});
  return edges;
}

// A second handle on the same memory and geometry, with no autograd state.
Tensor alias_of(const Tensor& t) {
  const TensorImpl& i = *t.impl();
  return Tensor(make_intrusive<TensorImpl>(i.storage(), i.offset(), i.sizes(), i.strides(), i.dtype()));
}

std::string describe(const Tensor& t) {
  return std::string("[") + std::string(dtype_name(t.dtype())) + " tensor of shape " + shape_str(t.sizes()) + "]";
}

}  // namespace

SavedTensor::SavedTensor(const Tensor& t, bool is_output, uint32_t output_nr)
    : data_(is_output && t.defined() ? alias_of(t) : t), version_(t.defined() ? t._version() : 0), output_nr_(output_nr),
      is_output_(is_output), is_leaf_(t.defined() && t.is_leaf()) {}

void SavedTensor::release() {
  released_ = data_.defined();
  data_ = Tensor();
}

Tensor SavedTensor::unpack(FunctionNode* owner) const {
  NB_CHECK(!released_, RuntimeError, owner->name(), ": Trying to backward through the graph a second time (or "
           "directly access saved tensors after they have already been freed). Saved intermediate values of the graph "
           "are freed when you call .backward() or autograd.grad(). Specify retain_graph=true if you need to backward "
           "through the graph a second time or if you need to access saved tensors after calling backward.");
  if (!data_.defined()) return data_;
  if (data_._version() != version_) {
    std::string origin = is_leaf_ ? std::string()
                                  : std::string(", which is output ") + std::to_string(output_nr_) + " of " +
                                        (is_output_ ? owner->name() : data_.grad_fn() ? data_.grad_fn()->name() : "?");
    fail<RuntimeError>("one of the variables needed for gradient computation has been modified by an inplace "
                       "operation: ", describe(data_), origin, ", is at version ", data_._version(),
                       "; expected version ", version_, " instead. Hint: use the out-of-place form of the in-place "
                       "op (y = x.relu() rather than x.relu_()), or clone() the tensor before changing it.");
  }
  if (!is_output_ || !is_grad_enabled()) return data_;
  // create_graph: the saved output takes part in the graph of the gradient through its owner.
  Tensor out = alias_of(data_);
  set_history(out, IntrusivePtr<Node>(owner), output_nr_);
  return out;
}

FunctionNode::FunctionNode(const char* name, std::span<const Tensor* const> inputs, uint32_t num_outputs)
    : Node(edges_of(inputs), num_outputs), name_(name) {
  inputs_.reserve(inputs.size());
  saved_.reserve(inputs.size() + 1);  // what most formulas keep: their inputs and the output
  for (const Tensor* t : inputs) {
    if (t->defined()) inputs_.push_back({t->sizes(), t->dtype()});
    else inputs_.push_back({{}, kFloat32});
  }
}

void FunctionNode::release_saved() {
  for (SavedTensor& s : saved_) s.release();
}

Tensor FunctionNode::saved(size_t i) { return saved_[i].unpack(this); }

Grads FunctionNode::conform(Grads grads) const {
  grads.resize(inputs_.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    Tensor& g = grads[i];
    if (!g.defined() || !needs_grad(i)) {
      g = Tensor();
      continue;
    }
    if (!(g.sizes() == inputs_[i].sizes)) g = sum_to(g, inputs_[i].sizes);
    if (g.dtype() != inputs_[i].dtype) g = g.to(inputs_[i].dtype);
  }
  return grads;
}

std::vector<std::string> backward_names(std::span<const char* const> op_names,
                                        std::string_view (*public_name)(std::string_view)) {
  std::vector<std::string> out;
  for (const char* op : op_names) {
    std::string name(public_name(op));
    name[0] = char(std::toupper(static_cast<unsigned char>(name[0])));
    out.push_back(name + "Backward0");
  }
  return out;
}

Tensor sum_to(const Tensor& grad, IntArrayRef sizes) {
  const int64_t lead = grad.dim() - int64_t(sizes.size());
  NB_CHECK(lead >= 0, RuntimeError, "backward: gradient of shape ", shape_str(grad.sizes()),
           " cannot be summed to shape ", shape_str(sizes));
  DimVector dims;
  for (int64_t d = 0; d < lead; ++d) dims.push_back(d);
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1 && grad.sizes()[size_t(lead) + d] != 1) dims.push_back(lead + int64_t(d));
  }
  Tensor r = dims.empty() ? grad : grad.sum(Dims(IntArrayRef(dims)), /*keepdim=*/true);
  if (lead > 0) r = r.reshape(sizes);
  NB_CHECK(r.sizes() == DimVector(sizes), RuntimeError, "backward: gradient of shape ", shape_str(grad.sizes()),
           " cannot be summed to shape ", shape_str(sizes));
  return r;
}

void check_inplace_allowed(const Tensor& self, const char* op) {
  if (!is_grad_enabled() || !self.requires_grad()) return;
  NB_CHECK(!self.is_leaf(), RuntimeError, op, ": a leaf Variable that requires grad is being used in an in-place "
           "operation. Do it under NoGradGuard (as optimizers do), or on a clone().");
  const AutogradMeta* m = meta_of(*self.impl());
  NB_CHECK(!(m && m->differentiable_view), NotImplementedError, op, ": in-place modification of a view of a tensor "
           "that requires grad is not supported yet; use the out-of-place op, or clone() the view first.");
}

void rebase_history(Tensor& self, const Tensor& result, const char* op) {
  {
    GradModeGuard no_grad(false);
    NB_CHECK(!self.impl()->storage()->read_only(), RuntimeError, op, ": the tensor is read-only; clone() it first");
    copy_kernel(self.device())(*result.impl(), *self.impl());
    self.impl()->storage()->bump_version();
  }
  const AutogradMeta* rm = meta_of(*result.impl());
  if (rm && rm->grad_fn) set_history(self, rm->grad_fn, rm->output_nr);
}

}  // namespace nabla
