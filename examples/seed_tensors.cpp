// The seed's first tensors: a tensor made from a list, and the matrix product of its np.dot example.
#include <iostream>

#include <nabla/nabla.hpp>

namespace nb = nabla;

int main() {
  nb::Tensor t = nb::tensor({1, 2, 3});
  std::cout << t << "\n";  // tensor([1, 2, 3])

  nb::Tensor a = nb::tensor({{1, 2}, {3, 4}});
  nb::Tensor b = nb::tensor({{5, 6}, {7, 8}});
  std::cout << nb::matmul(a, b) << "\n";  // tensor([[19, 22],
                                          //         [43, 50]])
}
