#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "fuzz_target.hpp"

namespace nabla_fuzz {

std::string scratch_path(const char* name, const char* suffix) {
  static const std::string dir = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  return dir + "/nabla-fuzz-" + name + "-" + std::to_string(getpid()) + suffix;
}

std::string scratch_file(const char* name, const uint8_t* data, size_t size) {
  std::string path = scratch_path(name, "");
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

bool same_tensor(const nabla::Tensor& a, const nabla::Tensor& b) {
  if (a.dtype() != b.dtype() || !(a.sizes() == b.sizes())) return false;
  nabla::Tensor ca = a.contiguous(), cb = b.contiguous();
  const size_t nbytes = size_t(ca.numel()) * nabla::itemsize(ca.dtype());
  return nbytes == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), nbytes) == 0;
}

void finding(const char* target, const std::string& what) {
  std::fprintf(stderr, "fuzz target %s: %s\n", target, what.c_str());
  std::abort();
}

}  // namespace nabla_fuzz
