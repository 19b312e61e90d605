// The seed's example 2: a matrix product with np.dot, printed as NumPy prints it.
#include <iostream>

#include <nabla/nabla.hpp>

namespace np = nabla::np;

int main() {
  np::ndarray a = np::array({{1, 2}, {3, 4}});
  np::ndarray b = np::array({{5, 6}, {7, 8}});
  np::ndarray c = np::dot(a, b);
  std::cout << c << "\n";  // [[19 22]
                           //  [43 50]]
}
