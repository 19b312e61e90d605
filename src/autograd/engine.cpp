// The backward engine: counts dependencies over the graph reachable from the roots, then runs nodes
// whose inputs are complete, latest-created first (a max-heap on sequence_nr), summing gradients that
// meet at a node. Iterative throughout, so a million-node chain needs no deep stack.
#include <algorithm>
#include <queue>
#include <unordered_map>

#include "autograd/meta.hpp"
#include "core/check.hpp"
#include "core/small_blocks.hpp"
#include "nabla/creation.hpp"
#include "nabla/ops.hpp"

namespace nabla {
namespace {

struct Task {
  int64_t dependencies = 0;
  std::vector<Tensor> inputs;  // one gradient per forward output of the node
  bool needed = true;
};

struct Capture {
  Node* node;
  uint32_t input_nr;
  size_t slot;
};

using NodeList = std::vector<Node*, BlockAllocator<Node*>>;
template <typename Value>
using NodeMap = std::unordered_map<Node*, Value, std::hash<Node*>, std::equal_to<Node*>,
                                   BlockAllocator<std::pair<Node* const, Value>>>;

struct LaterFirst {
  bool operator()(const Node* a, const Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
};

void add_into(Tensor& slot, Tensor g) {
  slot = slot.defined() ? add(slot, g) : std::move(g);
}

void run_output_hooks(Node& node, std::vector<Tensor>& grads) {
  for (auto& hook : NodeAccess::hooks(node)) {
    Tensor& g = grads[hook.output_nr];
    if (!g.defined()) continue;
    run_hook(hook.fn, g);
  }
  auto& retains = NodeAccess::retains_grad(node);
  auto& retained = NodeAccess::retained_grads(node);
  for (size_t i = 0; i < retains.size(); ++i) {
    if (retains[i] && grads[i].defined()) {
      Tensor g = grads[i].detach();
      retained[i] = retained[i].defined() ? add(retained[i], g) : g.clone();
    }
  }
}

// Runs the graph from `roots` (seeded with `root_grads`). With `captures`, records the gradients
// arriving at those edges and runs only the nodes that lead to them (autograd::grad); otherwise runs
// everything, accumulating into leaves (backward).
std::vector<Tensor> run_backward(const std::vector<Edge>& roots, std::vector<Tensor> root_grads, bool keep_graph,
                                 bool create_graph, const std::vector<Edge>* captures) {
  GradModeGuard mode(create_graph);
  NodeMap<Task> tasks;
  NodeMap<NodeList> parents;
  NodeList stack;
  for (const Edge& r : roots) {
    if (tasks.try_emplace(r.fn.get()).second) stack.push_back(r.fn.get());
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges()) {
      if (!e.fn) continue;
      auto [it, fresh] = tasks.try_emplace(e.fn.get());
      ++it->second.dependencies;
      if (captures) parents[e.fn.get()].push_back(n);
      if (fresh) stack.push_back(e.fn.get());
    }
  }

  std::vector<Capture> wanted;
  std::vector<Tensor> captured;
  if (captures) {
    for (auto& [n, task] : tasks) task.needed = false;
    captured.resize(captures->size());
    for (size_t i = 0; i < captures->size(); ++i) {
      const Edge& e = (*captures)[i];
      auto it = tasks.find(e.fn.get());
      if (it == tasks.end()) continue;  // not reachable: stays undefined
      wanted.push_back({e.fn.get(), e.input_nr, i});
      stack.push_back(e.fn.get());
    }
    // Everything upstream of a captured edge must run; what only leads elsewhere need not.
    NodeList frontier(stack.begin(), stack.end());
    stack.clear();
    while (!frontier.empty()) {
      Node* n = frontier.back();
      frontier.pop_back();
      Task& t = tasks[n];
      if (t.needed) continue;
      t.needed = true;
      for (Node* p : parents[n]) frontier.push_back(p);
    }
  }

  std::priority_queue<Node*, NodeList, LaterFirst> ready;
  for (size_t i = 0; i < roots.size(); ++i) {
    Task& t = tasks[roots[i].fn.get()];
    t.inputs.resize(roots[i].fn->num_outputs());
    add_into(t.inputs[roots[i].input_nr], std::move(root_grads[i]));
  }
  for (const Edge& r : roots) {
    Task& t = tasks[r.fn.get()];
    if (t.dependencies == 0) {
      t.dependencies = -1;  // queued once even when several roots share a node
      ready.push(r.fn.get());
    }
  }

  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    Task& task = tasks[node];
    std::vector<Tensor> grads = std::move(task.inputs);
    grads.resize(node->num_outputs());
    run_output_hooks(*node, grads);
    for (const Capture& c : wanted) {
      if (c.node == node) captured[c.slot] = grads[c.input_nr];
    }
    if (!task.needed) continue;
    const bool is_accumulator = node->next_edges().empty() && captures;
    if (is_accumulator) continue;
    const bool any = std::any_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); });
    std::vector<Tensor> outputs;
    if (any) outputs = node->apply(std::move(grads));
    if (!keep_graph) node->release_saved();
    const auto& edges = node->next_edges();
    for (size_t i = 0; i < edges.size(); ++i) {
      const Edge& e = edges[i];
      if (!e.fn) continue;
      Task& next = tasks[e.fn.get()];
      if (i < outputs.size() && outputs[i].defined()) {
        next.inputs.resize(e.fn->num_outputs());
        add_into(next.inputs[e.input_nr], std::move(outputs[i]));
      }
      if (--next.dependencies == 0) ready.push(e.fn.get());
    }
  }
  return captured;
}

struct Roots {
  std::vector<Edge> edges;
  std::vector<Tensor> grads;
};

Roots make_roots(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors, const char* op) {
  NB_CHECK(grad_tensors.empty() || grad_tensors.size() == tensors.size(), RuntimeError, op, ": got ",
           tensors.size(), " tensors and ", grad_tensors.size(), " gradients; pass one gradient per tensor");
  Roots roots;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    NB_CHECK(t.defined() && t.requires_grad(), RuntimeError, op, ": element ", i,
             " of tensors does not require grad and does not have a grad_fn");
    Tensor g = grad_tensors.empty() ? Tensor() : grad_tensors[i];
    if (!g.defined()) {
      NB_CHECK(t.numel() == 1, RuntimeError, op, ": grad can be implicitly created only for scalar outputs (got "
               "shape ", shape_str(t.sizes()), "); pass a gradient of that shape");
      g = ones_like(t);
    } else {
      NB_CHECK(g.sizes() == t.sizes(), RuntimeError, op, ": Mismatch in shape: grad_output[", i, "] has a shape of ",
               shape_str(g.sizes()), " and output[", i, "] has a shape of ", shape_str(t.sizes()), ".");
    }
    roots.edges.push_back(gradient_edge(t));
    roots.grads.push_back(std::move(g));
  }
  return roots;
}

std::vector<Edge> input_edges(const std::vector<Tensor>& inputs, const char* op) {
  std::vector<Edge> edges;
  for (const Tensor& t : inputs) {
    NB_CHECK(t.defined() && t.requires_grad(), RuntimeError, op,
             ": One of the differentiated Tensors does not require grad");
    edges.push_back(gradient_edge(t));
  }
  return edges;
}

}  // namespace

namespace autograd {

void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors,
              std::optional<bool> retain_graph, bool create_graph, const std::vector<Tensor>& inputs) {
  Roots roots = make_roots(tensors, grad_tensors, "backward");
  const bool keep = retain_graph.value_or(create_graph);
  if (inputs.empty()) {
    run_backward(roots.edges, std::move(roots.grads), keep, create_graph, nullptr);
    return;
  }
  std::vector<Edge> wanted = input_edges(inputs, "backward");
  std::vector<Tensor> grads = run_backward(roots.edges, std::move(roots.grads), keep, create_graph, &wanted);
  GradModeGuard mode(create_graph);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!grads[i].defined()) continue;
    if (inputs[i].is_leaf()) {
      accumulate_grad(*inputs[i].impl(), std::move(grads[i]));
    } else {
      inputs[i].retain_grad();
      auto& retained = NodeAccess::retained_grads(*inputs[i].grad_fn())[inputs[i].output_nr()];
      retained = retained.defined() ? add(retained, grads[i]) : grads[i];
    }
  }
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph, bool create_graph,
                         bool allow_unused) {
  Roots roots = make_roots(outputs, grad_outputs, "grad");
  std::vector<Edge> wanted = input_edges(inputs, "grad");
  std::vector<Tensor> grads =
      run_backward(roots.edges, std::move(roots.grads), retain_graph.value_or(create_graph), create_graph, &wanted);
  for (size_t i = 0; i < grads.size(); ++i) {
    NB_CHECK(allow_unused || grads[i].defined(), RuntimeError, "grad: One of the differentiated Tensors (input ", i,
             ") appears to not have been used in the graph. Set allow_unused=true if this is the desired behavior.");
  }
  return grads;
}

}  // namespace autograd
}  // namespace nabla
