// Tensor: geometry, views, conversions, printing and the Python protocols (len, iter, bool, float).
#include "bindings.hpp"
#include "nabla/ops.hpp"

namespace nabla::python {
namespace {

PyObject* size_type = nullptr;  // nabla.Size, set by the package at import

py::object make_size(IntArrayRef values) {
  PyObject* tuple = PyTuple_New(Py_ssize_t(values.size()));
  if (!tuple) throw py::error_already_set();
  for (size_t i = 0; i < values.size(); ++i) PyTuple_SET_ITEM(tuple, Py_ssize_t(i), PyLong_FromLongLong(values[i]));
  py::object t = py::reinterpret_steal<py::object>(tuple);
  if (!size_type) return t;
  PyObject* size = PyObject_CallOneArg(size_type, tuple);
  if (!size) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(size);
}

py::object make_tuple(IntArrayRef values) {
  py::tuple t(values.size());
  for (size_t i = 0; i < values.size(); ++i) t[i] = py::int_(values[i]);
  return std::move(t);
}

template <typename T>
PyObject* element_to_py(T v) {
  if constexpr (std::is_same_v<T, bool>) return PyBool_FromLong(v);
  else if constexpr (std::is_floating_point_v<opmath_t<T>>) return PyFloat_FromDouble(double(opmath_t<T>(v)));
  else if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) return PyLong_FromUnsignedLongLong(v);
  else return PyLong_FromLongLong(int64_t(v));
}

template <typename T>
py::object tolist_dim(const T*& p, IntArrayRef sizes, size_t d) {
  if (d == sizes.size()) return py::reinterpret_steal<py::object>(element_to_py(*p++));
  PyObject* list = PyList_New(Py_ssize_t(sizes[d]));
  if (!list) throw py::error_already_set();
  py::object out = py::reinterpret_steal<py::object>(list);
  for (int64_t i = 0; i < sizes[d]; ++i) PyList_SET_ITEM(list, Py_ssize_t(i), tolist_dim(p, sizes, d + 1).release().ptr());
  return out;
}

py::object tolist(const Tensor& t) {
  Tensor c = t.cpu().contiguous();
  return visit_dtype(c.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = static_cast<const T*>(c.data_ptr());
    return tolist_dim(p, c.sizes(), 0);
  });
}

Tensor to_dtype(const Tensor& t, DType d) { return t.to(d); }

}  // namespace

void bind_tensor(py::module_& m, TensorClass& cls) {
  m.def("_set_size_type", [](py::object type) { size_type = type.release().ptr(); });
  cls.def(py::init([](const Tensor& t) { return Tensor(t); }), py::arg("data"))
      // Geometry and type.
      .def_property_readonly("shape", [](const Tensor& t) { return make_size(t.sizes()); })
      .def("size", [](const Tensor& t, py::object dim) -> py::object {
        if (dim.is_none()) return make_size(t.sizes());
        return py::int_(t.size(index_from_py(dim)));
      }, py::arg("dim") = py::none())
      .def("stride", [](const Tensor& t, py::object dim) -> py::object {
        if (dim.is_none()) return make_tuple(t.strides());
        return py::int_(t.stride(index_from_py(dim)));
      }, py::arg("dim") = py::none())
      .def_property_readonly("dtype", [](const Tensor& t) { return dtype_object(t.dtype()); })
      .def_property_readonly("device", &Tensor::device)
      .def_property_readonly("ndim", &Tensor::dim)
      .def("dim", &Tensor::dim)
      .def("ndimension", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("nelement", &Tensor::numel)
      .def("element_size", &Tensor::element_size)
      .def_property_readonly("itemsize", &Tensor::element_size)
      .def_property_readonly("nbytes", &Tensor::nbytes)
      .def("is_contiguous", [](const Tensor& t) { return t.is_contiguous(); })
      .def("is_floating_point", &Tensor::is_floating_point)
      .def_property_readonly("is_cuda", &Tensor::is_cuda)
      .def_property_readonly("is_cpu", [](const Tensor& t) { return t.device().is_cpu(); })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()); })
      .def("storage_offset", &Tensor::storage_offset)
      .def("_is_read_only", [](const Tensor& t) { return t.impl()->storage()->read_only(); })
      .def("_storage_use_count", [](const Tensor& t) { return t.impl()->storage()->use_count(); })
      .def("is_same", &Tensor::is_same)
      // Views.
      .def("view", [](const Tensor& t, py::args s) { return t.view(sizes_from_args(s)); })
      .def("reshape", [](const Tensor& t, py::args s) { return t.reshape(sizes_from_args(s)); })
      .def("view_as", &Tensor::view_as)
      .def("reshape_as", [](const Tensor& t, const Tensor& o) { return t.reshape(o.sizes()); })
      .def("expand", [](const Tensor& t, py::args s) { return t.expand(sizes_from_args(s)); })
      .def("expand_as", &Tensor::expand_as)
      .def("permute", [](const Tensor& t, py::args s) { return t.permute(sizes_from_args(s)); })
      .def("transpose", &Tensor::transpose)
      .def("swapaxes", &Tensor::transpose)
      .def("t", &Tensor::t)
      .def_property_readonly("T", &Tensor::T)
      .def_property_readonly("mT", &Tensor::mT)
      .def("unsqueeze", &Tensor::unsqueeze)
      .def("squeeze", [](const Tensor& t, py::object dim) {
        return dim.is_none() ? t.squeeze() : t.squeeze(index_from_py(dim));
      }, py::arg("dim") = py::none())
      .def("flatten", &Tensor::flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("narrow", &Tensor::narrow)
      .def("select", &Tensor::select)
      .def("unfold", &Tensor::unfold)
      .def("diagonal", &Tensor::diagonal, py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1)
      .def("as_strided", [](const Tensor& t, py::handle size, py::handle stride, std::optional<int64_t> offset) {
        return t.as_strided(sizes_from_py(size), sizes_from_py(stride), offset);
      }, py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none())
      .def("unbind", [](const Tensor& t, int64_t dim) { return py::tuple(py::cast(t.unbind(dim))); }, py::arg("dim") = 0)
      .def("split", [](const Tensor& t, py::handle size, int64_t dim) {
        auto parts = PyLong_Check(size.ptr()) ? t.split(index_from_py(size), dim) : t.split(sizes_from_py(size), dim);
        return py::tuple(py::cast(parts));
      }, py::arg("split_size"), py::arg("dim") = 0)
      .def("chunk", [](const Tensor& t, int64_t chunks, int64_t dim) { return py::tuple(py::cast(t.chunk(chunks, dim))); },
           py::arg("chunks"), py::arg("dim") = 0)
      // Copies and conversions.
      .def("contiguous", &Tensor::contiguous)
      .def("clone", &Tensor::clone)
      .def("detach", &Tensor::detach)
      .def("detach_", [](py::object self) { self.cast<Tensor&>().detach_(); return self; })
      .def("copy_", [](py::object self, const Tensor& src) { self.cast<Tensor&>().copy_(src); return self; })
      .def("_to_dtype", [](const Tensor& t, DType d, bool copy) { return t.to(d, copy); })
      .def("_to_device", [](const Tensor& t, Device d, bool copy) { return t.to(d, copy); })
      .def("_set_data", [](const Tensor& t, const Tensor& src) { t.impl()->set_data(*src.impl()); })
      .def("cpu", &Tensor::cpu)
      .def("cuda", &Tensor::cuda)
      .def("pin_memory", &Tensor::pin_memory)
      .def("is_pinned", &Tensor::is_pinned)
      .def("float", [](const Tensor& t) { return to_dtype(t, kFloat32); })
      .def("double", [](const Tensor& t) { return to_dtype(t, kFloat64); })
      .def("half", [](const Tensor& t) { return to_dtype(t, kFloat16); })
      .def("bfloat16", [](const Tensor& t) { return to_dtype(t, kBFloat16); })
      .def("long", [](const Tensor& t) { return to_dtype(t, kInt64); })
      .def("int", [](const Tensor& t) { return to_dtype(t, kInt32); })
      .def("short", [](const Tensor& t) { return to_dtype(t, kInt16); })
      .def("char", [](const Tensor& t) { return to_dtype(t, kInt8); })
      .def("byte", [](const Tensor& t) { return to_dtype(t, kUInt8); })
      .def("bool", [](const Tensor& t) { return to_dtype(t, kBool); })
      .def("type_as", [](const Tensor& t, const Tensor& o) { return to_dtype(t, o.dtype()); })
      .def("item", [](const Tensor& t) { return scalar_to_py(t.item()); })
      .def("tolist", &tolist)
      // Printing and the Python protocols.
      .def("__repr__", &Tensor::toString)
      .def("__str__", &Tensor::toString)
      .def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()) >> 4; })
      .def("__len__", [](const Tensor& t) {
        if (t.dim() == 0) throw py::type_error("len() of a 0-d tensor");
        return t.size(0);
      })
      .def("__iter__", [](const Tensor& t) {
        if (t.dim() == 0) throw py::type_error("iteration over a 0-d tensor");
        return py::iter(py::cast(t.unbind(0)));
      })
      .def("__bool__", [](const Tensor& t) {
        if (t.numel() != 1) {
          throw py::value_error("Boolean value of Tensor with more than one value is ambiguous; use .any() or .all()");
        }
        return t.item().to<bool>();
      })
      .def("__float__", [](const Tensor& t) {
        if (t.numel() != 1) throw py::type_error("only one element tensors can be converted to Python scalars");
        return t.item().to_double();
      })
      .def("__int__", [](const Tensor& t) {
        if (t.numel() != 1) throw py::type_error("only one element tensors can be converted to Python scalars");
        return t.item().to_int64();
      })
      .def("__index__", [](const Tensor& t) {
        if (t.numel() != 1 || t.is_floating_point() || t.dtype() == kBool) {
          throw py::type_error("only integer tensors of a single element can be converted to an index");
        }
        return t.item().to_int64();
      });
}

}  // namespace nabla::python
