#pragma once
// Page-locked host memory (pinned.cpp).
#include <cstddef>

#include "nabla/core/storage.hpp"

namespace nabla::cuda {

// A CPU storage in page-locked memory.
Storage allocate_pinned(size_t nbytes);
// Whether `ptr` lies in page-locked memory that CUDA knows.
bool is_pinned(const void* ptr);

}  // namespace nabla::cuda
