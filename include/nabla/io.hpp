#pragma once
// Files: checkpoints as safetensors (state dicts of tensors plus string metadata), and the IDX
// files that MNIST-style datasets come in.
#include <map>
#include <string>

#include "nabla/state_dict.hpp"

namespace nabla {

// Writes `dict` as a safetensors file: tensors are made contiguous and copied to the CPU first.
// The write is atomic: a temporary file in the same directory is written, synced and renamed over
// `path`, so a failure (disk full, file size limit, ...) raises RuntimeError and leaves any
// previous file at `path` as it was.
void save(const StateDict& dict, const std::string& path, const std::map<std::string, std::string>& metadata = {});

// Reads a safetensors file into fresh CPU tensors, in the file's header order. Every part of the
// file is checked first; a truncated or corrupted file raises RuntimeError("load: <path>: ...").
// The "__metadata__" strings go to *metadata when given.
StateDict load(const std::string& path, std::map<std::string, std::string>* metadata = nullptr);

// Reads an IDX file (plain or gzip-compressed): uint8, int8, int16, int32, float32 or float64
// elements, big-endian in the file, with the file's dims as the tensor's shape.
Tensor read_idx(const std::string& path);

}  // namespace nabla
