// nn::Module: registration, traversal, mode, conversion, state dicts and printing.
#include "nabla/nn/module.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>

#include "nabla/autograd.hpp"
#include "nn/common.hpp"

namespace nabla::nn {
namespace detail {

std::string list_str(IntArrayRef values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + "]";
}

std::string py_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific).ptr;
  const std::string sci(buf, end);  // shortest round trip: "-1.5e-05"
  const size_t e = sci.find('e');
  const int exponent = std::stoi(sci.substr(e + 1));
  const bool negative = sci[0] == '-';
  std::string digits;
  for (char c : sci.substr(negative, e - negative))
    if (c != '.') digits += c;
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1) + (digits.size() > 1 ? "." + digits.substr(1) : "");
    const std::string exp_digits = std::to_string(std::abs(exponent));
    out += std::string("e") + (exponent < 0 ? "-" : "+") + (exp_digits.size() < 2 ? "0" : "") + exp_digits;
  } else if (exponent < 0) {
    out = "0." + std::string(size_t(-exponent - 1), '0') + digits;
  } else if (digits.size() <= size_t(exponent) + 1) {
    out = digits + std::string(size_t(exponent) + 1 - digits.size(), '0') + ".0";
  } else {
    out = digits.substr(0, size_t(exponent) + 1) + "." + digits.substr(size_t(exponent) + 1);
  }
  return (negative ? "-" : "") + out;
}

}  // namespace detail

namespace {

template <class Entries>
auto find_entry(Entries& entries, const std::string& name) {
  return std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == name; });
}

template <class Entries, class Value>
void insert_or_replace(Entries& entries, std::string name, Value value) {
  auto it = find_entry(entries, name);
  if (it != entries.end()) it->second = std::move(value);
  else entries.emplace_back(std::move(name), std::move(value));
}

std::string join_prefix(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// Indents every line but the first by two spaces, as torch.nn.modules.module._addindent.
std::string add_indent(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

}  // namespace

Tensor Module::forward(const Tensor&) {
  throw NotImplementedError("Module [" + name() + "] is missing the required \"forward\" function");
}

void Module::check_new_name(const std::string& name, const char* kind) const {
  NB_CHECK(!name.empty(), ValueError, kind, " name can't be empty string \"\"");
  NB_CHECK(name.find('.') == std::string::npos, ValueError, kind, " name can't contain \".\" (got \"", name, "\")");
  const bool is_param = find_entry(parameters_, name) != parameters_.end();
  const bool is_buffer = find_entry(buffers_, name) != buffers_.end();
  const bool is_module = find_entry(children_, name) != children_.end();
  const std::string k = kind;
  NB_CHECK(!(is_param && k != "parameter") && !(is_buffer && k != "buffer") && !(is_module && k != "module"),
           ValueError, "attribute '", name, "' already exists in ", this->name(), " as another kind of entry");
}

Tensor Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_new_name(name, "parameter");
  if (!tensor.defined()) return tensor;
  NB_CHECK(tensor.is_leaf(), ValueError, "Cannot assign non-leaf Tensor to parameter '", name,
           "'. Model parameters must be created explicitly; register tensor.detach() instead, or compute '", name,
           "' in forward()");
  tensor.requires_grad_(requires_grad);
  insert_or_replace(parameters_, std::move(name), tensor);
  return tensor;
}

Tensor Module::register_buffer(std::string name, Tensor tensor) {
  check_new_name(name, "buffer");
  if (tensor.defined()) insert_or_replace(buffers_, std::move(name), tensor);
  return tensor;
}

void Module::add_child(std::string name, std::shared_ptr<Module> module) {
  check_new_name(name, "module");
  NB_CHECK(module, TypeError, "register_module: module '", name, "' is null; pass a std::make_shared<...>() module");
  NB_CHECK(module.get() != this, ValueError, "register_module: a module cannot be its own child ('", name, "')");
  insert_or_replace(children_, std::move(name), std::move(module));
}

std::vector<std::pair<std::string, const Module*>> Module::flatten(bool unique) const {
  std::vector<std::pair<std::string, const Module*>> out;
  std::unordered_set<const Module*> seen;
  // Iterative pre-order, children pushed in reverse so that they come out in registration order.
  std::vector<std::pair<std::string, const Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [prefix, m] = std::move(stack.back());
    stack.pop_back();
    if (unique && !seen.insert(m).second) continue;
    for (auto it = m->children_.rbegin(); it != m->children_.rend(); ++it)
      stack.emplace_back(join_prefix(prefix, it->first), it->second.get());
    out.emplace_back(std::move(prefix), m);
  }
  return out;
}

namespace {

// Named tensors of the modules (own entries picked by `entries`), each tensor once.
template <class Entries>
StateDict named_tensors(const std::vector<std::pair<std::string, const Module*>>& modules, Entries entries) {
  StateDict out;
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& [prefix, m] : modules)
    for (const auto& [name, t] : entries(*m))
      if (seen.insert(t.impl()).second) out.insert(join_prefix(prefix, name), t);
  return out;
}

std::vector<Tensor> values_of(const StateDict& d) {
  std::vector<Tensor> out;
  out.reserve(d.size());
  for (const auto& item : d) out.push_back(item.second);
  return out;
}

}  // namespace

StateDict Module::named_parameters(bool recurse) const {
  auto modules = recurse ? flatten(true) : std::vector<std::pair<std::string, const Module*>>{{"", this}};
  return named_tensors(modules, [](const Module& m) -> const auto& { return m.parameters_; });
}

StateDict Module::named_buffers(bool recurse) const {
  auto modules = recurse ? flatten(true) : std::vector<std::pair<std::string, const Module*>>{{"", this}};
  return named_tensors(modules, [](const Module& m) -> const auto& { return m.buffers_; });
}

std::vector<Tensor> Module::parameters(bool recurse) const { return values_of(named_parameters(recurse)); }
std::vector<Tensor> Module::buffers(bool recurse) const { return values_of(named_buffers(recurse)); }

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  std::unordered_set<const Module*> seen;
  for (const auto& [name, m] : children_)
    if (seen.insert(m.get()).second) out.push_back(m);
  return out;
}

NamedModules Module::named_modules() {
  std::shared_ptr<Module> self = weak_from_this().lock();
  NB_CHECK(self, RuntimeError, "modules(): ", name(),
           " is not owned by a std::shared_ptr; create it with std::make_shared<", name(), ">(...)");
  NamedModules out;
  std::unordered_set<const Module*> seen;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> stack{{"", self}};
  while (!stack.empty()) {
    auto [prefix, m] = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(m.get()).second) continue;
    for (auto it = m->children_.rbegin(); it != m->children_.rend(); ++it)
      stack.emplace_back(join_prefix(prefix, it->first), it->second);
    out.emplace_back(std::move(prefix), std::move(m));
  }
  return out;
}

std::vector<std::shared_ptr<Module>> Module::modules() {
  std::vector<std::shared_ptr<Module>> out;
  for (auto& [name, m] : named_modules()) out.push_back(std::move(m));
  return out;
}

Module& Module::train(bool on) {
  for (const auto& [prefix, m] : flatten(true)) const_cast<Module*>(m)->training_ = on;
  return *this;
}

template <class Convert>
Module& Module::convert_tensors(const Convert& convert) {
  NoGradGuard no_grad;
  auto convert_in_place = [&](const Tensor& t) {
    Tensor converted = convert(t.detach());
    if (converted.defined()) t.impl()->set_data(*converted.impl());
  };
  for (const auto& [prefix, m] : flatten(true)) {
    for (const auto& [name, p] : m->parameters_) {
      convert_in_place(p);
      if (p.grad().defined()) convert_in_place(p.grad());
    }
    for (const auto& [name, b] : m->buffers_) convert_in_place(b);
  }
  return *this;
}

Module& Module::to(DType dtype) {
  NB_CHECK(is_floating(dtype), TypeError, "nn.Module.to only accepts floating point dtypes, but got desired dtype=",
           dtype_name(dtype));
  // Integer buffers (BatchNorm's num_batches_tracked) keep their dtype, as in PyTorch.
  return convert_tensors([&](const Tensor& t) { return t.is_floating_point() ? t.to(dtype) : Tensor(); });
}

Module& Module::to(Device device) {
  return convert_tensors([&](const Tensor& t) { return t.to(device); });
}

void Module::zero_grad(bool set_to_none) {
  for (const Tensor& p : parameters()) {
    if (!p.grad().defined()) continue;
    Tensor& g = p.mutable_grad();
    if (set_to_none) {
      g = Tensor();
      continue;
    }
    if (g.grad_fn()) g.detach_();
    else if (g.requires_grad()) g.requires_grad_(false);
    g.zero_();
  }
}

StateDict Module::state_dict() const {
  StateDict out;
  for (const auto& [prefix, m] : flatten(false)) {
    for (const auto& [name, p] : m->parameters_) out.insert(join_prefix(prefix, name), p.detach());
    for (const auto& [name, b] : m->buffers_) out.insert(join_prefix(prefix, name), b.detach());
  }
  return out;
}

LoadStateDictResult Module::load_state_dict(const StateDict& state, bool strict) {
  const StateDict own = state_dict();
  std::unordered_map<std::string_view, const Tensor*> given;
  for (const auto& [key, t] : state) given.emplace(key, &t);

  LoadStateDictResult result;
  std::vector<std::string> mismatch_errors;
  std::vector<std::pair<Tensor, const Tensor*>> copies;
  std::unordered_set<std::string_view> own_keys;
  for (const auto& [key, target] : own) {
    own_keys.insert(key);
    auto it = given.find(key);
    if (it == given.end()) {
      result.missing_keys.push_back(key);
      continue;
    }
    const Tensor& source = *it->second;
    NB_CHECK(source.defined(), ValueError, "load_state_dict: the entry '", key, "' is an undefined tensor");
    const bool same_shape = source.sizes() == target.sizes();
    if (!same_shape)
      mismatch_errors.push_back("size mismatch for " + key + ": copying a param with shape " +
                                detail::list_str(source.sizes()) + " from checkpoint, the shape in current model is " +
                                detail::list_str(target.sizes()) + ".");
    // PyTorch converts silently; a checkpoint of another dtype is more often a wrong file than an
    // intended cast, and the caller can convert explicitly.
    const bool same_dtype = source.dtype() == target.dtype();
    if (!same_dtype)
      mismatch_errors.push_back(std::string("dtype mismatch for ") + key + ": copying a param with dtype " +
                                std::string(dtype_name(source.dtype())) +
                                " from checkpoint, the dtype in current model is " +
                                std::string(dtype_name(target.dtype())) +
                                "; convert the checkpoint's tensor (or the model) with .to() first.");
    if (same_shape && same_dtype) copies.emplace_back(target, &source);
  }
  for (const auto& [key, t] : state)
    if (!own_keys.count(key)) result.unexpected_keys.push_back(key);

  std::vector<std::string> errors;
  auto quoted_list = [](const std::vector<std::string>& keys) {
    std::string s;
    for (size_t i = 0; i < keys.size(); ++i) s += (i ? ", \"" : "\"") + keys[i] + "\"";
    return s;
  };
  if (strict && !result.missing_keys.empty())
    errors.push_back("Missing key(s) in state_dict: " + quoted_list(result.missing_keys) + ". ");
  if (strict && !result.unexpected_keys.empty())
    errors.push_back("Unexpected key(s) in state_dict: " + quoted_list(result.unexpected_keys) + ". ");
  errors.insert(errors.end(), mismatch_errors.begin(), mismatch_errors.end());
  if (!errors.empty()) {
    std::string msg = "Error(s) in loading state_dict for " + name() + ":";
    for (const auto& e : errors) msg += "\n\t" + e;
    throw RuntimeError(msg);
  }

  NoGradGuard no_grad;
  for (auto& [target, source] : copies) target.copy_(*source);
  return result;
}

std::string Module::name() const {
  int status = 0;
  char* demangled = abi::__cxa_demangle(typeid(*this).name(), nullptr, nullptr, &status);
  std::string full = status == 0 && demangled ? demangled : typeid(*this).name();
  std::free(demangled);
  // "ns::Outer::Net" -> "Net"; a template's arguments are kept ("Box<float>").
  const size_t template_start = full.find('<');
  const size_t last_colon = full.rfind("::", template_start);
  return last_colon == std::string::npos ? full : full.substr(last_colon + 2);
}

std::string Module::repr() const {
  std::vector<std::string> lines;
  const std::string extra = extra_repr();
  size_t extra_lines = 0;
  if (!extra.empty()) {
    std::istringstream is(extra);
    for (std::string line; std::getline(is, line);) lines.push_back(line), ++extra_lines;
  }
  for (const auto& [key, child] : children_) lines.push_back("(" + key + "): " + add_indent(child->repr()));
  std::string s = name() + "(";
  if (extra_lines == 1 && children_.empty()) {
    s += lines[0];
  } else if (!lines.empty()) {
    s += "\n";
    for (const auto& line : lines) s += "  " + line + "\n";
  }
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.repr(); }

}  // namespace nabla::nn
