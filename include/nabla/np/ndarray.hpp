#pragma once
// np::ndarray: NumPy's array semantics over nabla's storage. An ndarray holds a Tensor (no copy):
// from_numpy / Tensor::numpy() convert in O(1) and share the memory both ways. What differs from
// Tensor is what NumPy does differently: type promotion (NumPy 2, NEP 50: C++ scalars are "weak"
// like Python numbers), true division of ints giving float64, float64 as the default floating
// type, N-D `dot`, reductions' result types, negative-step slices, and printing.
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "nabla/creation.hpp"
#include "nabla/index.hpp"
#include "nabla/tensor.hpp"

namespace nabla::np {

// NumPy's dtype names. NumPy has no bfloat16, so an ndarray never holds one.
inline constexpr DType bool_ = kBool, int8 = kInt8, int16 = kInt16, int32 = kInt32, int64 = kInt64,
                       uint8 = kUInt8, uint16 = kUInt16, uint32 = kUInt32, uint64 = kUInt64,
                       float16 = kFloat16, float32 = kFloat32, float64 = kFloat64;

// The `axis` argument of reductions: None (every axis), one axis, or several.
struct Axes {
  bool all = true;
  DimVector dims;
  Axes() = default;
  Axes(NoneIndex) {}
  Axes(int64_t axis) : all(false), dims{axis} {}
  Axes(int axis) : Axes(int64_t(axis)) {}
  Axes(std::initializer_list<int64_t> axes) : all(false), dims(axes) {}
};

class ndarray {
 public:
  ndarray() = default;
  // Wraps `t` without copying (a new handle on the same storage, without autograd history).
  // Refuses what NumPy cannot hold: bfloat16 and memory off the CPU.
  explicit ndarray(const Tensor& t);

  bool defined() const { return tensor_.defined(); }
  // The tensor this array views: same storage, same strides.
  const Tensor& tensor() const { return tensor_; }

  const DimVector& shape() const { return tensor_.sizes(); }
  int64_t ndim() const { return tensor_.dim(); }
  int64_t size() const { return tensor_.numel(); }
  DType dtype() const { return tensor_.dtype(); }
  int64_t itemsize() const { return int64_t(nabla::itemsize(dtype())); }
  int64_t nbytes() const { return size() * itemsize(); }
  DimVector strides() const;  // in bytes, as NumPy gives them
  void* data() const { return tensor_.data_ptr(); }
  bool c_contiguous() const;
  bool f_contiguous() const;
  template <typename T> T item() const { return tensor_.item<T>(); }

  // Views where NumPy gives views; reshape copies only when the strides don't allow a view.
  ndarray reshape(IntArrayRef shape) const;  // one dim may be -1
  ndarray transpose() const;                 // all axes reversed
  ndarray transpose(IntArrayRef axes) const;
  ndarray T() const { return transpose(); }
  ndarray ravel() const { return reshape({-1}); }
  ndarray flatten() const;  // always a copy
  ndarray copy() const;     // C order
  ndarray astype(DType dtype, bool copy = true) const;

  // a[i], a[1:, ::-1], a[None, ..., 0], a[index_array], a[mask]: NumPy's basic indexing gives views
  // (negative steps included); integer-array and boolean indexing copy.
  ndarray operator[](int64_t i) const { return index({i}); }
  ndarray index(std::initializer_list<TensorIndex> indices) const;
  ndarray index(const std::vector<TensorIndex>& indices) const;
  // a[indices] = value, converting value to a's dtype.
  void index_put(const std::vector<TensorIndex>& indices, const ndarray& value);
  void index_put(const std::vector<TensorIndex>& indices, const Scalar& value);
  void fill(const Scalar& value);

  ndarray sum(const Axes& axis = {}, bool keepdims = false) const;
  ndarray mean(const Axes& axis = {}, bool keepdims = false) const;
  ndarray max(const Axes& axis = {}, bool keepdims = false) const;
  ndarray min(const Axes& axis = {}, bool keepdims = false) const;
  ndarray argmax(std::optional<int64_t> axis = std::nullopt, bool keepdims = false) const;
  ndarray argmin(std::optional<int64_t> axis = std::nullopt, bool keepdims = false) const;

  ndarray operator-() const;
  ndarray operator~() const;
  ndarray& operator+=(const ndarray& o);
  ndarray& operator+=(const Scalar& o);
  ndarray& operator-=(const ndarray& o);
  ndarray& operator-=(const Scalar& o);
  ndarray& operator*=(const ndarray& o);
  ndarray& operator*=(const Scalar& o);
  ndarray& operator/=(const ndarray& o);
  ndarray& operator/=(const Scalar& o);

 private:
  friend struct ndarray_access;
  Tensor tensor_;
};

// Creation. Nested braces infer NumPy's dtypes: ints int64, floating values float64, bools bool.
ndarray array(const NestedList& data, std::optional<DType> dtype = std::nullopt);
ndarray asarray(const Tensor& t);  // shares memory
ndarray zeros(IntArrayRef shape, DType dtype = float64);
ndarray ones(IntArrayRef shape, DType dtype = float64);
ndarray empty(IntArrayRef shape, DType dtype = float64);
ndarray full(IntArrayRef shape, const Scalar& value, std::optional<DType> dtype = std::nullopt);
ndarray zeros_like(const ndarray& a);
ndarray ones_like(const ndarray& a);
// Half-open ranges as np.arange: int64 for integer arguments, float64 when any is floating.
ndarray arange(const Scalar& stop, std::optional<DType> dtype = std::nullopt);
ndarray arange(const Scalar& start, const Scalar& stop, const Scalar& step = 1, std::optional<DType> dtype = std::nullopt);
ndarray linspace(double start, double stop, int64_t num = 50, DType dtype = float64);

// Promotion as NumPy 2 (NEP 50): np.result_type of two arrays, and of an array with a Python scalar.
DType result_type(DType a, DType b);
DType result_type(DType a, const Scalar& weak);

// Element-wise arithmetic; the operators below call these.
ndarray add(const ndarray& a, const ndarray& b);
ndarray subtract(const ndarray& a, const ndarray& b);
ndarray multiply(const ndarray& a, const ndarray& b);
ndarray true_divide(const ndarray& a, const ndarray& b);
ndarray floor_divide(const ndarray& a, const ndarray& b);
ndarray remainder(const ndarray& a, const ndarray& b);
ndarray power(const ndarray& a, const ndarray& b);
ndarray maximum(const ndarray& a, const ndarray& b);
ndarray minimum(const ndarray& a, const ndarray& b);
ndarray bitwise_and(const ndarray& a, const ndarray& b);
ndarray bitwise_or(const ndarray& a, const ndarray& b);
ndarray bitwise_xor(const ndarray& a, const ndarray& b);
ndarray equal(const ndarray& a, const ndarray& b);
ndarray not_equal(const ndarray& a, const ndarray& b);
ndarray less(const ndarray& a, const ndarray& b);
ndarray less_equal(const ndarray& a, const ndarray& b);
ndarray greater(const ndarray& a, const ndarray& b);
ndarray greater_equal(const ndarray& a, const ndarray& b);
// Each with a Python-like scalar on either side (the scalar is weak: int8 array + 1 stays int8).
#define NB_NP_SCALAR_OVERLOADS(name)                    \
  ndarray name(const ndarray& a, const Scalar& b);      \
  ndarray name(const Scalar& a, const ndarray& b);
NB_NP_SCALAR_OVERLOADS(add) NB_NP_SCALAR_OVERLOADS(subtract) NB_NP_SCALAR_OVERLOADS(multiply)
NB_NP_SCALAR_OVERLOADS(true_divide) NB_NP_SCALAR_OVERLOADS(floor_divide) NB_NP_SCALAR_OVERLOADS(remainder)
NB_NP_SCALAR_OVERLOADS(power) NB_NP_SCALAR_OVERLOADS(maximum) NB_NP_SCALAR_OVERLOADS(minimum)
NB_NP_SCALAR_OVERLOADS(bitwise_and) NB_NP_SCALAR_OVERLOADS(bitwise_or) NB_NP_SCALAR_OVERLOADS(bitwise_xor)
NB_NP_SCALAR_OVERLOADS(equal) NB_NP_SCALAR_OVERLOADS(not_equal) NB_NP_SCALAR_OVERLOADS(less)
NB_NP_SCALAR_OVERLOADS(less_equal) NB_NP_SCALAR_OVERLOADS(greater) NB_NP_SCALAR_OVERLOADS(greater_equal)
#undef NB_NP_SCALAR_OVERLOADS
ndarray negative(const ndarray& a);
ndarray invert(const ndarray& a);

#define NB_NP_OPERATOR(op, fn)                                                                   \
  inline ndarray operator op(const ndarray& a, const ndarray& b) { return fn(a, b); }            \
  inline ndarray operator op(const ndarray& a, const Scalar& b) { return fn(a, b); }             \
  inline ndarray operator op(const Scalar& a, const ndarray& b) { return fn(a, b); }
NB_NP_OPERATOR(+, add)
NB_NP_OPERATOR(-, subtract)
NB_NP_OPERATOR(*, multiply)
NB_NP_OPERATOR(/, true_divide)
NB_NP_OPERATOR(%, remainder)
NB_NP_OPERATOR(&, bitwise_and)
NB_NP_OPERATOR(|, bitwise_or)
NB_NP_OPERATOR(^, bitwise_xor)
NB_NP_OPERATOR(==, equal)
NB_NP_OPERATOR(!=, not_equal)
NB_NP_OPERATOR(<, less)
NB_NP_OPERATOR(<=, less_equal)
NB_NP_OPERATOR(>, greater)
NB_NP_OPERATOR(>=, greater_equal)
#undef NB_NP_OPERATOR

// np.dot: 0-d operands multiply, 1-D . 1-D is the inner product, 2-D . 2-D the matrix product, and
// N-D . M-D sums over a's last axis and b's second-to-last: dot(a, b)[i,j,k,m] = sum(a[i,j,:] * b[k,:,m]).
ndarray dot(const ndarray& a, const ndarray& b);
// np.matmul (the @ operator): batched matrix product with broadcast batch dims; no 0-d operands.
ndarray matmul(const ndarray& a, const ndarray& b);

// Reductions with NumPy's result types: sum of bool/signed ints gives int64, of unsigned ints uint64;
// mean of ints gives float64. max/min of an empty selection raise ValueError as NumPy does.
ndarray sum(const ndarray& a, const Axes& axis = {}, bool keepdims = false);
ndarray mean(const ndarray& a, const Axes& axis = {}, bool keepdims = false);
ndarray max(const ndarray& a, const Axes& axis = {}, bool keepdims = false);
ndarray min(const ndarray& a, const Axes& axis = {}, bool keepdims = false);
ndarray argmax(const ndarray& a, std::optional<int64_t> axis = std::nullopt, bool keepdims = false);
ndarray argmin(const ndarray& a, std::optional<int64_t> axis = std::nullopt, bool keepdims = false);

bool array_equal(const ndarray& a, const ndarray& b);

// Printing, byte for byte as NumPy's default print options: str(a) (what print(a) shows) and repr(a).
std::string str(const ndarray& a);
std::string repr(const ndarray& a);
std::ostream& operator<<(std::ostream& os, const ndarray& a);

}  // namespace nabla::np
