#pragma once
// The ZIP container of .npz files (APPNOTE.TXT): local headers, central directory, end record, CRC-32
// and raw deflate from zlib. No ZIP64, encryption, or multi-disk archives: those are refused when read.
#include <cstdint>
#include <string>
#include <vector>

namespace nabla::io {
class InputFile;
}

namespace nabla::np::zip {

// Builds an archive in memory order: add members, then finish() appends the central directory.
class Writer {
 public:
  // `op` names the caller in errors ("savez").
  explicit Writer(const char* op) : op_(op) {}
  // The member's local header and (stored or deflated) data, to be written after the previous ones.
  std::string add(const std::string& name, const std::string& data, bool compress);
  std::string finish() const;

 private:
  struct Entry {
    std::string name;
    uint32_t crc, compressed_size, size, offset;
    uint16_t method;
  };
  const char* op_;
  std::vector<Entry> entries_;
  uint64_t offset_ = 0;
};

struct Member {
  std::string name;
  std::string data;  // uncompressed, CRC checked
};

bool looks_like_zip(const unsigned char* first4);
// Every member of the archive, in central directory order. Errors: RuntimeError("load: <path>: ...").
std::vector<Member> read_members(const io::InputFile& file);

}  // namespace nabla::np::zip
