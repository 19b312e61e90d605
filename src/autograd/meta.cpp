// Per-tensor autograd state, leaf accumulation and history.
#include "autograd/meta.hpp"

#include "core/check.hpp"
#include "core/small_blocks.hpp"
#include "nabla/ops.hpp"

namespace nabla {
namespace {

// The node at the end of every leaf's gradient path: runs the leaf's hooks and adds the gradient
// into leaf.grad(). Holds the leaf; the leaf points back to it only weakly.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(IntrusivePtr<TensorImpl> leaf) : Node({}, 1), leaf_(std::move(leaf)) {}
  ~AccumulateGrad() override {
    AutogradMeta* m = meta_of(*leaf_);
    if (m && m->grad_accumulator == this) m->grad_accumulator = nullptr;
  }
  const char* name() const override { return "AccumulateGrad"; }
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    Tensor g = std::move(grads[0]);
    if (!g.defined()) return {};
    for (const auto& hook : ensure_meta(*leaf_).hooks) run_hook(hook.fn, g);
    accumulate_grad(*leaf_, std::move(g));
    return {};
  }

 private:
  IntrusivePtr<TensorImpl> leaf_;
};

}  // namespace

void* AutogradMeta::operator new(size_t nbytes) { return small_block_alloc(nbytes); }
void AutogradMeta::operator delete(void* self, size_t nbytes) noexcept { small_block_free(self, nbytes); }

void run_hook(const Tensor::Hook& hook, Tensor& grad) {
  Tensor replaced = hook(grad);
  if (!replaced.defined()) return;
  NB_CHECK(replaced.sizes() == grad.sizes(), RuntimeError, "backward: a hook has changed the size of value (was ",
           shape_str(grad.sizes()), ", got ", shape_str(replaced.sizes()), ")");
  NB_CHECK(replaced.dtype() == grad.dtype(), RuntimeError, "backward: a hook has changed the type of value (was ",
           dtype_name(grad.dtype()), ", got ", dtype_name(replaced.dtype()), ")");
  grad = std::move(replaced);
}

AutogradMeta& ensure_meta(TensorImpl& t) {
  if (!t.autograd_meta()) t.set_autograd_meta(std::make_unique<AutogradMeta>());
  return *meta_of(t);
}

Edge gradient_edge(const Tensor& t) {
  AutogradMeta& m = ensure_meta(*t.impl());
  if (m.grad_fn) return Edge{m.grad_fn, m.output_nr};
  if (!m.grad_accumulator) {
    IntrusivePtr<Node> acc = make_intrusive<AccumulateGrad>(t.impl_ptr());
    m.grad_accumulator = acc.get();
    return Edge{std::move(acc), 0};
  }
  return Edge{IntrusivePtr<Node>(m.grad_accumulator), 0};
}

void set_history(const Tensor& t, IntrusivePtr<Node> node, uint32_t output_nr) {
  AutogradMeta& m = ensure_meta(*t.impl());
  m.grad_fn = std::move(node);
  m.output_nr = output_nr;
  t.impl()->set_requires_grad(true);
}

void accumulate_grad(TensorImpl& leaf, Tensor incoming) {
  AutogradMeta& m = ensure_meta(leaf);
  if (is_grad_enabled()) {  // create_graph: the gradient keeps its own history
    m.grad = m.grad.defined() ? add(m.grad, incoming) : incoming;
    return;
  }
  if (m.grad.defined()) {
    m.grad.add_(incoming);
    return;
  }
  // Take the buffer when nothing else can see it; otherwise a later in-place accumulation would
  // write into someone else's tensor.
  const bool unshared = incoming.impl()->use_count() == 1 && incoming.impl()->storage()->use_count() == 1 &&
                        incoming.is_contiguous() && !incoming.requires_grad();
  m.grad = unshared ? std::move(incoming) : incoming.detach().clone();
}

}  // namespace nabla
