// Free functions of the nabla module that are not a Tensor method in disguise: creation, random,
// joining, where, type promotion.
#include "bindings.hpp"
#include "nabla/creation.hpp"
#include "nabla/ops.hpp"
#include "nabla/random.hpp"

namespace nabla::python {
namespace {

TensorOptions options(std::optional<DType> dtype, std::optional<Device> device, bool requires_grad) {
  TensorOptions o;
  o.dtype_ = dtype;
  if (device) o.device_ = *device;
  o.requires_grad_ = requires_grad;
  return o;
}

// _f(size, dtype, device, requires_grad, generator); the package's f(*size, ...) parses the sizes.
template <typename Make>
void def_sized(py::module_& m, const char* name, Make make) {
  m.def(name, [make](py::handle size, std::optional<DType> dtype, std::optional<Device> device, bool requires_grad,
                     Generator* generator) {
    return make(sizes_from_py(size), options(dtype, device, false), generator).requires_grad_(requires_grad);
  }, py::arg("size"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     py::arg("requires_grad") = false, py::arg("generator") = nullptr);
}

template <typename Make>
void def_like(py::module_& m, const char* name, Make make) {
  m.def(name, [make](const Tensor& t, std::optional<DType> dtype, std::optional<Device> device, bool requires_grad) {
    TensorOptions o = options(dtype.value_or(t.dtype()), device.value_or(t.device()), false);
    return make(t, o).requires_grad_(requires_grad);
  }, py::arg("input"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     py::arg("requires_grad") = false);
}

}  // namespace

void bind_creation(py::module_& m) {
  def_sized(m, "_zeros", [](DimVector s, TensorOptions o, Generator*) { return zeros(s, o); });
  def_sized(m, "_ones", [](DimVector s, TensorOptions o, Generator*) { return ones(s, o); });
  def_sized(m, "_empty", [](DimVector s, TensorOptions o, Generator*) { return empty(s, o); });
  def_sized(m, "_rand", [](DimVector s, TensorOptions o, Generator* g) { return rand(s, o, g); });
  def_sized(m, "_randn", [](DimVector s, TensorOptions o, Generator* g) { return randn(s, o, g); });
  def_like(m, "zeros_like", [](const Tensor& t, TensorOptions o) { return zeros_like(t, o); });
  def_like(m, "ones_like", [](const Tensor& t, TensorOptions o) { return ones_like(t, o); });
  def_like(m, "empty_like", [](const Tensor& t, TensorOptions o) { return empty_like(t, o); });
  def_like(m, "rand_like", [](const Tensor& t, TensorOptions o) { return rand(t.sizes(), o); });
  def_like(m, "randn_like", [](const Tensor& t, TensorOptions o) { return randn(t.sizes(), o); });
  m.def("full", [](py::handle size, const Scalar& value, std::optional<DType> dtype, std::optional<Device> device,
                   bool requires_grad) {
    return full(sizes_from_py(size), value, options(dtype, device, requires_grad));
  }, py::arg("size"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false);
  m.def("full_like", [](const Tensor& t, const Scalar& value, std::optional<DType> dtype, bool requires_grad) {
    return full_like(t, value, options(dtype.value_or(t.dtype()), t.device(), requires_grad));
  }, py::arg("input"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("requires_grad") = false);
  m.def("arange", [](const Scalar& a, std::optional<Scalar> b, const Scalar& step, std::optional<DType> dtype,
                     std::optional<Device> device, bool requires_grad) {
    TensorOptions o = options(dtype, device, requires_grad);
    return b ? arange(a, *b, step, o) : arange(a, o);
  }, py::arg("start"), py::arg("end") = py::none(), py::arg("step") = 1, py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false);
  m.def("linspace", [](double start, double end, int64_t steps, std::optional<DType> dtype,
                       std::optional<Device> device, bool requires_grad) {
    return linspace(start, end, steps, options(dtype, device, requires_grad));
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false);
  m.def("eye", [](int64_t n, std::optional<int64_t> cols, std::optional<DType> dtype, std::optional<Device> device,
                  bool requires_grad) {
    return eye(n, cols, options(dtype, device, requires_grad));
  }, py::arg("n"), py::arg("m") = py::none(), py::kw_only(), py::arg("dtype") = py::none(),
     py::arg("device") = py::none(), py::arg("requires_grad") = false);

  // Random.
  m.def("_randint", [](int64_t low, int64_t high, py::handle size, std::optional<DType> dtype,
                       std::optional<Device> device, bool requires_grad, Generator* g) {
    TensorOptions o = options(dtype.value_or(kInt64), device, false);
    return randint(low, high, sizes_from_py(size), o, g).requires_grad_(requires_grad);
  });
  m.def("randperm", [](int64_t n, Generator* g, std::optional<DType> dtype, std::optional<Device> device) {
    return randperm(n, options(dtype.value_or(kInt64), device, false), g);
  }, py::arg("n"), py::kw_only(), py::arg("generator") = nullptr, py::arg("dtype") = py::none(),
     py::arg("device") = py::none());
  m.def("bernoulli", [](const Tensor& p, Generator* g) { return bernoulli(p, g); }, py::arg("input"), py::kw_only(),
        py::arg("generator") = nullptr);
  py::class_<Generator>(m, "Generator")
      .def(py::init([](py::object device) { return new Generator(); }), py::arg("device") = "cpu")
      .def("manual_seed", [](Generator& g, uint64_t seed) -> Generator& { g.manual_seed(seed); return g; },
           py::return_value_policy::reference)
      .def("initial_seed", &Generator::initial_seed);
  m.attr("default_generator") = py::cast(&default_generator(), py::return_value_policy::reference);
  m.def("manual_seed", [](py::handle seed) -> Generator& {
    // Python's int may be negative or wider than 64 bits; PyTorch keeps its low 64 bits.
    uint64_t s = PyLong_AsUnsignedLongLongMask(seed.ptr());
    if (PyErr_Occurred()) throw py::error_already_set();
    manual_seed(s);
    return default_generator();
  }, py::return_value_policy::reference);
  m.def("initial_seed", [] { return default_generator().initial_seed(); });
}

void bind_functions(py::module_& m) {
  m.def("cat", &cat, py::arg("tensors"), py::arg("dim") = 0);
  m.def("concat", &cat, py::arg("tensors"), py::arg("dim") = 0);
  m.def("stack", &stack, py::arg("tensors"), py::arg("dim") = 0);
  m.def("where", [](const Tensor& cond, py::handle a, py::handle b) {
    const Tensor* ta = tensor_from_py(a);
    const Tensor* tb = tensor_from_py(b);
    if (ta && tb) return where(cond, *ta, *tb);
    if (ta) return where(cond, *ta, scalar_arg(b, "where"));
    if (tb) return where(cond, scalar_arg(a, "where"), *tb);
    Scalar sa = scalar_arg(a, "where");
    return where(cond, full({}, sa, TensorOptions(sa.default_dtype())), scalar_arg(b, "where"));
  }, py::arg("condition"), py::arg("input"), py::arg("other"));
  m.def("addmm", &addmm, py::arg("input"), py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1,
        py::arg("alpha") = 1);
  m.def("unique", [](const Tensor& t, bool sorted, bool return_inverse, bool return_counts,
                     std::optional<int64_t> dim) -> py::object {
    auto [values, inverse, counts] = unique(t, sorted, return_inverse, return_counts, dim);
    if (!return_inverse && !return_counts) return py::cast(values);
    py::list out;
    out.append(values);
    if (return_inverse) out.append(inverse);
    if (return_counts) out.append(counts);
    return py::tuple(out);
  }, py::arg("input"), py::arg("sorted") = true, py::arg("return_inverse") = false, py::arg("return_counts") = false,
     py::arg("dim") = py::none());
  m.def("result_type", [](const Tensor& a, py::handle b) {
    if (const Tensor* t = tensor_from_py(b)) return result_type(a, *t);
    return result_type(a, scalar_arg(b, "result_type"));
  });
  m.def("promote_types", &promote_types);
  m.def("can_cast", &can_cast);
  m.def("broadcast_shapes", [](py::args shapes) {
    DimVector out;
    for (py::handle s : shapes) out = broadcast_shapes(out, sizes_from_py(s));
    return py::tuple(py::cast(std::vector<int64_t>(out.begin(), out.end())));
  });
}

}  // namespace nabla::python
