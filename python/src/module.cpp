// nabla._C: the module, nabla's errors as Python exceptions, dtype and device objects, and the
// converters of bindings.hpp.
#include <array>
#include <cstring>

#include "bindings.hpp"
#include "nabla/core/device.hpp"
#include "nabla/op_table.hpp"

namespace nabla::python {
namespace {

std::array<PyObject*, kNumDTypes> dtype_objects{};

PyObject* exception_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kValueError: return PyExc_ValueError;
    case ErrorKind::kTypeError: return PyExc_TypeError;
    case ErrorKind::kIndexError: return PyExc_IndexError;
    case ErrorKind::kNotImplementedError: return PyExc_NotImplementedError;
    case ErrorKind::kRuntimeError: break;
  }
  return PyExc_RuntimeError;
}

const char* op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kUnary: return "unary";
    case OpKind::kBinary: return "binary";
    case OpKind::kReduction: return "reduction";
    case OpKind::kScan: return "scan";
    case OpKind::kLinalg: return "linalg";
    case OpKind::kIndexing: return "indexing";
    case OpKind::kShape: return "shape";
    case OpKind::kCreation: return "creation";
    case OpKind::kRandom: return "random";
  }
  return "";
}

// The op table, for the Python package (which derives the free functions from it) and the tests.
py::list op_table_py() {
  py::list out;
  for (const OpInfo& op : op_table()) {
    py::list dtypes;
    for (int d = 0; d < kNumDTypes; ++d)
      if (op.accepts(DType(d))) dtypes.append(dtype_object(DType(d)));
    py::dict entry;
    entry["name"] = std::string(op.name);
    entry["kind"] = op_kind_name(op.kind);
    entry["arity"] = op.arity;
    entry["dtypes"] = dtypes;
    entry["differentiable"] = op.differentiable;
    entry["rtol"] = op.rtol;
    entry["atol"] = op.atol;
    out.append(entry);
  }
  return out;
}

}  // namespace

py::handle dtype_object(DType t) { return dtype_objects[size_t(t)]; }

std::optional<DType> dtype_from_py(py::handle h) {
  PyObject* o = h.ptr();
  for (size_t i = 0; i < dtype_objects.size(); ++i)
    if (dtype_objects[i] == o) return DType(i);
  if (o == reinterpret_cast<PyObject*>(&PyFloat_Type)) return kFloat64;
  if (o == reinterpret_cast<PyObject*>(&PyLong_Type)) return kInt64;
  if (o == reinterpret_cast<PyObject*>(&PyBool_Type)) return kBool;
  return std::nullopt;
}

std::optional<Scalar> scalar_from_py(py::handle h) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o)) return Scalar(o == Py_True);
  if (PyFloat_Check(o)) return Scalar(PyFloat_AS_DOUBLE(o));
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (!overflow) return Scalar(int64_t(v));
    if (overflow > 0) {
      unsigned long long u = PyLong_AsUnsignedLongLong(o);
      if (!PyErr_Occurred()) return Scalar(uint64_t(u));
      PyErr_Clear();
    }
    throw py::value_error("value cannot be converted to a nabla scalar without overflow: " + py::str(h).cast<std::string>());
  }
  if (tensor_from_py(h) || PySequence_Check(o)) return std::nullopt;  // arrays are sequences, numbers are not
  // NumPy scalars and other numbers.
  if (std::strcmp(Py_TYPE(o)->tp_name, "numpy.bool_") == 0) return Scalar(PyObject_IsTrue(o) == 1);
  if (PyIndex_Check(o)) {
    py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(o));
    if (!i) throw py::error_already_set();
    return scalar_from_py(i);
  }
  if (Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float) {
    double d = PyFloat_AsDouble(o);
    if (d == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    return Scalar(d);
  }
  return std::nullopt;
}

py::object scalar_to_py(const Scalar& s) {
  switch (s.kind()) {
    case Scalar::Kind::kBool: return py::bool_(s.to<bool>());
    case Scalar::Kind::kInt: return py::int_(s.to<int64_t>());
    case Scalar::Kind::kUInt: return py::int_(s.to<uint64_t>());
    case Scalar::Kind::kFloat: break;
  }
  return py::float_(s.to<double>());
}

namespace {

py::detail::type_info* tensor_type_info() {
  static py::detail::type_info* info = py::detail::get_type_info(typeid(Tensor));
  return info;
}

// Every Tensor object has pybind11's simple layout: one bound type, its value pointer then its holder
// inline (instance::simple_value_holder). The fast paths below read and write that layout directly;
// pybind11's own functions find it through a lookup of the type's records on every call.
static_assert(sizeof(InlineHolder<Tensor>) <= sizeof(void*) * py::detail::instance_simple_holder_in_ptrs());

InlineHolder<Tensor>& holder_of(py::detail::instance* inst) {
  return *reinterpret_cast<InlineHolder<Tensor>*>(&inst->simple_value_holder[1]);
}

// Builds the instance's holder from `arg` (a Tensor to move in, or pybind11's value made with new); the
// held Tensor becomes the value the bindings see.
template <typename Arg>
void hold(py::detail::value_and_holder& v_h, Arg&& arg) {
  auto* holder = new (&v_h.holder<InlineHolder<Tensor>>()) InlineHolder<Tensor>(std::forward<Arg>(arg));
  v_h.value_ptr() = holder->get();
  v_h.set_holder_constructed();
}

// type_info::init_instance for Tensor: after pybind11 made the value (a copy, or an __init__ factory's
// result) with new, or was given a holder to copy.
void init_tensor_instance(py::detail::instance* inst, const void* holder_ptr) {
  auto v_h = inst->get_value_and_holder(tensor_type_info());
  if (holder_ptr) hold(v_h, Tensor(static_cast<const InlineHolder<Tensor>*>(holder_ptr)->value));
  else if (inst->owned) hold(v_h, v_h.value_ptr<Tensor>());
}

// tp_dealloc of Tensor (and, through CPython's subtype_dealloc, of its Python subclasses):
// pybind11_object_dealloc's work for a simple-layout object with its holder built and nothing else
// attached; anything else goes to pybind11_object_dealloc itself.
extern "C" void tensor_dealloc(PyObject* self) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  if (!inst->simple_layout || !inst->simple_holder_constructed || inst->simple_instance_registered ||
      inst->has_patients || inst->weakrefs || _PyObject_GetDictPtr(self) != nullptr) {
    return py::detail::pybind11_object_dealloc(self);
  }
  PyTypeObject* type = Py_TYPE(self);
  if (PyType_HasFeature(type, Py_TPFLAGS_HAVE_GC)) PyObject_GC_UnTrack(self);
  {
    py::error_scope keep_error;  // a Tensor's last reference may run Python code (a NumPy owner)
    holder_of(inst).~InlineHolder<Tensor>();
  }
  type->tp_free(self);
  Py_DECREF(type);  // heap types: each instance holds a reference to its type
}

}  // namespace

void adopt_inline_holder() {
  py::detail::type_info* info = tensor_type_info();
  info->init_instance = init_tensor_instance;
  info->type->tp_dealloc = tensor_dealloc;
}

const Tensor* tensor_from_py(py::handle h) {
  py::detail::type_info* info = tensor_type_info();
  PyTypeObject* type = Py_TYPE(h.ptr());
  if (type != info->type && !PyType_IsSubtype(type, info->type)) return nullptr;
  auto* inst = reinterpret_cast<py::detail::instance*>(h.ptr());
  if (inst->simple_layout) return inst->simple_holder_constructed ? holder_of(inst).get() : nullptr;
  auto vh = inst->get_value_and_holder(info, /*throw_if_missing=*/false);
  if (!vh || !vh.holder_constructed()) return nullptr;
  return vh.value_ptr<Tensor>();
}

py::object to_py(Tensor&& t) {
  py::detail::type_info* info = tensor_type_info();
  auto self = py::reinterpret_steal<py::object>(info->type->tp_alloc(info->type, 0));
  if (!self) throw py::error_already_set();
  // instance::allocate_layout for a simple layout, then the holder.
  auto* inst = reinterpret_cast<py::detail::instance*>(self.ptr());
  inst->simple_layout = true;
  inst->simple_instance_registered = false;
  inst->owned = true;
  py::detail::value_and_holder v_h(inst, info, 0, 0);
  hold(v_h, std::move(t));
  return self;
}

int64_t index_from_py(py::handle h) {
  PyObject* o = h.ptr();
  py::object index;  // holds what __index__ returned, for objects that are not ints
  if (!PyLong_Check(o)) {
    if (const Tensor* t = tensor_from_py(h)) {
      if (t->numel() == 1 && !t->is_floating_point()) return t->item().to_int64();
    }
    if (!PyIndex_Check(o)) {
      throw py::type_error(std::string("expected an int for a size or dim, got ") + Py_TYPE(o)->tp_name);
    }
    index = py::reinterpret_steal<py::object>(PyNumber_Index(o));
    if (!index) throw py::error_already_set();
    o = index.ptr();
  }
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow) {
    // RuntimeError as PyTorch raises it, with the value (CPython's own message names neither).
    throw std::runtime_error(py::str(o).cast<std::string>() +
                             " is out of range for a size, dim or index: these are 64-bit signed integers");
  }
  return v;
}

Scalar scalar_arg(py::handle h, const char* op) {
  if (const Tensor* t = tensor_from_py(h)) return t->item();
  if (auto s = scalar_from_py(h)) return *s;
  throw py::type_error(std::string(op) + ": expected a number or a one-element tensor, got " + Py_TYPE(h.ptr())->tp_name);
}

DimVector sizes_from_py(py::handle h) {
  if (PyLong_Check(h.ptr())) return DimVector{index_from_py(h)};
  if (!PySequence_Check(h.ptr())) {
    throw py::type_error(std::string("expected a sequence of ints for a size, got ") + Py_TYPE(h.ptr())->tp_name);
  }
  py::sequence seq = py::reinterpret_borrow<py::sequence>(h);
  DimVector out;
  // Each item is held while it is read: a Tensor (and any sequence that makes its items on demand)
  // returns a new object that nothing else keeps alive.
  for (size_t i = 0, n = seq.size(); i < n; ++i) {
    py::object item = seq[i];
    out.push_back(index_from_py(item));
  }
  return out;
}

DimVector sizes_from_args(const py::args& args) {
  if (args.size() == 1 && !PyLong_Check(args[0].ptr()) && PySequence_Check(args[0].ptr()))
    return sizes_from_py(args[0]);
  DimVector out;
  for (py::handle item : args) out.push_back(index_from_py(item));
  return out;
}

std::optional<DimVector> dims_from_py(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return sizes_from_py(h);
}

void bind_dtypes(py::module_& m) {
  py::class_<DTypeObject>(m, "dtype")
      .def("__repr__", [](const DTypeObject& d) { return "nabla." + std::string(dtype_name(d.value)); })
      .def_property_readonly("is_floating_point", [](const DTypeObject& d) { return is_floating(d.value); })
      .def_property_readonly("is_signed", [](const DTypeObject& d) { return is_signed(d.value); })
      .def_property_readonly("itemsize", [](const DTypeObject& d) { return itemsize(d.value); })
      .def("__reduce__", [](const DTypeObject& d) { return std::string(dtype_name(d.value)); });
  for (int i = 0; i < kNumDTypes; ++i) {
    py::object obj = py::cast(DTypeObject{DType(i)});
    dtype_objects[size_t(i)] = obj.release().ptr();  // immortal: the module holds them for its lifetime
    m.attr(std::string(dtype_name(DType(i))).c_str()) = dtype_object(DType(i));
  }

  py::class_<Device>(m, "device")
      .def(py::init<const std::string&>(), py::arg("type"))
      .def(py::init([](const std::string& type, int index) {
             Device d(type);
             d.index = int8_t(index);
             return d;
           }),
           py::arg("type"), py::arg("index"))
      .def_property_readonly("type", [](const Device& d) { return d.is_cpu() ? "cpu" : "cuda"; })
      .def_property_readonly("index", [](const Device& d) -> py::object {
        return d.index < 0 ? py::object(py::none()) : py::object(py::int_(d.index));
      })
      .def("__repr__", [](const Device& d) {
        std::string s = std::string("device(type='") + (d.is_cpu() ? "cpu" : "cuda") + "'";
        if (d.index >= 0) s += ", index=" + std::to_string(d.index);
        return s + ")";
      })
      .def("__str__", &Device::str)
      .def("__eq__", [](const Device& a, const Device& b) { return a == b; })
      .def("__hash__", [](const Device& d) { return int(d.type) * 256 + d.index; });
  py::implicitly_convertible<std::string, Device>();
  m.def("op_table", &op_table_py);
}

}  // namespace nabla::python

PYBIND11_MODULE(_C, m) {
  using namespace nabla::python;
  m.doc() = "nabla's C++ core (import nabla, not this module)";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nabla::Error& e) {
      // A message may quote bytes the caller passed that are not UTF-8 (PyErr_SetString would then raise
      // a bare UnicodeDecodeError instead): they show as \xNN.
      const char* what = e.what();
      auto message = py::reinterpret_steal<py::object>(
          PyUnicode_DecodeUTF8(what, Py_ssize_t(std::strlen(what)), "backslashreplace"));
      PyErr_SetObject(exception_type(e.kind()), message.ptr());
    }
  });
  bind_dtypes(m);
  TensorClass cls(m, "Tensor");
  adopt_inline_holder();
  bind_tensor(m, cls);
  bind_operators(cls);
  bind_methods(cls);
  bind_indexing(cls);
  bind_autograd(m, cls);
  bind_numpy(m, cls);
  bind_dlpack(m, cls);
  bind_cuda(m);
  bind_functions(m);
  bind_creation(m);
  bind_nn(m);
  bind_optim(m);
  bind_data_io(m);
}
