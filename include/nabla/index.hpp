#pragma once
// The pieces of `t.index({...})`: an integer, a Slice, None (new axis), Ellipsis, a bool, or a
// tensor of indices or a boolean mask. Mirrors Python's t[1:, None, ..., idx].
#include <cstdint>
#include <optional>

#include "nabla/tensor.hpp"

namespace nabla {

struct NoneIndex {};
struct EllipsisIndex {};
inline constexpr NoneIndex None;
inline constexpr EllipsisIndex Ellipsis;

struct Slice {
  std::optional<int64_t> start, stop;
  int64_t step = 1;
  Slice() = default;
  Slice(std::optional<int64_t> start, std::optional<int64_t> stop, int64_t step = 1)
      : start(start), stop(stop), step(step) {}
  Slice(NoneIndex, std::optional<int64_t> stop = std::nullopt, int64_t step = 1) : stop(stop), step(step) {}
  Slice(std::optional<int64_t> start, NoneIndex, int64_t step = 1) : start(start), step(step) {}
  Slice(NoneIndex, NoneIndex, int64_t step = 1) : step(step) {}
};

class TensorIndex {
 public:
  enum class Kind : uint8_t { kInteger, kSlice, kNone, kEllipsis, kBool, kTensor };
  TensorIndex(int64_t i) : kind_(Kind::kInteger), integer_(i) {}
  TensorIndex(int i) : TensorIndex(int64_t(i)) {}
  TensorIndex(bool b) : kind_(Kind::kBool), integer_(b) {}
  TensorIndex(Slice s) : kind_(Kind::kSlice), slice_(s) {}
  TensorIndex(NoneIndex) : kind_(Kind::kNone) {}
  TensorIndex(EllipsisIndex) : kind_(Kind::kEllipsis) {}
  TensorIndex(Tensor t) : kind_(Kind::kTensor), tensor_(std::move(t)) {}

  Kind kind() const { return kind_; }
  int64_t integer() const { return integer_; }
  const Slice& slice() const { return slice_; }
  const Tensor& tensor() const { return tensor_; }

 private:
  Kind kind_;
  int64_t integer_ = 0;
  Slice slice_;
  Tensor tensor_;
};

}  // namespace nabla
