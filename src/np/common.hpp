#pragma once
// What the np layer's files share: making ndarrays from op results, and the checks every entry does.
#include "core/check.hpp"
#include "nabla/np.hpp"

namespace nabla::np {

// The door to ndarray's private constructor, for results that are fresh tensors of a NumPy dtype.
struct ndarray_access {
  static ndarray adopt(Tensor t) {
    ndarray a;
    a.tensor_ = std::move(t);
    return a;
  }
};
inline ndarray adopt(Tensor t) { return ndarray_access::adopt(std::move(t)); }

inline void check_defined(const ndarray& a, const char* op) {
  NB_CHECK(a.defined(), ValueError, op, ": got an empty (default-constructed) ndarray");
}

// NumPy has no bfloat16: the message names the conversion that works.
void check_numpy_dtype(DType dtype, const char* op);

// A shape as Python writes the tuple: "(2, 3)", "(3,)", "()"; NumPy's messages use separator ",".
std::string tuple_repr(IntArrayRef shape, const char* separator = ", ");

// A tensor of `t`'s view on the same storage, with no autograd state.
Tensor alias_of(const Tensor& t);

}  // namespace nabla::np
