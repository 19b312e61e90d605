// nn for the Python package: nn.functional, nn.init, gradient clipping, and the initial parameters
// of the layers whose initialisation draws random numbers (made by the C++ layers, so a seed gives
// PyTorch's values). The Module classes themselves are Python (python/nabla/nn/).
#include "bindings.hpp"
#include "nabla/nn.hpp"
#include "nabla/nn/clip_grad.hpp"

namespace nabla::python {
namespace {

namespace F = nn::functional;

Tensor opt(const std::optional<Tensor>& t) { return t.value_or(Tensor()); }
py::object opt_py(const Tensor& t) { return t.defined() ? py::cast(t) : py::none(); }

nn::IntPair int_pair(py::handle h) {
  if (PyLong_Check(h.ptr())) return nn::IntPair(index_from_py(h));
  DimVector v = sizes_from_py(h);
  if (v.size() == 1) return nn::IntPair(v[0]);
  if (v.size() != 2) throw py::value_error("expected an int or a pair of ints");
  return nn::IntPair(v[0], v[1]);
}

std::optional<nn::IntPair> optional_pair(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return int_pair(h);
}

std::vector<Tensor> tensor_list(py::handle params) {
  if (const Tensor* t = tensor_from_py(params)) return {*t};
  std::vector<Tensor> out;
  for (py::handle p : py::iter(params)) {
    const Tensor* t = tensor_from_py(p);
    if (!t) throw py::type_error(std::string("expected tensors as parameters, got ") + Py_TYPE(p.ptr())->tp_name);
    out.push_back(*t);
  }
  return out;
}

void bind_functional(py::module_& f) {
  using OT = std::optional<Tensor>;
  f.def("relu", &F::relu, py::arg("input"));
  f.def("gelu", &F::gelu, py::arg("input"), py::kw_only(), py::arg("approximate") = "none");
  f.def("sigmoid", &F::sigmoid, py::arg("input"));
  f.def("tanh", &F::tanh, py::arg("input"));
  f.def("softmax", &F::softmax, py::arg("input"), py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  f.def("log_softmax", &F::log_softmax, py::arg("input"), py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  f.def("linear", [](const Tensor& x, const Tensor& w, OT b) { return F::linear(x, w, opt(b)); }, py::arg("input"),
        py::arg("weight"), py::arg("bias") = py::none());
  f.def("dropout", &F::dropout, py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true);
  f.def("flatten", &F::flatten, py::arg("input"), py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  f.def("embedding", &F::embedding, py::arg("input"), py::arg("weight"), py::arg("padding_idx") = py::none());
  f.def("layer_norm", [](const Tensor& x, py::handle shape, OT w, OT b, double eps) {
    return F::layer_norm(x, sizes_from_py(shape), opt(w), opt(b), eps);
  }, py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
     py::arg("eps") = 1e-5);
  f.def("batch_norm", [](const Tensor& x, OT mean, OT var, OT w, OT b, bool training, double momentum, double eps) {
    return F::batch_norm(x, opt(mean), opt(var), opt(w), opt(b), training, momentum, eps);
  }, py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
     py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5);
  f.def("pad", [](const Tensor& x, py::handle pad, const std::string& mode, std::optional<double> value) {
    if (mode != "constant") throw py::value_error("pad: only mode='constant' is supported (got '" + mode + "')");
    return F::pad(x, sizes_from_py(pad), value.value_or(0.0));
  }, py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = py::none());
  f.def("conv2d", [](const Tensor& x, const Tensor& w, OT b, py::handle stride, py::handle padding,
                     py::handle dilation, int64_t groups) {
    return F::conv2d(x, w, opt(b), int_pair(stride), int_pair(padding), int_pair(dilation), groups);
  }, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0,
     py::arg("dilation") = 1, py::arg("groups") = 1);
  f.def("max_pool2d", [](const Tensor& x, py::handle kernel, py::handle stride, py::handle padding,
                         py::handle dilation) {
    return F::max_pool2d(x, int_pair(kernel), optional_pair(stride), int_pair(padding), int_pair(dilation));
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
     py::arg("dilation") = 1);
  f.def("mse_loss", &F::mse_loss, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def("l1_loss", &F::l1_loss, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def("nll_loss", [](const Tensor& x, const Tensor& t, OT w, int64_t ignore, const std::string& red) {
    return F::nll_loss(x, t, opt(w), ignore, red);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
     py::arg("reduction") = "mean");
  f.def("cross_entropy", [](const Tensor& x, const Tensor& t, OT w, int64_t ignore, const std::string& red,
                            double smoothing) { return F::cross_entropy(x, t, opt(w), ignore, red, smoothing); },
        py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
        py::arg("reduction") = "mean", py::arg("label_smoothing") = 0.0);
  f.def("binary_cross_entropy", [](const Tensor& x, const Tensor& t, OT w, const std::string& red) {
    return F::binary_cross_entropy(x, t, opt(w), red);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean");
  f.def("binary_cross_entropy_with_logits", [](const Tensor& x, const Tensor& t, OT w, const std::string& red,
                                               OT pos_weight) {
    return F::binary_cross_entropy_with_logits(x, t, opt(w), red, opt(pos_weight));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
     py::arg("pos_weight") = py::none());
}

void bind_init(py::module_& i) {
  namespace I = nn::init;
  i.def("calculate_gain", &I::calculate_gain, py::arg("nonlinearity"), py::arg("param") = py::none());
  i.def("_calculate_fan_in_and_fan_out", &I::calculate_fan_in_and_fan_out);
  i.def("uniform_", &I::uniform_, py::arg("tensor"), py::arg("a") = 0.0, py::arg("b") = 1.0);
  i.def("normal_", &I::normal_, py::arg("tensor"), py::arg("mean") = 0.0, py::arg("std") = 1.0);
  i.def("constant_", &I::constant_, py::arg("tensor"), py::arg("val"));
  i.def("ones_", &I::ones_, py::arg("tensor"));
  i.def("zeros_", &I::zeros_, py::arg("tensor"));
  i.def("kaiming_uniform_", &I::kaiming_uniform_, py::arg("tensor"), py::arg("a") = 0.0, py::arg("mode") = "fan_in",
        py::arg("nonlinearity") = "leaky_relu");
  i.def("kaiming_normal_", &I::kaiming_normal_, py::arg("tensor"), py::arg("a") = 0.0, py::arg("mode") = "fan_in",
        py::arg("nonlinearity") = "leaky_relu");
  i.def("xavier_uniform_", &I::xavier_uniform_, py::arg("tensor"), py::arg("gain") = 1.0);
  i.def("xavier_normal_", &I::xavier_normal_, py::arg("tensor"), py::arg("gain") = 1.0);
}

}  // namespace

void bind_nn(py::module_& m) {
  py::module_ nn_module = m.def_submodule("_nn", "nn.functional, nn.init and layer parameters");
  bind_functional(nn_module);
  py::module_ init = nn_module.def_submodule("init");
  bind_init(init);
  nn_module.def("clip_grad_norm_", [](py::handle params, double max_norm, double norm_type, bool error_if_nonfinite) {
    return nn::utils::clip_grad_norm_(tensor_list(params), max_norm, norm_type, error_if_nonfinite);
  }, py::arg("parameters"), py::arg("max_norm"), py::arg("norm_type") = 2.0, py::arg("error_if_nonfinite") = false);
  nn_module.def("clip_grad_value_", [](py::handle params, double clip) {
    nn::utils::clip_grad_value_(tensor_list(params), clip);
  }, py::arg("parameters"), py::arg("clip_value"));

  // The freshly initialised parameters of the layers that draw random numbers.
  nn_module.def("linear_parameters", [](int64_t in, int64_t out, bool bias) {
    nn::Linear layer(in, out, bias);
    return py::make_tuple(layer.weight, opt_py(layer.bias));
  });
  nn_module.def("conv2d_parameters", [](int64_t in, int64_t out, py::handle kernel, int64_t groups, bool bias) {
    nn::Conv2d layer(in, out, int_pair(kernel), 1, 0, 1, groups, bias);
    return py::make_tuple(layer.weight, opt_py(layer.bias));
  });
  nn_module.def("embedding_weight", [](int64_t num, int64_t dim, std::optional<int64_t> padding_idx) {
    return nn::Embedding(num, dim, padding_idx).weight;
  });
}

}  // namespace nabla::python
