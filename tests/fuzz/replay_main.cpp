// nabla_fuzz_replay: runs every fuzz target over its kept inputs (corpus/<target>/*): the seeds and each
// input a fuzzer once found a bug with. Usage: nabla_fuzz_replay <corpus dir>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <vector>

#include "fuzz_target.hpp"

namespace nabla_fuzz {

static std::map<std::string, Target>& targets() {
  static std::map<std::string, Target> all;
  return all;
}

bool register_target(const char* name, Target target) {
  targets()[name] = target;
  return true;
}

}  // namespace nabla_fuzz

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir with one folder per target>\n", argv[0]);
    return 2;
  }
  int failures = 0;
  for (const auto& [name, target] : nabla_fuzz::targets()) {
    const fs::path dir = fs::path(argv[1]) / name;
    std::vector<fs::path> inputs;
    if (fs::is_directory(dir))
      for (const auto& entry : fs::directory_iterator(dir)) inputs.push_back(entry.path());
    std::sort(inputs.begin(), inputs.end());
    if (inputs.empty()) {
      std::fprintf(stderr, "%s: no inputs under %s\n", name.c_str(), dir.c_str());
      ++failures;
      continue;
    }
    for (const fs::path& input : inputs) {
      std::ifstream in(input, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("%-12s %zu inputs replayed\n", name.c_str(), inputs.size());
  }
  return failures == 0 ? 0 : 1;
}
