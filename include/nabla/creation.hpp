#pragma once
// Making tensors: from nested braces, filled, ranges, identity, and from memory you own.
#include <functional>
#include <initializer_list>
#include <optional>
#include <variant>
#include <vector>

#include "nabla/tensor.hpp"

namespace nabla {

// `{{1, 2}, {3, 4}}` as written in C++: a scalar or a list of NestedLists. Integers give int64,
// floating values float32 (PyTorch's defaults), bools bool; a mix takes the highest kind.
class NestedList {
 public:
  NestedList(const Scalar& v) : value_(v) {}
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  NestedList(T v) : value_(Scalar(v)) {}
  NestedList(std::initializer_list<NestedList> items) : value_(std::vector<NestedList>(items)) {}
  NestedList(std::vector<NestedList> items) : value_(std::move(items)) {}

  bool is_scalar() const { return std::holds_alternative<Scalar>(value_); }
  const Scalar& scalar() const { return std::get<Scalar>(value_); }
  const std::vector<NestedList>& items() const { return std::get<std::vector<NestedList>>(value_); }

 private:
  std::variant<Scalar, std::vector<NestedList>> value_;
};

Tensor tensor(const NestedList& data, const TensorOptions& options = {});
template <typename T>
Tensor tensor(const std::vector<T>& values, const TensorOptions& options = {});

Tensor empty(IntArrayRef sizes, const TensorOptions& options = {});
Tensor zeros(IntArrayRef sizes, const TensorOptions& options = {});
Tensor ones(IntArrayRef sizes, const TensorOptions& options = {});
Tensor full(IntArrayRef sizes, const Scalar& value, const TensorOptions& options = {});
Tensor empty_like(const Tensor& t, const TensorOptions& options = {});
Tensor zeros_like(const Tensor& t, const TensorOptions& options = {});
Tensor ones_like(const Tensor& t, const TensorOptions& options = {});
Tensor full_like(const Tensor& t, const Scalar& value, const TensorOptions& options = {});
Tensor arange(const Scalar& end, const TensorOptions& options = {});
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step = 1, const TensorOptions& options = {});
Tensor linspace(double start, double end, int64_t steps, const TensorOptions& options = {});
Tensor eye(int64_t n, std::optional<int64_t> m = std::nullopt, const TensorOptions& options = {});

// Wraps memory you own without copying. `deleter` runs when the last tensor or view goes.
Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& options = {},
                 std::function<void(void*)> deleter = nullptr);
Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& options = {},
                 std::function<void(void*)> deleter = nullptr);

}  // namespace nabla
