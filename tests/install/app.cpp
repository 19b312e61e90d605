// Exits 0 when the installed headers and library work together.
#include <iostream>

#include <nabla/nabla.hpp>

int main() {
  namespace nb = nabla;
  nb::Tensor ones = nb::ones({2, 3});
  nb::Tensor copy = ones.clone();
  if (copy.sizes() != nb::DimVector{2, 3} || copy.dtype() != nb::kFloat32 || copy.data_ptr<float>()[5] != 1.0f) {
    std::cerr << "install test: unexpected result from the installed nabla\n";
    return 1;
  }
  std::cout << "install test: ok\n";
  return 0;
}
