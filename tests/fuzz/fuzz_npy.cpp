// np.load of a .npy file; what loads must save and load back to the same array.
#include "fuzz_target.hpp"

NABLA_FUZZ_TARGET(npy) {
  nabla::np::ndarray a;
  try {
    nabla::np::Loaded loaded = nabla::np::load(nabla_fuzz::scratch_file("npy", data, size));
    if (loaded.is_npz()) return;
    a = loaded.array();
  } catch (const nabla::Error&) {
    return;
  }
  const std::string copy = nabla_fuzz::scratch_path("npy", ".npy");
  nabla::np::save(copy, a);
  if (!nabla_fuzz::same_tensor(nabla::np::load(copy).array().tensor(), a.tensor()))
    nabla_fuzz::finding("npy", "an array read from a .npy file does not survive np.save + np.load");
}
