// The optimizer base: parameter groups, per-parameter state, the fused step, zero_grad and the
// state dict. What differs between SGD, Adam, AdamW and RMSprop is in algorithms.hpp.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "core/check.hpp"
#include "nabla/autograd.hpp"
#include "nabla/creation.hpp"
#include "optim/algorithms.hpp"

namespace nabla::optim {

namespace {

constexpr const char* kOptionsNames[] = {"no options", "SGDOptions", "AdamOptions", "AdamWOptions",
                                         "RMSpropOptions"};
static_assert(std::size(kOptionsNames) == std::variant_size_v<GroupOptions>);

// Calls fn(options, Algorithm<Options>{}) for a group's concrete options (Variant: GroupOptions,
// const or not).
template <typename Variant, typename Fn>
void visit_algorithm(Variant& options, Fn&& fn) {
  std::visit(
      [&](auto& o) {
        using O = std::remove_cvref_t<decltype(o)>;
        if constexpr (std::is_same_v<O, std::monostate>) {
          throw RuntimeError("optimizer: a parameter group has no options (add it with add_param_group)");
        } else {
          fn(o, Algorithm<O>{});
        }
      },
      options);
}

std::string key_of(const char* section, size_t index, std::string_view name) {
  std::string key(section);
  key += '.';
  key += std::to_string(index);
  key += '.';
  key += name;
  return key;
}

// The state dict's entries by key, and which ones load_state_dict has used.
class KeyIndex {
 public:
  KeyIndex(const char* optimizer, const StateDict& dict) : optimizer_(optimizer) {
    for (const auto& [key, value] : dict) entries_.emplace(key, Entry{&value});
  }
  const Tensor* find(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    it->second.used = true;
    return it->second.value;
  }
  const Tensor& at(const std::string& key) {
    const Tensor* t = find(key);
    NB_CHECK(t, ValueError, optimizer_, ".load_state_dict: missing key '", key, "'");
    return *t;
  }
  void check_all_used() const {
    for (const auto& [key, entry] : entries_) {
      NB_CHECK(entry.used, ValueError, optimizer_, ".load_state_dict: unexpected key '", key,
               "' (not a state buffer or option of this optimizer's parameters and groups)");
    }
  }

 private:
  struct Entry {
    const Tensor* value;
    bool used = false;
  };
  const char* optimizer_;
  std::unordered_map<std::string, Entry> entries_;
};

double scalar_entry(const char* optimizer, const std::string& key, const Tensor& t) {
  NB_CHECK(t.numel() == 1, ValueError, optimizer, ".load_state_dict: '", key, "' must hold one value, but has shape ",
           shape_str(t.sizes()));
  return t.item<double>();
}

// "state.<id>.<name>" -> (id, name); false for other keys.
bool parse_state_key(std::string_view key, int64_t& id, std::string_view& name) {
  constexpr std::string_view prefix = "state.";
  if (!key.starts_with(prefix)) return false;
  key.remove_prefix(prefix.size());
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (ec != std::errc() || end == key.data() + key.size() || *end != '.') return false;
  name = key.substr(size_t(end - key.data()) + 1);
  return true;
}

}  // namespace

double ParamGroup::lr() const {
  return std::visit(
      [](const auto& o) -> double {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(o)>, std::monostate>) {
          throw RuntimeError("ParamGroup::lr: the group has no options yet (add it to an optimizer first)");
        } else {
          return o.lr;
        }
      },
      options);
}

void ParamGroup::set_lr(double lr) {
  std::visit(
      [lr](auto& o) {
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(o)>, std::monostate>) {
          throw RuntimeError("ParamGroup::set_lr: the group has no options yet (add it to an optimizer first)");
        } else {
          o.lr = lr;
        }
      },
      options);
}

void ParamGroup::throw_wrong_options() const {
  throw TypeError(std::string("ParamGroup::options_as: the group holds ") + kOptionsNames[options.index()] +
                  ", not the requested options type");
}

// Reused across steps so that a step allocates nothing once the state exists.
struct Optimizer::Scratch {
  std::vector<OptimTensors> tensors;                     // the first `count` (see step()) are this step's
  std::vector<Device> devices;                           // of each entry of tensors in use
  std::vector<Tensor> staged_grads;                      // contiguous copies of strided grads
  std::vector<std::pair<Tensor, Tensor>> staged_params;  // (strided param, its contiguous copy)
  std::vector<OptimTensors> same_device;

  void clear() {
    devices.clear();
    staged_grads.clear();
    staged_params.clear();
  }
  // Strided tensors take a detour through contiguous copies (the kernel wants flat arrays).
  void* stage_param(const Tensor& p) {
    NoGradGuard no_grad;
    staged_params.emplace_back(p, p.contiguous());
    return staged_params.back().second.data_ptr();
  }
  const void* stage_grad(const Tensor& grad) {
    NoGradGuard no_grad;
    staged_grads.push_back(grad.contiguous());
    return staged_grads.back().data_ptr();
  }
  void write_back() {
    NoGradGuard no_grad;
    for (auto& [param, staged] : staged_params) param.copy_(staged);
  }
};

namespace {

[[noreturn]] void fail_grad_mismatch(const char* optimizer, size_t index, const Tensor& p, const Tensor& grad) {
  fail<RuntimeError>(optimizer, ".step: parameter ", index, " is ", dtype_str(p.dtype()), " ", shape_str(p.sizes()),
                     " on ", p.device().str(), " but its grad is ", dtype_str(grad.dtype()), " ",
                     shape_str(grad.sizes()), " on ", grad.device().str(), "; they must match");
}

// State made before model.to(dtype or device) follows the parameter.
bool is_stale(const Tensor& buffer, DType dtype, Device device) {
  return buffer.defined() && (buffer.dtype() != dtype || buffer.device() != device);
}
[[gnu::noinline]] void follow_param(ParamState& s, DType dtype, Device device) {
  NoGradGuard no_grad;
  for (Tensor& buffer : s.buffers) {
    if (is_stale(buffer, dtype, device)) buffer = buffer.to(s.param.options());
  }
}

}  // namespace

Optimizer::Optimizer(const char* name, GroupOptions defaults, std::vector<ParamGroup> groups)
    : name_(name), defaults_(defaults), scratch_(std::make_unique<Scratch>()) {
  // SGD's lr may be left to the groups (PyTorch checks `required` per group): the defaults' other
  // options are validated now, and a group without its own options checks the lr when added.
  GroupOptions check = defaults_;
  visit_algorithm(check, [](auto& o, auto algorithm) {
    if (std::isnan(o.lr)) o.lr = 0;
    algorithm.validate(o);
  });
  NB_CHECK(!groups.empty(), ValueError, name_, ": optimizer got an empty parameter list");
  for (ParamGroup& group : groups) add_param_group(std::move(group));
}

Optimizer::~Optimizer() = default;

void Optimizer::add_param_group(ParamGroup group) {
  if (std::holds_alternative<std::monostate>(group.options)) group.options = defaults_;
  NB_CHECK(group.options.index() == defaults_.index(), TypeError, name_, ": parameter group ", groups_.size(),
           " has ", kOptionsNames[group.options.index()], ", but this optimizer takes ",
           kOptionsNames[defaults_.index()]);
  visit_algorithm(group.options, [](const auto& o, auto algorithm) { algorithm.validate(o); });
  std::unordered_set<const TensorImpl*> seen;
  for (const ParamGroup& g : groups_) {
    for (const Tensor& p : g.params) seen.insert(p.impl());
  }
  for (size_t j = 0; j < group.params.size(); ++j) {
    const Tensor& p = group.params[j];
    NB_CHECK(p.defined(), ValueError, name_, ": parameter ", j, " of the group is an undefined tensor");
    NB_CHECK(is_floating(p.dtype()), ValueError, name_,
             ": can only optimize floating-point tensors, but parameter ", j, " of the group has dtype ",
             dtype_str(p.dtype()));
    NB_CHECK(p.is_leaf() || p.retains_grad(), ValueError, name_, ": can't optimize a non-leaf Tensor (parameter ",
             j, " of the group was computed from other tensors; pass a leaf, e.g. its detach().requires_grad_())");
    NB_CHECK(seen.insert(p.impl()).second, ValueError, name_,
             ": some parameters appear in more than one parameter group (or twice in one group): parameter ", j,
             " of the new group");
  }
  state_.emplace_back(group.params.size());
  groups_.push_back(std::move(group));
}

void Optimizer::zero_grad(bool set_to_none) {
  for (ParamGroup& group : groups_) {
    for (Tensor& p : group.params) {
      if (!p.grad().defined()) continue;
      Tensor& grad = p.mutable_grad();
      if (set_to_none) {
        grad = Tensor();
        continue;
      }
      if (grad.grad_fn()) grad.detach_();
      else grad.requires_grad_(false);
      grad.zero_();
    }
  }
}

Tensor Optimizer::step(const std::function<Tensor()>& closure) {
  Tensor loss;
  {
    EnableGradGuard enable_grad;
    loss = closure();
  }
  step();
  return loss;
}

void Optimizer::step() {
  Scratch& scratch = *scratch_;
  scratch.clear();
  size_t count = 0;  // entries of scratch.tensors in use
  OptimKind kind = OptimKind::kSGD;
  bool one_device = true;
  size_t index = 0;  // of the parameter across groups, for messages
  for (size_t g = 0; g < groups_.size(); ++g) {
    ParamGroup& group = groups_[g];
    std::vector<ParamState>& states = state_[g];
    if (states.size() != group.params.size()) states.resize(group.params.size());
    visit_algorithm(group.options, [&](const auto& options, auto algorithm) {
      kind = algorithm.kKind;
      for (size_t i = 0; i < group.params.size(); ++i, ++index) {
        const Tensor& p = group.params[i];
        const Tensor& grad = p.grad();
        if (!grad.defined()) continue;
        const DType dtype = p.dtype();
        const Device device = p.device();
        if (grad.dtype() != dtype || grad.device() != device || grad.sizes() != p.sizes()) {
          fail_grad_mismatch(name_, index, p, grad);
        }
        ParamState& s = states[i];
        if (!s.param.is_same(p)) {
          s = ParamState();
          s.param = p;
        }
        if (is_stale(s.buffers[0], dtype, device) || is_stale(s.buffers[1], dtype, device) ||
            is_stale(s.buffers[2], dtype, device)) {
          follow_param(s, dtype, device);
        }
        // Entries are reused from earlier steps (assigned field by field, nothing to construct).
        if (count == scratch.tensors.size()) scratch.tensors.emplace_back();
        OptimTensors& t = scratch.tensors[count];
        t.scalars = algorithm.prepare(options, s);
        if (p.numel() == 0) continue;
        ++count;
        t.numel = p.numel();
        t.dtype = dtype;
        if (p.is_contiguous()) {
          t.param = p.data_ptr();
          p.impl()->storage()->bump_version();
        } else {
          t.param = scratch.stage_param(p);  // copied back (and versioned) after the kernel
        }
        t.grad = grad.is_contiguous() ? grad.data_ptr() : scratch.stage_grad(grad);
        for (int k = 0; k < 3; ++k) t.state[k] = s.buffers[k].defined() ? s.buffers[k].data_ptr() : nullptr;
        scratch.devices.push_back(device);
        one_device = one_device && scratch.devices.back() == scratch.devices.front();
      }
    });
  }
  if (count == 0) return;
  const std::span<const OptimTensors> tensors(scratch.tensors.data(), count);
  if (one_device) {
    optim_step_kernel(scratch.devices.front())(kind, tensors);
  } else {
    std::vector<Device> done;
    for (const Device& d : scratch.devices) {
      if (std::find(done.begin(), done.end(), d) != done.end()) continue;
      done.push_back(d);
      scratch.same_device.clear();
      for (size_t i = 0; i < count; ++i) {
        if (scratch.devices[i] == d) scratch.same_device.push_back(tensors[i]);
      }
      optim_step_kernel(d)(kind, scratch.same_device);
    }
  }
  if (!scratch.staged_params.empty()) scratch.write_back();
}

StateDict Optimizer::state_dict() const {
  StateDict dict;
  size_t index = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    visit_algorithm(groups_[g].options, [&](const auto&, auto algorithm) {
      using A = decltype(algorithm);
      for (size_t i = 0; i < groups_[g].params.size(); ++i, ++index) {
        if (i >= state_[g].size() || !state_[g][i].param.is_same(groups_[g].params[i])) continue;
        const ParamState& s = state_[g][i];
        if constexpr (A::kHasStep) {
          if (s.buffers[0].defined()) dict.insert(key_of("state", index, "step"), full({}, s.step, A::kStepDType));
        }
        for (int k = 0; k < 3; ++k) {
          if (s.buffers[k].defined()) dict.insert(key_of("state", index, A::kBuffers[k]), s.buffers[k]);
        }
      }
    });
  }
  int64_t first_index = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    visit_algorithm(group.options, [&](const auto& options, auto algorithm) {
      algorithm.fields(options, [&](const char* name, const auto& value) {
        using V = std::remove_cvref_t<decltype(value)>;
        if constexpr (std::is_same_v<V, bool>) {
          dict.insert(key_of("param_groups", g, name), full({}, value, kBool));
        } else if constexpr (std::is_same_v<V, double>) {
          dict.insert(key_of("param_groups", g, name), full({}, value, kFloat64));
        } else {
          dict.insert(key_of("param_groups", g, name), tensor(std::vector<double>{value.first, value.second}, kFloat64));
        }
      });
    });
    if (group.initial_lr) dict.insert(key_of("param_groups", g, "initial_lr"), full({}, *group.initial_lr, kFloat64));
    std::vector<int64_t> ids(group.params.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = first_index + int64_t(i);
    first_index += int64_t(ids.size());
    dict.insert(key_of("param_groups", g, "params"), tensor(ids, kInt64));
  }
  return dict;
}

void Optimizer::load_state_dict(const StateDict& dict) {
  NoGradGuard no_grad;
  KeyIndex keys(name_, dict);
  // Everything is read into copies first; the optimizer changes only once the whole dict checked out.
  size_t saved_groups = 0;
  for (const auto& [key, value] : dict) {
    std::string_view rest = key;
    if (!rest.starts_with("param_groups.")) continue;
    rest.remove_prefix(std::string_view("param_groups.").size());
    size_t g = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), g);
    if (ec == std::errc()) saved_groups = std::max(saved_groups, g + 1);
  }
  NB_CHECK(saved_groups == groups_.size(), ValueError, name_,
           ".load_state_dict: loaded state dict has a different number of parameter groups (", saved_groups,
           ", this optimizer has ", groups_.size(), ")");

  std::vector<GroupOptions> options(groups_.size());
  std::vector<std::optional<double>> initial_lrs(groups_.size());
  std::vector<std::vector<ParamState>> state(groups_.size());
  std::vector<std::vector<int64_t>> saved_ids(groups_.size());
  std::vector<std::vector<bool>> step_loaded(groups_.size());
  std::unordered_map<int64_t, std::pair<size_t, size_t>> slot_of_id;  // saved id -> (group, position)
  for (size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    const std::string params_key = key_of("param_groups", g, "params");
    const Tensor& ids = keys.at(params_key);
    NB_CHECK(ids.dim() == 1 && !ids.is_floating_point() && ids.numel() == int64_t(group.params.size()), ValueError,
             name_, ".load_state_dict: loaded state dict contains a parameter group that doesn't match the size of "
             "optimizer's group ('", params_key, "' is ", dtype_str(ids.dtype()), " ", shape_str(ids.sizes()),
             ", expected ", group.params.size(), " indices)");
    const Tensor ids64 = ids.to(kInt64).contiguous();
    saved_ids[g].assign(ids64.data_ptr<int64_t>(), ids64.data_ptr<int64_t>() + ids64.numel());
    for (size_t i = 0; i < group.params.size(); ++i) slot_of_id[saved_ids[g][i]] = {g, i};
    step_loaded[g].assign(group.params.size(), false);
    state[g].resize(group.params.size());
    for (size_t i = 0; i < group.params.size(); ++i) state[g][i].param = group.params[i];

    options[g] = group.options;
    visit_algorithm(options[g], [&](auto& o, auto algorithm) {
      algorithm.fields(o, [&](const char* name, auto& value) {
        using V = std::remove_cvref_t<decltype(value)>;
        const std::string key = key_of("param_groups", g, name);
        const Tensor& t = keys.at(key);
        if constexpr (std::is_same_v<V, std::pair<double, double>>) {
          NB_CHECK(t.numel() == 2, ValueError, name_, ".load_state_dict: '", key, "' must hold 2 values, but has shape ",
                   shape_str(t.sizes()));
          const Tensor values = t.to(kFloat64).contiguous();
          value = {values.data_ptr<double>()[0], values.data_ptr<double>()[1]};
        } else {
          value = V(scalar_entry(name_, key, t));
        }
      });
      algorithm.validate(o);
    });
    if (const Tensor* t = keys.find(key_of("param_groups", g, "initial_lr"))) {
      initial_lrs[g] = scalar_entry(name_, key_of("param_groups", g, "initial_lr"), *t);
    }
  }

  for (const StateDict::Item& entry : dict) {
    // Named variables, not structured bindings: the lambda below captures them (clang 14 cannot).
    const std::string& key = entry.first;
    const Tensor& value = entry.second;
    int64_t id = 0;
    std::string_view buffer_name;
    if (!parse_state_key(key, id, buffer_name)) continue;
    auto slot = slot_of_id.find(id);
    if (slot == slot_of_id.end()) continue;  // reported as unexpected below
    const auto g = slot->second.first;
    const auto i = slot->second.second;
    ParamState& s = state[g][i];
    const Tensor& p = s.param;
    visit_algorithm(options[g], [&](const auto& o, auto algorithm) {
      using A = decltype(algorithm);
      if (A::kHasStep && buffer_name == "step") {
        s.step = scalar_entry(name_, key, value);
        step_loaded[g][i] = true;
        keys.find(key);
        return;
      }
      for (int k = 0; k < 3; ++k) {
        if (!A::kBuffers[k] || buffer_name != A::kBuffers[k] || !A::uses_buffer(o, k)) continue;
        NB_CHECK(value.sizes() == p.sizes(), ValueError, name_, ".load_state_dict: '", key, "' has shape ",
                 shape_str(value.sizes()), " but parameter ", id, " has shape ", shape_str(p.sizes()));
        NB_CHECK(value.is_floating_point(), ValueError, name_, ".load_state_dict: '", key, "' has dtype ",
                 dtype_str(value.dtype()), "; state buffers are floating-point");
        s.buffers[k] = empty(p.sizes(), p.options());
        s.buffers[k].copy_(value);
        keys.find(key);
      }
    });
  }
  keys.check_all_used();

  // Adam's and RMSprop's state is all or nothing per parameter: step and the buffers in use.
  for (size_t g = 0; g < groups_.size(); ++g) {
    visit_algorithm(options[g], [&](const auto& o, auto algorithm) {
      using A = decltype(algorithm);
      if constexpr (A::kHasStep) {
        for (size_t i = 0; i < state[g].size(); ++i) {
          const ParamState& s = state[g][i];
          const bool any = step_loaded[g][i] || s.buffers[0].defined() || s.buffers[1].defined() ||
                           s.buffers[2].defined();
          if (!any) continue;
          const size_t id = size_t(saved_ids[g][i]);
          NB_CHECK(step_loaded[g][i], ValueError, name_, ".load_state_dict: missing key '", key_of("state", id, "step"),
                   "'");
          for (int k = 0; k < 3; ++k) {
            NB_CHECK(s.buffers[k].defined() || !A::uses_buffer(o, k), ValueError, name_,
                     ".load_state_dict: missing key '", key_of("state", id, A::kBuffers[k]), "'");
          }
        }
      }
    });
  }

  for (size_t g = 0; g < groups_.size(); ++g) {
    groups_[g].options = options[g];
    groups_[g].initial_lr = initial_lrs[g];
  }
  state_ = std::move(state);
}

namespace {

std::vector<ParamGroup> one_group(const char* name, std::vector<Tensor> params) {
  NB_CHECK(!params.empty(), ValueError, name, ": optimizer got an empty parameter list");
  std::vector<ParamGroup> groups;
  groups.emplace_back(std::move(params));
  return groups;
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, double lr) : SGD(std::move(params), SGDOptions{.lr = lr}) {}
SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer("SGD", options, one_group("SGD", std::move(params))) {}
SGD::SGD(std::vector<ParamGroup> groups, SGDOptions defaults) : Optimizer("SGD", defaults, std::move(groups)) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Optimizer("Adam", options, one_group("Adam", std::move(params))) {}
Adam::Adam(std::vector<Tensor> params, double lr) : Adam(std::move(params), AdamOptions{.lr = lr}) {}
Adam::Adam(std::vector<ParamGroup> groups, AdamOptions defaults) : Optimizer("Adam", defaults, std::move(groups)) {}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : Optimizer("AdamW", options, one_group("AdamW", std::move(params))) {}
AdamW::AdamW(std::vector<Tensor> params, double lr) : AdamW(std::move(params), AdamWOptions{.lr = lr}) {}
AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions defaults)
    : Optimizer("AdamW", defaults, std::move(groups)) {}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : Optimizer("RMSprop", options, one_group("RMSprop", std::move(params))) {}
RMSprop::RMSprop(std::vector<Tensor> params, double lr) : RMSprop(std::move(params), RMSpropOptions{.lr = lr}) {}
RMSprop::RMSprop(std::vector<ParamGroup> groups, RMSpropOptions defaults)
    : Optimizer("RMSprop", defaults, std::move(groups)) {}

}  // namespace nabla::optim
