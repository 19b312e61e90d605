// The element-wise binary ops as Tensor methods and Python operators. The other operand is a
// Tensor or a Python number; one binding per name checks which (no overload resolution on the hot
// path), and an operand that is neither gives NotImplemented, so Python tries the reflected form.
#include <cstring>

#include "bindings.hpp"
#include "nabla/creation.hpp"
#include "nabla/ops.hpp"

namespace nabla::python {
namespace {

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

// A Python number as a 0-d tensor of its default dtype: promotes as the number does (used where
// the number is the left operand and nabla has no Scalar-first overload).
Tensor number_tensor(const Scalar& s, const Tensor& like) {
  return full({}, s, TensorOptions(s.default_dtype()).device(like.device()));
}

// A NumPy array operand is copied into a tensor, as PyTorch does.
bool is_ndarray(py::handle h) { return std::strcmp(Py_TYPE(h.ptr())->tp_name, "numpy.ndarray") == 0; }

// f(a, b) with b a Tensor or a Scalar.
template <typename F>
auto binary(F f) {
  return [f](const Tensor& a, py::handle b) -> py::object {
    if (const Tensor* t = tensor_from_py(b)) return py::cast(f(a, *t));
    if (auto s = scalar_from_py(b)) return py::cast(f(a, *s));
    if (is_ndarray(b)) return py::cast(f(a, tensor_from_data(b, std::nullopt)));
    return not_implemented();
  };
}

// The in-place form: returns self (the same Python object).
template <typename F>
auto inplace(F f) {
  return [f](py::object self, py::handle b) -> py::object {
    Tensor& a = *const_cast<Tensor*>(tensor_from_py(self));
    if (const Tensor* t = tensor_from_py(b)) f(a, *t);
    else if (auto s = scalar_from_py(b)) f(a, *s);
    else return not_implemented();
    return self;
  };
}

// b op a for a number b (the reflected operators).
template <typename F>
auto reflected(F f) {
  return [f](const Tensor& a, py::handle b) -> py::object {
    if (const Tensor* t = tensor_from_py(b)) return py::cast(f(*t, a));
    if (auto s = scalar_from_py(b)) return py::cast(f(number_tensor(*s, a), a));
    if (is_ndarray(b)) return py::cast(f(tensor_from_data(b, std::nullopt), a));
    return not_implemented();
  };
}

std::string rounding(const std::optional<std::string>& mode) { return mode.value_or(""); }

// Python evaluates `a + b` through the type's number slot. For a class that defines __add__ that slot
// looks the method up and calls it through pybind11's dispatcher, which costs more than the add itself
// on a small tensor; these slots call the op directly (the methods stay, for explicit calls and for
// subclasses). `Forward` is `left op right` with a Tensor on the left, `Reflected` the same with the
// Tensor on the right (`2 - t`); either may answer NotImplemented.
template <typename Forward, typename Reflected>
PyObject* number_slot(PyObject* left, PyObject* right) noexcept {
  try {
    if (const Tensor* a = tensor_from_py(left)) return binary(Forward{})(*a, right).release().ptr();
    if (const Tensor* b = tensor_from_py(right)) return binary(Reflected{})(*b, left).release().ptr();
    return not_implemented().release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (...) {  // as pybind11's dispatcher does
    if (!py::detail::apply_exception_translators(py::detail::get_local_internals().registered_exception_translators) &&
        !py::detail::apply_exception_translators(py::detail::get_internals().registered_exception_translators))
      PyErr_SetString(PyExc_SystemError, "nabla: an exception escaped the exception translators");
  }
  return nullptr;
}

struct Add {
  template <typename B> Tensor operator()(const Tensor& a, const B& b) const { return a.add(b); }
};
struct Sub {
  template <typename B> Tensor operator()(const Tensor& a, const B& b) const { return a.sub(b); }
};
struct ReflectedSub {
  template <typename B> Tensor operator()(const Tensor& a, const B& b) const { return b - a; }
};
struct Mul {
  template <typename B> Tensor operator()(const Tensor& a, const B& b) const { return a.mul(b); }
};
struct Div {
  template <typename B> Tensor operator()(const Tensor& a, const B& b) const { return a.div(b); }
};
struct ReflectedDiv {
  template <typename B> Tensor operator()(const Tensor& a, const B& b) const { return b / a; }
};

void set_number_slots(TensorClass& cls) {
  auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  type->tp_as_number->nb_add = number_slot<Add, Add>;
  type->tp_as_number->nb_subtract = number_slot<Sub, ReflectedSub>;
  type->tp_as_number->nb_multiply = number_slot<Mul, Mul>;
  type->tp_as_number->nb_true_divide = number_slot<Div, ReflectedDiv>;
  PyType_Modified(type);
}

}  // namespace

void bind_operators(TensorClass& cls) {
#define NB_BIND_BINARY(name, method)                                                                  \
  cls.def(name, binary([](const Tensor& a, const auto& b) { return a.method(b); }));                  \
  cls.def(name "_", inplace([](Tensor& a, const auto& b) { a.method##_(b); }));
  NB_BIND_BINARY("mul", mul) NB_BIND_BINARY("floor_divide", floor_divide) NB_BIND_BINARY("remainder", remainder)
  NB_BIND_BINARY("fmod", fmod) NB_BIND_BINARY("pow", pow) NB_BIND_BINARY("maximum", maximum)
  NB_BIND_BINARY("minimum", minimum) NB_BIND_BINARY("atan2", atan2) NB_BIND_BINARY("eq", eq) NB_BIND_BINARY("ne", ne)
  NB_BIND_BINARY("lt", lt) NB_BIND_BINARY("le", le) NB_BIND_BINARY("gt", gt) NB_BIND_BINARY("ge", ge)
  NB_BIND_BINARY("logical_and", logical_and) NB_BIND_BINARY("logical_or", logical_or)
  NB_BIND_BINARY("logical_xor", logical_xor) NB_BIND_BINARY("bitwise_and", bitwise_and)
  NB_BIND_BINARY("bitwise_or", bitwise_or) NB_BIND_BINARY("bitwise_xor", bitwise_xor)
  NB_BIND_BINARY("bitwise_left_shift", bitwise_left_shift) NB_BIND_BINARY("bitwise_right_shift", bitwise_right_shift)
#undef NB_BIND_BINARY

  // add/sub take alpha, div a rounding mode.
  auto scalar_of = [](py::handle h) {
    auto s = scalar_from_py(h);
    if (!s) throw py::type_error("alpha must be a number");
    return *s;
  };
  cls.def("add", [scalar_of](const Tensor& a, py::handle b, py::handle alpha) -> py::object {
    Scalar al = scalar_of(alpha);
    return binary([&al](const Tensor& x, const auto& y) { return x.add(y, al); })(a, b);
  }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("add_", [scalar_of](py::object self, py::handle b, py::handle alpha) -> py::object {
    Scalar al = scalar_of(alpha);
    return inplace([&al](Tensor& x, const auto& y) { x.add_(y, al); })(self, b);
  }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("sub", [scalar_of](const Tensor& a, py::handle b, py::handle alpha) -> py::object {
    Scalar al = scalar_of(alpha);
    return binary([&al](const Tensor& x, const auto& y) { return x.sub(y, al); })(a, b);
  }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("sub_", [scalar_of](py::object self, py::handle b, py::handle alpha) -> py::object {
    Scalar al = scalar_of(alpha);
    return inplace([&al](Tensor& x, const auto& y) { x.sub_(y, al); })(self, b);
  }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("div", [](const Tensor& a, py::handle b, std::optional<std::string> mode) -> py::object {
    std::string m = rounding(mode);
    return binary([&m](const Tensor& x, const auto& y) { return x.div(y, m); })(a, b);
  }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  cls.def("div_", [](py::object self, py::handle b, std::optional<std::string> mode) -> py::object {
    std::string m = rounding(mode);
    return inplace([&m](Tensor& x, const auto& y) { x.div_(y, m); })(self, b);
  }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());

  // Operators.
  cls.def("__add__", binary(Add{}));
  cls.def("__radd__", binary(Add{}));
  cls.def("__iadd__", inplace([](Tensor& a, const auto& b) { a.add_(b); }));
  cls.def("__sub__", binary(Sub{}));
  cls.def("__rsub__", binary(ReflectedSub{}));
  cls.def("__isub__", inplace([](Tensor& a, const auto& b) { a.sub_(b); }));
  cls.def("__mul__", binary(Mul{}));
  cls.def("__rmul__", binary(Mul{}));
  cls.def("__imul__", inplace([](Tensor& a, const auto& b) { a.mul_(b); }));
  cls.def("__truediv__", binary(Div{}));
  cls.def("__rtruediv__", binary(ReflectedDiv{}));
  cls.def("__itruediv__", inplace([](Tensor& a, const auto& b) { a.div_(b); }));
  cls.def("__floordiv__", binary([](const Tensor& a, const auto& b) { return a.floor_divide(b); }));
  cls.def("__rfloordiv__", reflected([](const Tensor& b, const Tensor& a) { return b.floor_divide(a); }));
  cls.def("__ifloordiv__", inplace([](Tensor& a, const auto& b) { a.floor_divide_(b); }));
  cls.def("__mod__", binary([](const Tensor& a, const auto& b) { return a.remainder(b); }));
  cls.def("__rmod__", binary([](const Tensor& a, const auto& b) { return b % a; }));
  cls.def("__imod__", inplace([](Tensor& a, const auto& b) { a.remainder_(b); }));
  cls.def("__pow__", binary([](const Tensor& a, const auto& b) { return a.pow(b); }));
  cls.def("__rpow__", binary([](const Tensor& a, const auto& b) {
    if constexpr (std::is_same_v<std::decay_t<decltype(b)>, Scalar>) return nabla::pow(b, a);
    else return b.pow(a);
  }));
  cls.def("__ipow__", inplace([](Tensor& a, const auto& b) { a.pow_(b); }));
  cls.def("__matmul__", [](const Tensor& a, py::handle b) -> py::object {
    if (const Tensor* t = tensor_from_py(b)) return py::cast(a.matmul(*t));
    return not_implemented();
  });
  cls.def("__rmatmul__", [](const Tensor& a, py::handle b) -> py::object {
    if (const Tensor* t = tensor_from_py(b)) return py::cast(t->matmul(a));
    return not_implemented();
  });
#define NB_BIND_BITWISE(op, method)                                                                    \
  cls.def("__" op "__", binary([](const Tensor& a, const auto& b) { return a.method(b); }));           \
  cls.def("__r" op "__", reflected([](const Tensor& b, const Tensor& a) { return b.method(a); }));    \
  cls.def("__i" op "__", inplace([](Tensor& a, const auto& b) { a.method##_(b); }));
  NB_BIND_BITWISE("and", bitwise_and) NB_BIND_BITWISE("or", bitwise_or) NB_BIND_BITWISE("xor", bitwise_xor)
  NB_BIND_BITWISE("lshift", bitwise_left_shift) NB_BIND_BITWISE("rshift", bitwise_right_shift)
#undef NB_BIND_BITWISE
  cls.def("__eq__", binary([](const Tensor& a, const auto& b) { return a.eq(b); }));
  cls.def("__ne__", binary([](const Tensor& a, const auto& b) { return a.ne(b); }));
  cls.def("__lt__", binary([](const Tensor& a, const auto& b) { return a.lt(b); }));
  cls.def("__le__", binary([](const Tensor& a, const auto& b) { return a.le(b); }));
  cls.def("__gt__", binary([](const Tensor& a, const auto& b) { return a.gt(b); }));
  cls.def("__ge__", binary([](const Tensor& a, const auto& b) { return a.ge(b); }));
  cls.def("__neg__", &Tensor::neg);
  cls.def("__pos__", [](const Tensor& a) { return a; });
  cls.def("__abs__", &Tensor::abs);
  cls.def("__invert__", &Tensor::bitwise_not);
  set_number_slots(cls);
}

}  // namespace nabla::python
