#pragma once
// The .npy image of one array (numpy/lib/format.py): "\x93NUMPY", a version, a header length, a Python
// dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } padded to 64 bytes, the data.
#include <cstdint>
#include <functional>
#include <string>

#include "nabla/np/ndarray.hpp"

namespace nabla::np {

// Where the bytes of an image come from (a file, or a member of a .npz archive). Errors are RuntimeErrors
// starting with `context` ("load: <path>: ", plus the member's name inside an archive).
class ByteSource {
 public:
  explicit ByteSource(std::string context) : context_(std::move(context)) {}
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Exactly n bytes at offset; the caller checks that they lie within size().
  virtual void read(uint64_t offset, void* dst, size_t n) const = 0;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string context_;
};

// A source over bytes in memory.
class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string context, const std::string& bytes) : ByteSource(std::move(context)), bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  void read(uint64_t offset, void* dst, size_t n) const override;

 private:
  const std::string& bytes_;
};

inline constexpr char kNpyMagic[] = "\x93NUMPY";
inline constexpr size_t kNpyMagicLen = 6;

// Writes the image of `a` through `write(data, nbytes)`: the same bytes as NumPy's np.save.
void write_npy(const ndarray& a, const std::function<void(const void*, size_t)>& write);
// Reads and checks an image; every inconsistency is reported through src.fail().
ndarray read_npy(const ByteSource& src);

}  // namespace nabla::np
