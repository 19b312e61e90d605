// Tensor methods other than the binary element-wise ones: unary math, reductions with dim/keepdim,
// linear algebra, ordering, scatter/gather, filling.
#include "bindings.hpp"
#include "nabla/ops.hpp"
#include "nabla/random.hpp"

namespace nabla::python {
namespace {

Dims as_dims(const DimVector& d) { return Dims(IntArrayRef(d)); }

DimVector all_dims(const Tensor& t) {
  DimVector d;
  for (int64_t i = 0; i < t.dim(); ++i) d.push_back(i);
  return d;
}

// A dim argument: None or an empty tuple mean all dims (nullopt).
std::optional<DimVector> some_dims(py::handle dim) {
  auto d = dims_from_py(dim);
  if (d && d->empty()) d.reset();
  return d;
}

// A dim argument that may be None, an int, or a tuple (empty: all dims).
DimVector dims_or_all(const Tensor& t, py::handle dim) {
  auto d = dims_from_py(dim);
  return d && !d->empty() ? *d : all_dims(t);
}

// var/std in both of torch's spellings: (dim, unbiased, keepdim) and (dim, *, correction, keepdim).
double correction_of(std::optional<bool> unbiased, std::optional<double> correction) {
  if (correction) return *correction;
  return unbiased.value_or(true) ? 1.0 : 0.0;
}

template <typename Reduce>
Tensor reduce_dims(const Tensor& t, py::handle dim, Reduce r) {
  auto d = some_dims(dim);
  return r(as_dims(d ? *d : all_dims(t)));
}

py::tuple pair(const std::tuple<Tensor, Tensor>& r) { return py::make_tuple(std::get<0>(r), std::get<1>(r)); }

}  // namespace

void bind_methods(TensorClass& cls) {
#define NB_BIND_UNARY(name)                                                                     \
  cls.def(#name, [](const Tensor& t) { return t.name(); });                                     \
  cls.def(#name "_", [](py::object self) { self.cast<Tensor&>().name##_(); return self; });
  NB_BIND_UNARY(neg) NB_BIND_UNARY(abs) NB_BIND_UNARY(sign) NB_BIND_UNARY(exp) NB_BIND_UNARY(expm1)
  NB_BIND_UNARY(log) NB_BIND_UNARY(log1p) NB_BIND_UNARY(log2) NB_BIND_UNARY(sqrt) NB_BIND_UNARY(rsqrt)
  NB_BIND_UNARY(sin) NB_BIND_UNARY(cos) NB_BIND_UNARY(tan) NB_BIND_UNARY(tanh) NB_BIND_UNARY(sigmoid)
  NB_BIND_UNARY(relu) NB_BIND_UNARY(silu) NB_BIND_UNARY(erf) NB_BIND_UNARY(floor) NB_BIND_UNARY(ceil)
  NB_BIND_UNARY(round) NB_BIND_UNARY(trunc) NB_BIND_UNARY(reciprocal) NB_BIND_UNARY(logical_not)
  NB_BIND_UNARY(bitwise_not) NB_BIND_UNARY(square)
#undef NB_BIND_UNARY
  cls.def("isnan", &Tensor::isnan);
  cls.def("isinf", &Tensor::isinf);
  cls.def("gelu", &Tensor::gelu, py::arg("approximate") = "none");
  cls.def("clamp", [](const Tensor& t, std::optional<Scalar> lo, std::optional<Scalar> hi) { return t.clamp(lo, hi); },
          py::arg("min") = py::none(), py::arg("max") = py::none());
  cls.def("clamp_", [](py::object self, std::optional<Scalar> lo, std::optional<Scalar> hi) {
    self.cast<Tensor&>().clamp_(lo, hi);
    return self;
  }, py::arg("min") = py::none(), py::arg("max") = py::none());

  // Reductions.
  cls.def("sum", [](const Tensor& t, py::handle dim, bool keepdim, std::optional<DType> dtype) {
    auto d = some_dims(dim);
    return d ? t.sum(as_dims(*d), keepdim, dtype) : keepdim ? t.sum(as_dims(all_dims(t)), true, dtype) : t.sum(dtype);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  cls.def("mean", [](const Tensor& t, py::handle dim, bool keepdim, std::optional<DType> dtype) {
    auto d = some_dims(dim);
    return d ? t.mean(as_dims(*d), keepdim, dtype) : keepdim ? t.mean(as_dims(all_dims(t)), true, dtype) : t.mean(dtype);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  cls.def("prod", [](const Tensor& t, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
    return dim ? t.prod(*dim, keepdim, dtype) : t.prod(dtype);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  // max/min: all elements, along a dim (values, indices), or element-wise against another tensor.
  cls.def("max", [](const Tensor& t, py::handle dim, bool keepdim) -> py::object {
    if (dim.is_none()) return py::cast(t.max());
    if (const Tensor* o = tensor_from_py(dim)) return py::cast(t.maximum(*o));
    return pair(t.max(index_from_py(dim), keepdim));
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("min", [](const Tensor& t, py::handle dim, bool keepdim) -> py::object {
    if (dim.is_none()) return py::cast(t.min());
    if (const Tensor* o = tensor_from_py(dim)) return py::cast(t.minimum(*o));
    return pair(t.min(index_from_py(dim), keepdim));
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("amax", [](const Tensor& t, py::handle dim, bool keepdim) { return t.amax(as_dims(dims_or_all(t, dim)), keepdim); },
          py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
  cls.def("amin", [](const Tensor& t, py::handle dim, bool keepdim) { return t.amin(as_dims(dims_or_all(t, dim)), keepdim); },
          py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
  cls.def("argmax", &Tensor::argmax, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("argmin", &Tensor::argmin, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("var", [](const Tensor& t, py::handle dim, std::optional<bool> unbiased, bool keepdim,
                    std::optional<double> correction) {
    return reduce_dims(t, dim, [&](Dims d) { return t.var(d, correction_of(unbiased, correction), keepdim); });
  }, py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false, py::kw_only(),
     py::arg("correction") = py::none());
  cls.def("std", [](const Tensor& t, py::handle dim, std::optional<bool> unbiased, bool keepdim,
                    std::optional<double> correction) {
    return reduce_dims(t, dim, [&](Dims d) { return t.std(d, correction_of(unbiased, correction), keepdim); });
  }, py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false, py::kw_only(),
     py::arg("correction") = py::none());
  cls.def("norm", [](const Tensor& t, py::handle p, py::handle dim, bool keepdim) {
    double order = p.is_none() ? 2.0 : scalar_arg(p, "norm").to_double();
    auto d = some_dims(dim);
    return d ? t.norm(order, as_dims(*d), keepdim) : keepdim ? t.norm(order, as_dims(all_dims(t)), true) : t.norm(order);
  }, py::arg("p") = 2.0, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("all", [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
    return dim ? t.all(*dim, keepdim) : t.all();
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("any", [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
    return dim ? t.any(*dim, keepdim) : t.any();
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("logsumexp", [](const Tensor& t, py::handle dim, bool keepdim) { return t.logsumexp(as_dims(dims_or_all(t, dim)), keepdim); },
          py::arg("dim"), py::arg("keepdim") = false);
  cls.def("cumsum", &Tensor::cumsum, py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  cls.def("cumprod", &Tensor::cumprod, py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  cls.def("softmax", &Tensor::softmax, py::arg("dim"), py::arg("dtype") = py::none());
  cls.def("log_softmax", &Tensor::log_softmax, py::arg("dim"), py::arg("dtype") = py::none());
  cls.def("equal", &Tensor::equal);
  cls.def("allclose", &Tensor::allclose, py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
          py::arg("equal_nan") = false);

  // Linear algebra.
  cls.def("matmul", &Tensor::matmul);
  cls.def("mm", &Tensor::mm);
  cls.def("bmm", &Tensor::bmm);
  cls.def("dot", &Tensor::dot);
  cls.def("outer", &Tensor::outer);

  // Gather, scatter, masks, ordering.
  cls.def("index_select", &Tensor::index_select, py::arg("dim"), py::arg("index"));
  cls.def("gather", &Tensor::gather, py::arg("dim"), py::arg("index"));
  cls.def("scatter", [](const Tensor& t, int64_t dim, const Tensor& index, py::handle src) {
    if (const Tensor* s = tensor_from_py(src)) return t.scatter(dim, index, *s);
    return t.scatter(dim, index, scalar_arg(src, "scatter"));
  }, py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_", [](py::object self, int64_t dim, const Tensor& index, py::handle src) {
    Tensor& t = self.cast<Tensor&>();
    if (const Tensor* s = tensor_from_py(src)) t.scatter_(dim, index, *s);
    else t.scatter_(dim, index, scalar_arg(src, "scatter_"));
    return self;
  }, py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_add", &Tensor::scatter_add, py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_add_", [](py::object self, int64_t dim, const Tensor& index, const Tensor& src) {
    self.cast<Tensor&>().scatter_add_(dim, index, src);
    return self;
  }, py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("masked_fill", [](const Tensor& t, const Tensor& mask, py::handle v) {
    return t.masked_fill(mask, scalar_arg(v, "masked_fill"));
  }, py::arg("mask"), py::arg("value"));
  cls.def("masked_fill_", [](py::object self, const Tensor& mask, py::handle v) {
    self.cast<Tensor&>().masked_fill_(mask, scalar_arg(v, "masked_fill_"));
    return self;
  }, py::arg("mask"), py::arg("value"));
  cls.def("masked_select", &Tensor::masked_select);
  cls.def("nonzero", [](const Tensor& t, bool as_tuple) -> py::object {
    Tensor nz = t.nonzero();
    if (!as_tuple) return py::cast(nz);
    return py::tuple(py::cast(nz.unbind(1)));
  }, py::kw_only(), py::arg("as_tuple") = false);
  cls.def("flip", [](const Tensor& t, py::args dims) { return t.flip(sizes_from_args(dims)); });
  cls.def("roll", [](const Tensor& t, py::handle shifts, py::handle dims) {
    if (dims.is_none()) return t.roll(index_from_py(shifts));
    return t.roll(sizes_from_py(shifts), sizes_from_py(dims));
  }, py::arg("shifts"), py::arg("dims") = py::none());
  cls.def("sort", [](const Tensor& t, int64_t dim, bool descending, bool stable) {
    return pair(t.sort(dim, descending, stable));
  }, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  cls.def("argsort", &Tensor::argsort, py::arg("dim") = -1, py::arg("descending") = false);
  cls.def("topk", [](const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
    return pair(t.topk(k, dim, largest, sorted));
  }, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true);

  // Filling.
  cls.def("fill_", [](py::object self, py::handle v) {
    self.cast<Tensor&>().fill_(scalar_arg(v, "fill_"));
    return self;
  });
  cls.def("zero_", [](py::object self) { self.cast<Tensor&>().zero_(); return self; });
  cls.def("uniform_", [](py::object self, double from, double to, Generator* gen) {
    self.cast<Tensor&>().uniform_(from, to, gen);
    return self;
  }, py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(), py::arg("generator") = nullptr);
  cls.def("normal_", [](py::object self, double mean, double std, Generator* gen) {
    self.cast<Tensor&>().normal_(mean, std, gen);
    return self;
  }, py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = nullptr);
  cls.def("random_", [](py::object self, std::optional<int64_t> from, std::optional<int64_t> to, Generator* gen) {
    Tensor& t = self.cast<Tensor&>();
    if (from && !to) t.random_(0, *from, gen);  // random_(to)
    else t.random_(from.value_or(0), to, gen);
    return self;
  }, py::arg("from") = py::none(), py::arg("to") = py::none(), py::kw_only(), py::arg("generator") = nullptr);
  cls.def("bernoulli_", [](py::object self, double p, Generator* gen) {
    self.cast<Tensor&>().bernoulli_(p, gen);
    return self;
  }, py::arg("p") = 0.5, py::kw_only(), py::arg("generator") = nullptr);
}

}  // namespace nabla::python
