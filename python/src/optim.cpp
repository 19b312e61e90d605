// The optimizers and learning-rate schedulers of nabla::optim, built from the Python package's
// parameter groups and keyword options (python/nabla/optim/).
#include "bindings.hpp"
#include "nabla/optim.hpp"
#include "nabla/state_dict.hpp"

namespace nabla::python {
namespace {

namespace O = optim;

// The option `key` of a parameter group as its C++ field; TypeError naming the option when the value
// has the wrong type (pybind11's own cast error names neither).
template <typename T>
void set(const py::dict& d, const char* key, T& field) {
  if (!d.contains(key)) return;
  py::object value = d[key];
  try {
    field = value.cast<T>();
  } catch (const py::cast_error&) {
    const char* expected = std::is_same_v<T, bool> ? "a bool" : std::is_same_v<T, double> ? "a number" : "a pair of numbers";
    throw py::type_error(std::string("optimizer option '") + key + "' must be " + expected + ", got " +
                         py::repr(value).cast<std::string>());
  }
}

// One function per options type: reads and writes the fields named as in torch.optim.
template <typename F> void fields(O::SGDOptions& o, F f) {
  f("lr", o.lr); f("momentum", o.momentum); f("dampening", o.dampening); f("weight_decay", o.weight_decay);
  f("nesterov", o.nesterov); f("maximize", o.maximize);
}
template <typename F> void fields(O::AdamOptions& o, F f) {
  f("lr", o.lr); f("betas", o.betas); f("eps", o.eps); f("weight_decay", o.weight_decay); f("amsgrad", o.amsgrad);
  f("maximize", o.maximize);
}
template <typename F> void fields(O::AdamWOptions& o, F f) {
  f("lr", o.lr); f("betas", o.betas); f("eps", o.eps); f("weight_decay", o.weight_decay); f("amsgrad", o.amsgrad);
  f("maximize", o.maximize);
}
template <typename F> void fields(O::RMSpropOptions& o, F f) {
  f("lr", o.lr); f("alpha", o.alpha); f("eps", o.eps); f("weight_decay", o.weight_decay); f("momentum", o.momentum);
  f("centered", o.centered); f("maximize", o.maximize);
}

template <typename Options>
Options options_from(const py::dict& d, Options base) {
  fields(base, [&](const char* key, auto& field) { set(d, key, field); });
  return base;
}

py::dict options_to_py(const O::GroupOptions& options) {
  py::dict d;
  std::visit([&](const auto& o) {
    if constexpr (!std::is_same_v<std::decay_t<decltype(o)>, std::monostate>) {
      auto copy = o;
      fields(copy, [&](const char* key, auto& field) { d[key] = py::cast(field); });
    }
  }, options);
  return d;
}

// groups: [(params, {option: value})]; defaults: {option: value}.
template <typename Optimizer, typename Options>
std::unique_ptr<O::Optimizer> make(const std::vector<std::pair<std::vector<Tensor>, py::dict>>& groups,
                                   const py::dict& defaults) {
  Options base = options_from(defaults, Options{});
  std::vector<O::ParamGroup> built;
  for (const auto& [params, overrides] : groups) built.emplace_back(params, options_from(overrides, base));
  return std::make_unique<Optimizer>(std::move(built), base);
}

}  // namespace

void bind_optim(py::module_& m) {
  py::module_ o = m.def_submodule("_optim", "nabla::optim");
  py::class_<O::Optimizer>(o, "Optimizer")
      .def("step", [](O::Optimizer& opt) { opt.step(); })
      .def("zero_grad", &O::Optimizer::zero_grad, py::arg("set_to_none") = true)
      .def("num_groups", [](const O::Optimizer& opt) { return opt.param_groups().size(); })
      .def("group_options", [](const O::Optimizer& opt, size_t g) { return options_to_py(opt.param_groups().at(g).options); })
      .def("set_group_option", [](O::Optimizer& opt, size_t g, const std::string& key, py::handle value) {
        py::dict d;
        d[key.c_str()] = value;
        auto& group = opt.param_groups().at(g);
        std::visit([&](auto& options) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(options)>, std::monostate>) options = options_from(d, options);
        }, group.options);
      })
      .def("initial_lr", [](const O::Optimizer& opt, size_t g) { return opt.param_groups().at(g).initial_lr; })
      .def("add_param_group", [](O::Optimizer& opt, const std::vector<Tensor>& params, const py::dict& overrides) {
        O::GroupOptions options = opt.defaults();
        std::visit([&](auto& o) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(o)>, std::monostate>) o = options_from(overrides, o);
        }, options);
        opt.add_param_group(O::ParamGroup(params, options));
      })
      .def("state_dict", [](const O::Optimizer& opt) { return state_dict_to_py(opt.state_dict()); })
      .def("load_state_dict", [](O::Optimizer& opt, py::handle d) { opt.load_state_dict(state_dict_from_py(d)); });
  o.def("SGD", &make<O::SGD, O::SGDOptions>);
  o.def("Adam", &make<O::Adam, O::AdamOptions>);
  o.def("AdamW", &make<O::AdamW, O::AdamWOptions>);
  o.def("RMSprop", &make<O::RMSprop, O::RMSpropOptions>);

  namespace S = O::lr_scheduler;
  py::class_<S::LRScheduler>(o, "LRScheduler")
      .def("step", &S::LRScheduler::step)
      .def("get_last_lr", &S::LRScheduler::get_last_lr)
      .def_property_readonly("last_epoch", &S::LRScheduler::last_epoch);
  o.def("StepLR", [](O::Optimizer& opt, int64_t step_size, double gamma) -> std::unique_ptr<S::LRScheduler> {
    return std::make_unique<S::StepLR>(opt, step_size, gamma);
  }, py::keep_alive<0, 1>());
  o.def("MultiStepLR", [](O::Optimizer& opt, std::vector<int64_t> milestones, double gamma)
                           -> std::unique_ptr<S::LRScheduler> {
    return std::make_unique<S::MultiStepLR>(opt, std::move(milestones), gamma);
  }, py::keep_alive<0, 1>());
  o.def("ExponentialLR", [](O::Optimizer& opt, double gamma) -> std::unique_ptr<S::LRScheduler> {
    return std::make_unique<S::ExponentialLR>(opt, gamma);
  }, py::keep_alive<0, 1>());
  o.def("CosineAnnealingLR", [](O::Optimizer& opt, int64_t t_max, double eta_min) -> std::unique_ptr<S::LRScheduler> {
    return std::make_unique<S::CosineAnnealingLR>(opt, t_max, eta_min);
  }, py::keep_alive<0, 1>());
  o.def("LinearLR", [](O::Optimizer& opt, double start, double end, int64_t total) -> std::unique_ptr<S::LRScheduler> {
    return std::make_unique<S::LinearLR>(opt, start, end, total);
  }, py::keep_alive<0, 1>());
}

}  // namespace nabla::python
