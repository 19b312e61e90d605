#pragma once
// A fuzz target per parser of outside bytes. NABLA_FUZZ_TARGET(name) { ... } defines one: built with
// -DNABLA_LIBFUZZER it is the binary's LLVMFuzzerTestOneInput; otherwise it registers itself with
// nabla_fuzz_replay, which runs every input kept under tests/fuzz/corpus/<name>/ (the seeds and the
// regressions) under `make test`, with any compiler.
//
// A target lets nabla's own errors (nabla::Error: a clean, named refusal) pass and nothing else: a
// crash, a sanitizer report, std::bad_alloc or any other exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nabla/nabla.hpp"

namespace nabla_fuzz {

using Target = void (*)(const uint8_t* data, size_t size);
bool register_target(const char* name, Target target);

// Writes the input to this process's scratch file for `name` (under /dev/shm when it exists) and
// returns its path: the loaders under test read files, as users call them.
std::string scratch_file(const char* name, const uint8_t* data, size_t size);
// Another path next to it, for round trips.
std::string scratch_path(const char* name, const char* suffix);

// Same shape, dtype and element bytes.
bool same_tensor(const nabla::Tensor& a, const nabla::Tensor& b);

[[noreturn]] void finding(const char* target, const std::string& what);

}  // namespace nabla_fuzz

#ifdef NABLA_LIBFUZZER
#define NABLA_FUZZ_TARGET(name)                                                        \
  static void fuzz_##name(const uint8_t* data, size_t size);                          \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {           \
    fuzz_##name(data, size);                                                           \
    return 0;                                                                          \
  }                                                                                    \
  static void fuzz_##name(const uint8_t* data, size_t size)
#else
#define NABLA_FUZZ_TARGET(name)                                                        \
  static void fuzz_##name(const uint8_t* data, size_t size);                          \
  [[maybe_unused]] static const bool registered_##name =                              \
      nabla_fuzz::register_target(#name, fuzz_##name);                                 \
  static void fuzz_##name(const uint8_t* data, size_t size)
#endif
