#pragma once
// What the binding files of nabla._C share: the converters between Python objects and nabla's
// types (dtype objects, scalars, sizes, dims) and one bind_* entry point per area.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "nabla/tensor.hpp"

namespace py = pybind11;

namespace nabla {
class StateDict;
}

namespace nabla::python {

// How a Python Tensor holds its nabla::Tensor: the handle itself, stored inside the Python object.
// pybind11's default holder (a unique_ptr to a separate heap Tensor) costs a malloc and a free per
// object, a tenth of `a + b` on a small tensor. Objects made here are not entered in pybind11's
// registry of instances either (an insert and an erase per object): nothing looks a Tensor up by its
// C++ address, since every Tensor reaches Python by value. init_tensor_instance puts pybind11's own
// constructions (copies, __init__) into the same form.
template <typename T>
struct InlineHolder {
  T value;
  explicit InlineHolder(T&& v) : value(std::move(v)) {}
  // From a value pybind11 made with new: the value moves in and its block is freed.
  explicit InlineHolder(T* made_with_new) : value(std::move(*made_with_new)) { delete made_with_new; }
  T* get() const { return const_cast<T*>(&value); }
};
using TensorClass = py::class_<Tensor, InlineHolder<Tensor>>;
// Makes TensorClass's instances use InlineHolder from construction on (pybind11's init_instance would
// register them and leave a value outside the holder). Called once, right after the class is made.
void adopt_inline_holder();

// nabla.float32 and friends: one immortal Python object per DType.
struct DTypeObject {
  DType value;
};
py::handle dtype_object(DType t);
// A dtype object, or Python's bool/int/float type (torch accepts dtype=float); nullopt otherwise.
std::optional<DType> dtype_from_py(py::handle h);

// A Python number (bool, int, float, or a NumPy scalar) as a Scalar; nullopt for anything else.
std::optional<Scalar> scalar_from_py(py::handle h);
// A value argument of `op` (a fill value, a scatter source): a number or a one-element tensor; TypeError
// naming `op` otherwise.
Scalar scalar_arg(py::handle h, const char* op);
py::object scalar_to_py(const Scalar& s);

// The Tensor held by `h`, or nullptr when `h` is not a Tensor (a Parameter is one).
const Tensor* tensor_from_py(py::handle h);
// A Tensor as a new Python object, with Tensor's type record looked up once (pybind11's own cast hashes
// the type's name on every call) and the Tensor moved into its InlineHolder; the type_caster below sends
// every Tensor returned by value here.
py::object to_py(Tensor&& t);

// A size, dim or index: a Python int (or anything with __index__, a one-element integer tensor too);
// TypeError for other types, RuntimeError naming the value when it does not fit in int64.
int64_t index_from_py(py::handle h);
// Sizes given as `f(2, 3)`, `f((2, 3))` or `f([2, 3])`.
DimVector sizes_from_args(const py::args& args);
DimVector sizes_from_py(py::handle h);
// A dim argument: an int or a sequence of ints; nullopt for None.
std::optional<DimVector> dims_from_py(py::handle h);

// A tensor from Python data: a Tensor, a NumPy array, nested sequences of numbers, or a number.
Tensor tensor_from_data(py::handle data, std::optional<DType> dtype);

// State dicts as Python dicts (insertion-ordered) of name -> Tensor.
py::dict state_dict_to_py(const StateDict& dict);
StateDict state_dict_from_py(py::handle dict);

void bind_dtypes(py::module_& m);
void bind_tensor(py::module_& m, TensorClass& cls);
void bind_operators(TensorClass& cls);
void bind_methods(TensorClass& cls);
void bind_functions(py::module_& m);
void bind_creation(py::module_& m);
void bind_indexing(TensorClass& cls);
void bind_autograd(py::module_& m, TensorClass& cls);
void bind_numpy(py::module_& m, TensorClass& cls);
void bind_dlpack(py::module_& m, TensorClass& cls);
void bind_cuda(py::module_& m);
// Why nabla cannot use CUDA here ("" when it can): a build without CUDA, or no GPU visible.
std::string cuda_unavailable_reason();
void bind_nn(py::module_& m);
void bind_optim(py::module_& m);
void bind_data_io(py::module_& m);

}  // namespace nabla::python

PYBIND11_DECLARE_HOLDER_TYPE(T, nabla::python::InlineHolder<T>)

namespace pybind11::detail {

template <>
struct type_caster<nabla::DType> {
  PYBIND11_TYPE_CASTER(nabla::DType, const_name("dtype"));
  bool load(handle src, bool) {
    auto d = nabla::python::dtype_from_py(src);
    if (!d) return false;
    value = *d;
    return true;
  }
  static handle cast(nabla::DType d, return_value_policy, handle) {
    return nabla::python::dtype_object(d).inc_ref();
  }
};

template <>
struct type_caster<nabla::Scalar> {
  PYBIND11_TYPE_CASTER(nabla::Scalar, const_name("Number"));
  bool load(handle src, bool) {
    auto s = nabla::python::scalar_from_py(src);
    if (!s) return false;
    value = *s;
    return true;
  }
  static handle cast(const nabla::Scalar& s, return_value_policy, handle) {
    return nabla::python::scalar_to_py(s).release();
  }
};

// Loading is pybind11's own; returning a Tensor by value goes through nabla::python::to_py.
template <>
struct type_caster<nabla::Tensor> : type_caster_base<nabla::Tensor> {
  using type_caster_base<nabla::Tensor>::cast;
  static handle cast(nabla::Tensor&& t, return_value_policy, handle) {
    return nabla::python::to_py(std::move(t)).release();
  }
};

}  // namespace pybind11::detail
