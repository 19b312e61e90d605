// The autograd methods of Tensor declared in tensor.hpp.
#include "autograd/meta.hpp"
#include "core/check.hpp"

namespace nabla {
namespace {
const Tensor kUndefined;
}  // namespace

Tensor& Tensor::requires_grad_(bool r) {
  NB_CHECK(!r || is_floating(dtype()), RuntimeError,
           "requires_grad_: only Tensors of floating point dtype can require gradients (got ", dtype_name(dtype()),
           "); convert first, e.g. x.to(nabla::kFloat32)");
  NB_CHECK(r || is_leaf(), RuntimeError,
           "requires_grad_: you can only change requires_grad flags of leaf variables. If you want to use a computed "
           "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().");
  impl_->set_requires_grad(r);
  return *this;
}

const Tensor& Tensor::grad() const {
  const AutogradMeta* m = meta_of(*impl_);
  if (!m) return kUndefined;
  if (m->grad_fn) {
    auto& retains = NodeAccess::retains_grad(*m->grad_fn);
    if (m->output_nr < retains.size() && retains[m->output_nr])
      return NodeAccess::retained_grads(*m->grad_fn)[m->output_nr];
    return kUndefined;
  }
  return m->grad;
}

Tensor& Tensor::mutable_grad() const {
  AutogradMeta& m = ensure_meta(*impl_);
  if (m.grad_fn) {
    retain_grad();
    return NodeAccess::retained_grads(*m.grad_fn)[m.output_nr];
  }
  return m.grad;
}

Node* Tensor::grad_fn() const {
  const AutogradMeta* m = meta_of(*impl_);
  return m ? m->grad_fn.get() : nullptr;
}

uint32_t Tensor::output_nr() const {
  const AutogradMeta* m = meta_of(*impl_);
  return m ? m->output_nr : 0;
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      const std::vector<Tensor>& inputs) const {
  autograd::backward({*this}, gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{}, retain_graph,
                     create_graph, inputs);
}

void Tensor::retain_grad() const {
  NB_CHECK(requires_grad(), RuntimeError, "retain_grad: can't retain_grad on Tensor that has requires_grad=False");
  Node* fn = grad_fn();
  if (!fn) return;  // leaves keep their gradient anyway
  auto& retains = NodeAccess::retains_grad(*fn);
  auto& retained = NodeAccess::retained_grads(*fn);
  if (retains.size() < fn->num_outputs()) {
    retains.resize(fn->num_outputs());
    retained.resize(fn->num_outputs());
  }
  retains[output_nr()] = true;
}

bool Tensor::retains_grad() const {
  Node* fn = grad_fn();
  if (!fn) return false;
  auto& retains = NodeAccess::retains_grad(*fn);
  return output_nr() < retains.size() && retains[output_nr()];
}

uint32_t Tensor::register_hook(Hook hook) const {
  NB_CHECK(requires_grad(), RuntimeError,
           "register_hook: cannot register a hook on a tensor that doesn't require gradient");
  const uint32_t handle = next_hook_handle();
  if (Node* fn = grad_fn()) {
    NodeAccess::hooks(*fn).push_back({output_nr(), handle, std::move(hook)});
  } else {
    ensure_meta(*impl_).hooks.push_back({handle, std::move(hook)});
  }
  return handle;
}

void Tensor::remove_hook(uint32_t handle) const {
  if (Node* fn = grad_fn()) {
    std::erase_if(NodeAccess::hooks(*fn), [&](const auto& h) { return h.handle == handle; });
  } else if (AutogradMeta* m = meta_of(*impl_)) {
    std::erase_if(m->hooks, [&](const auto& h) { return h.handle == handle; });
  }
}

Tensor& Tensor::detach_() {
  if (AutogradMeta* m = meta_of(*impl_)) {
    m->grad_fn = IntrusivePtr<Node>();
    m->output_nr = 0;
    m->differentiable_view = false;
  }
  impl_->set_requires_grad(false);
  return *this;
}

}  // namespace nabla
