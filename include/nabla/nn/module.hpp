#pragma once
// nn::Module, the base of layers and models, as torch.nn.Module: named parameters (tensors that
// require grad), buffers (state such as BatchNorm's running statistics) and child modules, kept in
// registration order. Nested names are dotted ("linear.weight", "0.bias").
//
//   struct Net : nb::nn::Module {
//     std::shared_ptr<nb::nn::Linear> fc = register_module("fc", std::make_shared<nb::nn::Linear>(4, 2));
//     nb::Tensor forward(const nb::Tensor& x) override { return fc->forward(x).relu(); }
//   };
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nabla/state_dict.hpp"

namespace nabla::nn {

class Module;
using NamedModules = std::vector<std::pair<std::string, std::shared_ptr<Module>>>;

// What load_state_dict(strict=false) skipped.
struct LoadStateDictResult {
  std::vector<std::string> missing_keys, unexpected_keys;
};

class Module : public std::enable_shared_from_this<Module> {
 public:
  Module() = default;
  virtual ~Module() = default;
  // Copies would share parameters silently; build a new module instead.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The computation of a one-input module. The default raises NotImplementedError.
  virtual Tensor forward(const Tensor& input);
  Tensor operator()(const Tensor& input) { return forward(input); }

  // Registration. A name is non-empty, has no '.', and names one kind of entry; registering the same
  // name again replaces the entry. An undefined tensor registers nothing (PyTorch's None).
  Tensor register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  Tensor register_buffer(std::string name, Tensor tensor);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }

  // Traversal, in PyTorch's order; a tensor or module reachable twice is listed once.
  std::vector<Tensor> parameters(bool recurse = true) const;
  StateDict named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  StateDict named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  NamedModules named_children() const { return children_; }
  // This module first (it must be owned by a std::shared_ptr), then every descendant.
  std::vector<std::shared_ptr<Module>> modules();
  NamedModules named_modules();

  // Mode: training (the default) or evaluation, for this module and all descendants.
  Module& train(bool on = true);
  Module& eval() { return train(false); }
  bool is_training() const { return training_; }

  // Converts floating parameters and buffers (and their grads) in place: tensors obtained from
  // parameters() before stay the module's parameters, as with PyTorch's `param.data = ...`.
  Module& to(DType dtype);
  Module& to(Device device);
  void zero_grad(bool set_to_none = true);

  // Parameters and buffers by dotted name, detached, sharing memory with the module.
  StateDict state_dict() const;
  // Copies `state` into the parameters and buffers (moving it to their device). With strict, a
  // missing or unexpected key is an error; a shape or dtype mismatch always is (PyTorch converts
  // dtypes silently). Everything is checked before anything is copied: on error the module is unchanged.
  LoadStateDictResult load_state_dict(const StateDict& state, bool strict = true);

  // The class name ("Linear"), and what PyTorch's repr shows inside the parentheses.
  virtual std::string name() const;
  virtual std::string extra_repr() const { return ""; }
  // PyTorch's repr: "Sequential(\n  (0): Linear(in_features=2, out_features=1, bias=True)\n)".
  std::string repr() const;

 private:
  void add_child(std::string name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name, const char* kind) const;
  // (dotted prefix, module) in pre-order, this module first with prefix "". With `unique`, a module
  // reachable along two paths is listed once.
  std::vector<std::pair<std::string, const Module*>> flatten(bool unique) const;
  template <class Convert>
  Module& convert_tensors(const Convert& convert);

  std::vector<std::pair<std::string, Tensor>> parameters_, buffers_;
  NamedModules children_;
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace nabla::nn
