// np.load of a .npz archive (ZIP, stored or deflated members); what loads must survive np.savez.
#include "fuzz_target.hpp"

NABLA_FUZZ_TARGET(npz) {
  nabla::np::NpzFile archive;
  try {
    nabla::np::Loaded loaded = nabla::np::load(nabla_fuzz::scratch_file("npz", data, size));
    if (!loaded.is_npz()) return;
    archive = loaded.npz();
  } catch (const nabla::Error&) {
    return;
  }
  const std::string copy = nabla_fuzz::scratch_path("npz", ".npz");
  try {
    nabla::np::savez_compressed(copy, archive.items());
  } catch (const nabla::Error&) {
    return;  // member names savez refuses (duplicates, ...) are still a valid archive to read
  }
  const nabla::np::NpzFile again = nabla::np::load(copy).npz();
  if (again.size() != archive.size()) nabla_fuzz::finding("npz", "np.savez + np.load changed the member count");
  for (size_t i = 0; i < archive.size(); ++i) {
    if (again.items()[i].first != archive.items()[i].first ||
        !nabla_fuzz::same_tensor(again.items()[i].second.tensor(), archive.items()[i].second.tensor()))
      nabla_fuzz::finding("npz", "member '" + archive.items()[i].first + "' does not survive np.savez + np.load");
  }
}
