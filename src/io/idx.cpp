// IDX files (the format of MNIST and Fashion-MNIST): bytes 0 and 1 zero, byte 2 the element type,
// byte 3 the number of dims; then each dim as a big-endian uint32; then the elements, big-endian.
// zlib reads gzip-compressed and plain files alike; a build without zlib reads plain files only.
#include <sys/stat.h>
#ifdef NABLA_HAVE_ZLIB
#include <zlib.h>
#endif

#include <cstdio>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/check.hpp"
#include "io/file.hpp"
#include "nabla/creation.hpp"
#include "nabla/io.hpp"

namespace nabla {
namespace {

constexpr const char* kOp = "read_idx";
// Deflate cannot compress better than about 1032:1, so a header that declares more data than
// that bounds the compressed file to is corrupt; checking first avoids a huge allocation.
constexpr uint64_t kMaxDeflateRatio = 1032;

std::optional<DType> idx_dtype(uint8_t code) {
  switch (code) {
    case 0x08: return kUInt8;
    case 0x09: return kInt8;
    case 0x0B: return kInt16;
    case 0x0C: return kInt32;
    case 0x0D: return kFloat32;
    case 0x0E: return kFloat64;
    default: return std::nullopt;
  }
}

class GzipReader {
 public:
  explicit GzipReader(const std::string& path) : path_(path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) io::fail_with_errno(kOp, path, "cannot open", errno);
    if (!S_ISREG(st.st_mode)) fail("not a regular file");
    file_bytes_ = uint64_t(st.st_size);
    errno = 0;
#ifdef NABLA_HAVE_ZLIB
    gz_ = gzopen(path.c_str(), "rb");
    if (!gz_) io::fail_with_errno(kOp, path, "cannot open", errno ? errno : ENOMEM);
    gzbuffer(gz_, 1 << 17);
#else
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) io::fail_with_errno(kOp, path, "cannot open", errno ? errno : ENOMEM);
    unsigned char magic[2] = {0, 0};
    const bool gzip = std::fread(magic, 1, 2, file_) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    std::rewind(file_);
    if (gzip) {
      std::fclose(file_);
      fail("the file is gzip-compressed, but nabla was built without zlib: gunzip it first, or rebuild nabla with zlib");
    }
#endif
  }
#ifdef NABLA_HAVE_ZLIB
  ~GzipReader() { gzclose(gz_); }
#else
  ~GzipReader() { std::fclose(file_); }
#endif
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  [[noreturn]] void fail(const std::string& what) const { nabla::fail<RuntimeError>(kOp, ": ", path_, ": ", what); }

  // Reads up to n bytes; stops early only at the end of the data. Corrupt compressed data is an error.
  uint64_t read(void* data, uint64_t n) {
    auto* p = static_cast<char*>(data);
    uint64_t done = 0;
    while (done < n) {
      const unsigned chunk = unsigned(std::min<uint64_t>(n - done, 1u << 30));
#ifdef NABLA_HAVE_ZLIB
      const int got = gzread(gz_, p + done, chunk);
      if (got < 0) fail_stream();
#else
      const size_t got = std::fread(p + done, 1, chunk, file_);
      if (got < chunk && std::ferror(file_)) io::fail_with_errno(kOp, path_, "read failed", errno);
#endif
      if (got == 0) break;
      done += uint64_t(got);
    }
#ifdef NABLA_HAVE_ZLIB
    // A truncated stream may end a read early with the error only recorded.
    int code = Z_OK;
    gzerror(gz_, &code);
    if (code != Z_OK) fail_stream();
#endif
    return done;
  }

  void read_exactly(void* data, uint64_t n, const char* what) {
    const uint64_t got = read(data, n);
    if (got < n) fail(std::string("the file ends inside the ") + what + " (" + std::to_string(got) + " of " + std::to_string(n) + " bytes)");
  }

#ifdef NABLA_HAVE_ZLIB
  bool compressed() { return gzdirect(gz_) == 0; }
#else
  bool compressed() { return false; }
#endif
  uint64_t file_bytes() const { return file_bytes_; }

 private:
#ifdef NABLA_HAVE_ZLIB
  [[noreturn]] void fail_stream() {
    int code = Z_OK;
    const char* message = gzerror(gz_, &code);
    if (code == Z_ERRNO) io::fail_with_errno(kOp, path_, "read failed", errno);
    fail(std::string("corrupt gzip data: ") + message);
  }

  gzFile gz_ = nullptr;
#else
  std::FILE* file_ = nullptr;
#endif
  std::string path_;
  uint64_t file_bytes_ = 0;
};

template <typename U>
U byteswap(U v) {
  if constexpr (sizeof(U) == 2) return __builtin_bswap16(v);
  else if constexpr (sizeof(U) == 4) return __builtin_bswap32(v);
  else return __builtin_bswap64(v);
}

template <typename U>
void swap_bytes(void* data, int64_t n) {
  auto* p = static_cast<U*>(data);
  for (int64_t i = 0; i < n; ++i) p[i] = byteswap(p[i]);
}

}  // namespace

Tensor read_idx(const std::string& path) {
  GzipReader in(path);
  uint8_t magic[4];
  in.read_exactly(magic, 4, "4-byte IDX header");
  if (magic[0] != 0 || magic[1] != 0)
    in.fail("not an IDX file: its first two bytes are " + std::to_string(magic[0]) + " and " + std::to_string(magic[1]) +
            ", not zero");
  const std::optional<DType> dtype = idx_dtype(magic[2]);
  if (!dtype)
    in.fail("unknown IDX element type " + std::to_string(magic[2]) +
            " (expected 8 uint8, 9 int8, 11 int16, 12 int32, 13 float32 or 14 float64)");
  const int ndim = magic[3];
  std::vector<uint8_t> dim_bytes(size_t(ndim) * 4);
  in.read_exactly(dim_bytes.data(), dim_bytes.size(), "IDX dims");

  DimVector sizes;
  uint64_t nbytes = itemsize(*dtype);
  for (int d = 0; d < ndim; ++d) {
    const uint8_t* b = &dim_bytes[size_t(d) * 4];
    const uint64_t size = uint64_t(b[0]) << 24 | uint64_t(b[1]) << 16 | uint64_t(b[2]) << 8 | b[3];
    if (__builtin_mul_overflow(nbytes, size, &nbytes)) in.fail("the dims' product overflows 64 bits");
    sizes.push_back(int64_t(size));
  }
  const uint64_t header_bytes = 4 + dim_bytes.size();
  const std::string declared = "the header declares " + shape_str(sizes) + " " + std::string(dtype_name(*dtype)) +
                               " elements (" + std::to_string(nbytes) + " bytes)";
  if (!in.compressed() && in.file_bytes() != header_bytes + nbytes)
    in.fail(declared + " but " + std::to_string(in.file_bytes() - header_bytes) + " bytes follow the header");
  if (in.compressed() && nbytes / kMaxDeflateRatio > in.file_bytes())
    in.fail(declared + ", more than a gzip file of " + std::to_string(in.file_bytes()) + " bytes can hold");

  Tensor t = empty(sizes, *dtype);
  const uint64_t got = in.read(t.data_ptr(), nbytes);
  if (got < nbytes) in.fail(declared + " but the data ends after " + std::to_string(got) + " bytes (truncated file?)");
  char extra;
  if (in.read(&extra, 1) != 0) in.fail(declared + " but more data follows them");

  switch (itemsize(*dtype)) {
    case 2: swap_bytes<uint16_t>(t.data_ptr(), t.numel()); break;
    case 4: swap_bytes<uint32_t>(t.data_ptr(), t.numel()); break;
    case 8: swap_bytes<uint64_t>(t.data_ptr(), t.numel()); break;
    default: break;
  }
  return t;
}

}  // namespace nabla
