// Autograd from Python: requires_grad, grad, grad_fn, backward, hooks, grad mode, autograd.grad.
#include "bindings.hpp"
#include "core/check.hpp"
#include "nabla/autograd.hpp"

PYBIND11_DECLARE_HOLDER_TYPE(T, nabla::IntrusivePtr<T>, true);

namespace nabla::python {
namespace {

py::object optional_tensor(const Tensor& t) { return t.defined() ? py::cast(t) : py::none(); }

// A Python hook as a Tensor::Hook. The function object is released with the GIL held, wherever the
// graph that owns the hook is destroyed.
Tensor::Hook python_hook(py::function fn) {
  std::shared_ptr<py::object> held(new py::object(std::move(fn)), [](py::object* o) {
    py::gil_scoped_acquire gil;
    delete o;
  });
  return [held](const Tensor& grad) -> Tensor {
    py::gil_scoped_acquire gil;
    py::object result = (*held)(grad);
    if (result.is_none()) return Tensor();
    const Tensor* t = tensor_from_py(result);
    if (!t) throw py::type_error(std::string("a tensor hook must return a Tensor or None, got ") + Py_TYPE(result.ptr())->tp_name);
    return *t;
  };
}

std::vector<Tensor> tensors_or_empty(const std::optional<std::vector<std::optional<Tensor>>>& list) {
  std::vector<Tensor> out;
  if (list)
    for (const auto& t : *list) out.push_back(t.value_or(Tensor()));
  return out;
}

std::string describe(const Tensor& t) {
  return std::string(dtype_name(t.dtype())) + " " + shape_str(t.sizes()) + " on " + t.device().str();
}

}  // namespace

void bind_autograd(py::module_& m, TensorClass& cls) {
  py::class_<Node, IntrusivePtr<Node>>(m, "Node")
      .def("name", [](const Node& n) { return std::string(n.name()); })
      .def_property_readonly("next_functions", [](const Node& n) {
        py::list out;
        for (const Edge& e : n.next_edges())
          out.append(py::make_tuple(e.valid() ? py::cast(e.fn.get()) : py::none(), e.input_nr));
        return py::tuple(out);
      })
      .def("__repr__", [](const Node& n) {
        char address[32];
        std::snprintf(address, sizeof address, "%p", static_cast<const void*>(&n));
        return "<" + std::string(n.name()) + " object at " + address + ">";
      });

  cls.def_property("requires_grad", &Tensor::requires_grad, [](Tensor& t, bool r) { t.requires_grad_(r); })
      .def("requires_grad_", [](py::object self, bool r) {
        self.cast<Tensor&>().requires_grad_(r);
        return self;
      }, py::arg("requires_grad") = true)
      .def_property("grad", [](const Tensor& t) { return optional_tensor(t.grad()); },
                    [](const Tensor& t, std::optional<Tensor> g) {
                      // A grad that does not match its tensor would only fail later, in an optimizer step.
                      if (g && (g->sizes() != t.sizes() || g->dtype() != t.dtype() || g->device() != t.device())) {
                        throw std::runtime_error("assigned grad is " + describe(*g) + " but its tensor is " +
                                              describe(t) + "; they must match");
                      }
                      t.mutable_grad() = g.value_or(Tensor());
                    })
      .def_property_readonly("grad_fn", [](const Tensor& t) -> py::object {
        Node* fn = t.grad_fn();
        return fn ? py::cast(fn) : py::none();
      })
      .def_property_readonly("is_leaf", &Tensor::is_leaf)
      .def_property_readonly("output_nr", &Tensor::output_nr)
      .def_property_readonly("_version", &Tensor::_version)
      .def_property_readonly("retains_grad", &Tensor::retains_grad)
      .def("retain_grad", &Tensor::retain_grad)
      .def("backward", [](const Tensor& t, std::optional<Tensor> gradient, std::optional<bool> retain_graph,
                          bool create_graph, std::optional<std::vector<Tensor>> inputs) {
        t.backward(gradient.value_or(Tensor()), retain_graph, create_graph, inputs.value_or(std::vector<Tensor>{}));
      }, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
         py::arg("inputs") = py::none())
      .def("_register_hook", [](const Tensor& t, py::function fn) { return t.register_hook(python_hook(std::move(fn))); })
      .def("_remove_hook", &Tensor::remove_hook);

  m.def("is_grad_enabled", &is_grad_enabled);
  m.def("_set_grad_enabled", &set_grad_enabled);
  m.def("_autograd_backward", [](const std::vector<Tensor>& tensors,
                                 std::optional<std::vector<std::optional<Tensor>>> grad_tensors,
                                 std::optional<bool> retain_graph, bool create_graph,
                                 std::optional<std::vector<Tensor>> inputs) {
    autograd::backward(tensors, tensors_or_empty(grad_tensors), retain_graph, create_graph,
                       inputs.value_or(std::vector<Tensor>{}));
  });
  m.def("_autograd_grad", [](const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                             std::optional<std::vector<std::optional<Tensor>>> grad_outputs,
                             std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
    std::vector<Tensor> grads =
        autograd::grad(outputs, inputs, tensors_or_empty(grad_outputs), retain_graph, create_graph, allow_unused);
    py::tuple out(grads.size());
    for (size_t i = 0; i < grads.size(); ++i) out[i] = optional_tensor(grads[i]);
    return out;
  });
}

}  // namespace nabla::python
