// nabla::load of a safetensors checkpoint; what loads must save and load back unchanged.
#include "fuzz_target.hpp"

NABLA_FUZZ_TARGET(safetensors) {
  nabla::StateDict dict;
  std::map<std::string, std::string> metadata;
  try {
    dict = nabla::load(nabla_fuzz::scratch_file("safetensors", data, size), &metadata);
  } catch (const nabla::Error&) {
    return;
  }
  const std::string copy = nabla_fuzz::scratch_path("safetensors", ".safetensors");
  nabla::save(dict, copy, metadata);
  std::map<std::string, std::string> metadata_again;
  const nabla::StateDict again = nabla::load(copy, &metadata_again);
  if (metadata_again != metadata) nabla_fuzz::finding("safetensors", "metadata changed in a save + load");
  if (again.keys() != dict.keys()) nabla_fuzz::finding("safetensors", "keys changed in a save + load");
  for (const auto& [key, t] : dict)
    if (!nabla_fuzz::same_tensor(again.at(key), t))
      nabla_fuzz::finding("safetensors", "tensor '" + key + "' changed in a save + load");
}
