// read_idx of an IDX file, plain or gzip-compressed; a file that loads holds exactly its elements.
#include "fuzz_target.hpp"

NABLA_FUZZ_TARGET(idx) {
  nabla::Tensor t;
  try {
    t = nabla::read_idx(nabla_fuzz::scratch_file("idx", data, size));
  } catch (const nabla::Error&) {
    return;
  }
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  // Plain: 4 magic bytes, 4 per dim, then the elements, nothing after them.
  if (!gzip && 4 + 4 * size_t(t.dim()) + size_t(t.numel()) * nabla::itemsize(t.dtype()) != size)
    nabla_fuzz::finding("idx", "the tensor's size does not account for the file's bytes");
}
