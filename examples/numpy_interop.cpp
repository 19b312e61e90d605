// The seed's two conversions: a NumPy array to a tensor (torch.from_numpy) and a tensor to a NumPy array
// (Tensor.numpy()). Both share memory with their source; each prints as its own library prints it.
#include <iostream>

#include <nabla/nabla.hpp>

namespace nb = nabla;
namespace np = nabla::np;

int main() {
  np::ndarray arr = np::array({1, 2, 3});
  nb::Tensor tensor = nb::from_numpy(arr);
  std::cout << tensor << "\n";  // tensor([1, 2, 3])

  nb::Tensor t = nb::tensor({1, 2, 3});
  np::ndarray a = t.numpy();
  std::cout << a << "\n";  // [1 2 3]
}
