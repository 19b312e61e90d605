#pragma once
// The NumPy side of nabla: np::ndarray with NumPy's semantics over the same storage as Tensor,
// zero-copy conversion both ways, and NumPy's .npy/.npz files.
//
//   nb::np::ndarray a = nb::np::array({{1, 2}, {3, 4}});
//   std::cout << nb::np::dot(a, a);        // [[ 7 10]\n [15 22]]
//   nb::Tensor t = nb::from_numpy(a);      // shares a's memory; t.numpy() shares it back
#include "nabla/np/io.hpp"
#include "nabla/np/ndarray.hpp"

namespace nabla {

// A tensor over the array's memory (no copy, any strides, every dtype); the storage lives as long as
// either handle does.
Tensor from_numpy(const np::ndarray& a);

}  // namespace nabla
