// t[...] and t[...] = v with Python's index expressions: ints, slices with steps, None, Ellipsis,
// bools, and index or mask tensors (given as tensors, lists or NumPy arrays).
#include "bindings.hpp"
#include "nabla/index.hpp"

namespace nabla::python {
namespace {

// A slice's start, stop or step. Bounds beyond int64 are clamped, as Python clamps them for lists.
std::optional<int64_t> slice_bound(PyObject* v) {
  if (v == Py_None) return std::nullopt;
  py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(v));
  if (!i) throw py::error_already_set();
  static_assert(sizeof(Py_ssize_t) == sizeof(int64_t));
  return int64_t(PyNumber_AsSsize_t(i.ptr(), nullptr));
}

TensorIndex index_item(py::handle h) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o)) return TensorIndex(o == Py_True);
  if (PyLong_Check(o)) return TensorIndex(index_from_py(h));
  if (o == Py_None) return TensorIndex(None);
  if (o == Py_Ellipsis) return TensorIndex(Ellipsis);
  if (PySlice_Check(o)) {
    auto* s = reinterpret_cast<PySliceObject*>(o);
    std::optional<int64_t> step = slice_bound(s->step);
    if (step && *step == 0) throw py::value_error("slice step cannot be zero");
    return TensorIndex(Slice(slice_bound(s->start), slice_bound(s->stop), step.value_or(1)));
  }
  if (const Tensor* t = tensor_from_py(h)) return TensorIndex(*t);
  if (PyIndex_Check(o) && !PySequence_Check(o)) return TensorIndex(index_from_py(h));
  if (PySequence_Check(o) || py::hasattr(h, "__array_interface__")) return TensorIndex(tensor_from_data(h, std::nullopt));
  throw py::index_error(std::string("only integers, slices (`:`), ellipsis (`...`), None and long or byte tensors are "
                                    "valid indices (got ") + Py_TYPE(o)->tp_name + ")");
}

std::vector<TensorIndex> indices_from_py(py::handle h) {
  std::vector<TensorIndex> out;
  if (PyTuple_Check(h.ptr())) {
    for (py::handle item : py::reinterpret_borrow<py::tuple>(h)) out.push_back(index_item(item));
  } else {
    out.push_back(index_item(h));
  }
  return out;
}

}  // namespace

void bind_indexing(TensorClass& cls) {
  cls.def("__getitem__", [](const Tensor& t, py::handle index) {
    PyObject* o = index.ptr();
    if (PyLong_Check(o) && !PyBool_Check(o) && t.dim() > 0) return t.select(0, index_from_py(index));
    return t.index(indices_from_py(index));
  });
  cls.def("__setitem__", [](Tensor& t, py::handle index, py::handle value) {
    std::vector<TensorIndex> indices = indices_from_py(index);
    if (const Tensor* v = tensor_from_py(value)) t.index_put_(indices, *v);
    else if (auto s = scalar_from_py(value)) t.index_put_(indices, *s);
    else t.index_put_(indices, tensor_from_data(value, t.dtype()));
  });
}

}  // namespace nabla::python
