// The conversion contract with NumPy (DESIGN.md): from_numpy and Tensor.numpy() never copy, for
// every dtype and any strides (negative and zero included), and keep the memory alive whichever
// side outlives the other. Also torch.tensor's parsing of nested Python data.
#include <pybind11/numpy.h>

#include <bit>

#include "bindings.hpp"
#include "foreign_memory.hpp"
#include "nabla/autograd.hpp"
#include "nabla/creation.hpp"

namespace nabla::python {
namespace {

using py::detail::npy_api;

// NumPy's type numbers (numpy/ndarraytypes.h), one per nabla dtype; bfloat16 has none.
constexpr int kNoNumPyType = -1;
constexpr int kNumPyTypes[kNumDTypes] = {0, 2, 1, 3, 5, 7, 4, 6, 8, 23, kNoNumPyType, 11, 12};

// The element size through py::dtype, which reads it where the running NumPy keeps it (NumPy 2 moved
// it out of the descriptor struct that older pybind11 versions expose).
int64_t itemsize_of(const py::detail::PyArrayDescr_Proxy* d) {
  return int64_t(py::reinterpret_borrow<py::dtype>(reinterpret_cast<PyObject*>(const_cast<py::detail::PyArrayDescr_Proxy*>(d))).itemsize());
}

std::optional<DType> dtype_of_descr(const py::detail::PyArrayDescr_Proxy* d) {
  const int64_t size = itemsize_of(d);
  switch (d->kind) {
    case 'b': return kBool;
    case 'i': return size == 1 ? kInt8 : size == 2 ? kInt16 : size == 4 ? kInt32 : size == 8 ? std::optional(kInt64) : std::nullopt;
    case 'u': return size == 1 ? kUInt8 : size == 2 ? kUInt16 : size == 4 ? kUInt32 : size == 8 ? std::optional(kUInt64) : std::nullopt;
    case 'f': return size == 2 ? kFloat16 : size == 4 ? kFloat32 : size == 8 ? std::optional(kFloat64) : std::nullopt;
  }
  return std::nullopt;
}

void release_array(void* ctx, void*, size_t) { release_python_object(static_cast<PyObject*>(ctx)); }

void release_storage_capsule(PyObject* capsule) {
  delete static_cast<Storage*>(PyCapsule_GetPointer(capsule, nullptr));
}

void check_numpy_convertible(const Tensor& t, const char* what) {
  if (t.requires_grad() && is_grad_enabled()) {
    throw std::runtime_error(std::string("Can't call ") + what +
                             " on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  }
  if (!t.device().is_cpu()) {
    throw py::type_error("can't convert " + t.device().str() + " device type tensor to numpy. Use Tensor.cpu() to "
                         "copy the tensor to host memory first.");
  }
  if (kNumPyTypes[int(t.dtype())] == kNoNumPyType) {
    throw py::type_error("Got unsupported ScalarType BFloat16: NumPy has no bfloat16; convert first, e.g. "
                         "t.float().numpy()");
  }
}

py::object to_numpy(const Tensor& self, bool force) {
  Tensor t = force ? self.detach().cpu() : self;
  check_numpy_convertible(t, "numpy()");
  auto& api = npy_api::get();
  const int nd = int(t.dim());
  const int64_t item = int64_t(t.element_size());
  Py_intptr_t dims[DimVector::kInlineDims * 4], strides[DimVector::kInlineDims * 4];
  if (nd > DimVector::kInlineDims * 4) throw py::value_error("numpy(): too many dims for NumPy");
  for (int i = 0; i < nd; ++i) {
    dims[i] = t.sizes()[size_t(i)];
    strides[i] = t.strides()[size_t(i)] * item;
  }
  const Storage& storage = t.impl()->storage();
  PyObject* descr = api.PyArray_DescrFromType_(kNumPyTypes[int(t.dtype())]);
  int flags = storage->read_only() ? 0 : npy_api::NPY_ARRAY_WRITEABLE_;
  PyObject* array = api.PyArray_NewFromDescr_(api.PyArray_Type_, descr, nd, dims, strides, t.data_ptr(), flags, nullptr);
  if (!array) throw py::error_already_set();
  py::object result = py::reinterpret_steal<py::object>(array);
  PyObject* owner = PyCapsule_New(new Storage(storage), nullptr, &release_storage_capsule);
  if (!owner) throw py::error_already_set();
  if (api.PyArray_SetBaseObject_(array, owner) != 0) throw py::error_already_set();  // steals owner
  return result;
}

py::dict array_interface(const Tensor& t) {
  check_numpy_convertible(t, "__array_interface__");
  static const char* typestrs[kNumDTypes] = {"|b1", "|u1", "|i1", "<i2", "<i4", "<i8", "<u2",
                                             "<u4", "<u8", "<f2", "",    "<f4", "<f8"};
  const int64_t item = int64_t(t.element_size());
  py::tuple shape(size_t(t.dim())), strides(size_t(t.dim()));
  for (int64_t i = 0; i < t.dim(); ++i) {
    shape[size_t(i)] = py::int_(t.sizes()[size_t(i)]);
    strides[size_t(i)] = py::int_(t.strides()[size_t(i)] * item);
  }
  py::dict d;
  d["shape"] = shape;
  d["typestr"] = typestrs[int(t.dtype())];
  d["data"] = py::make_tuple(reinterpret_cast<uintptr_t>(t.data_ptr()), t.impl()->storage()->read_only());
  d["strides"] = strides;
  d["version"] = 3;
  return d;
}

// Nested Python sequences of numbers (and 0-d tensors) as the NestedList that nabla::tensor() takes,
// which checks that the nesting is rectangular. Python's recursion limit bounds the depth, so a list
// that contains itself raises RecursionError instead of exhausting the C++ stack.
NestedList nested_from_py(py::handle h) {
  std::optional<Scalar> s = scalar_from_py(h);
  if (!s) {
    if (const Tensor* t = tensor_from_py(h); t && t->numel() == 1 && t->dim() == 0) s = t->item();
  }
  if (s) return NestedList(*s);
  PyObject* o = h.ptr();
  if (!PySequence_Check(o) || PyUnicode_Check(o) || PyBytes_Check(o)) {
    throw py::type_error(std::string("tensor(): could not convert an object of type ") + Py_TYPE(o)->tp_name +
                         " to a number");
  }
  if (Py_EnterRecursiveCall(" while converting nested sequences to a tensor")) throw py::error_already_set();
  struct LeaveRecursiveCall {
    ~LeaveRecursiveCall() { Py_LeaveRecursiveCall(); }
  } leave;
  py::sequence seq = py::reinterpret_borrow<py::sequence>(h);
  std::vector<NestedList> items;
  items.reserve(seq.size());
  // Owned references: a sequence like a Tensor makes each item on access, and a borrowed handle
  // would outlive it.
  for (size_t i = 0, n = seq.size(); i < n; ++i) {
    py::object item = seq[i];
    items.push_back(nested_from_py(item));
  }
  return NestedList(std::move(items));
}

Tensor tensor_from_nested(py::handle data, std::optional<DType> dtype) {
  return nabla::tensor(nested_from_py(data), dtype ? TensorOptions(*dtype) : TensorOptions());
}

}  // namespace

Tensor from_numpy(py::handle h) {
  auto& api = npy_api::get();
  PyObject* o = h.ptr();
  if (!api.PyArray_Check_(o)) throw py::type_error(std::string("expected np.ndarray (got ") + Py_TYPE(o)->tp_name + ")");
  auto* a = py::detail::array_proxy(o);
  auto* d = py::detail::array_descriptor_proxy(a->descr);
  std::optional<DType> dtype = dtype_of_descr(d);
  if (!dtype) {
    throw py::type_error(std::string("can't convert np.ndarray of type ") +
                         reinterpret_cast<PyTypeObject*>(d->typeobj)->tp_name +
                         ". The only supported types are: float64, float32, float16, int64, int32, int16, int8, "
                         "uint64, uint32, uint16, uint8, and bool.");
  }
  constexpr char kForeignOrder = std::endian::native == std::endian::little ? '>' : '<';
  if (d->byteorder == kForeignOrder) {
    throw py::value_error("from_numpy: the array's byte order is not the machine's; convert it first with "
                          "a.astype(a.dtype.newbyteorder('='))");
  }
  const int64_t item = itemsize_of(d);
  DimVector sizes(size_t(a->nd)), strides(size_t(a->nd));
  for (int i = 0; i < a->nd; ++i) {
    sizes[size_t(i)] = a->dimensions[i];
    if (a->strides[i] % item != 0) {
      throw py::value_error("from_numpy: the array's strides are not a multiple of its element size " +
                            std::to_string(item) + "; copy it first with a.copy()");
    }
    strides[size_t(i)] = a->strides[i] / item;
  }
  Py_INCREF(o);
  const bool read_only = !(a->flags & npy_api::NPY_ARRAY_WRITEABLE_);
  return wrap_foreign_memory(a->data, sizes, strides, *dtype, &release_array, o, read_only);
}

Tensor tensor_from_data(py::handle data, std::optional<DType> dtype) {
  if (const Tensor* t = tensor_from_py(data)) return t->detach().to(dtype.value_or(t->dtype()), /*copy=*/true);
  if (npy_api::get().PyArray_Check_(data.ptr())) {
    auto* d = py::detail::array_descriptor_proxy(py::detail::array_proxy(data.ptr())->descr);
    if (dtype_of_descr(d)) {
      py::object native = d->byteorder == '>' || d->byteorder == '<'
                              ? data.attr("astype")(data.attr("dtype").attr("newbyteorder")("="))
                              : py::reinterpret_borrow<py::object>(data);
      Tensor shared = from_numpy(native);
      return shared.to(dtype.value_or(shared.dtype()), /*copy=*/true);
    }
    return tensor_from_nested(data.attr("tolist")(), dtype);
  }
  if (auto s = scalar_from_py(data)) return full({}, *s, TensorOptions(dtype.value_or(s->default_dtype())));
  return tensor_from_nested(data, dtype);
}

void bind_numpy(py::module_& m, TensorClass& cls) {
  m.def("from_numpy", &from_numpy, py::arg("ndarray"));
  m.def("tensor", [](py::handle data, std::optional<DType> dtype, std::optional<Device> device, bool requires_grad) {
    Tensor t = tensor_from_data(data, dtype);
    if (device && !device->is_cpu()) t = t.to(*device);
    if (requires_grad) t.requires_grad_(true);
    return t;
  }, py::arg("data"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     py::arg("requires_grad") = false);
  cls.def("numpy", &to_numpy, py::kw_only(), py::arg("force") = false);
  cls.def("__array__", [](const Tensor& t, py::object dtype) {
    py::object array = to_numpy(t, false);
    return dtype.is_none() ? array : array.attr("astype")(dtype, py::arg("copy") = false);
  }, py::arg("dtype") = py::none());
  cls.def_property_readonly("__array_interface__", &array_interface);
}

}  // namespace nabla::python
