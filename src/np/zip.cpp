#include "np/zip.hpp"

#ifdef NABLA_HAVE_ZLIB
#include <zlib.h>
#endif

#include <algorithm>
#include <cstring>
#include <optional>
#include <unordered_set>

#include "core/check.hpp"
#include "io/file.hpp"

namespace nabla::np::zip {
namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50, kCentralHeaderSig = 0x02014b50, kEndSig = 0x06054b50,
                   kZip64LocatorSig = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30, kCentralHeaderSize = 46, kEndSize = 22;
constexpr uint16_t kStored = 0, kDeflated = 8;
constexpr uint16_t kVersion = 20;     // 2.0: deflate
constexpr uint16_t kDosDate = 0x21;   // 1980-01-01, so an archive's bytes depend only on its contents
constexpr uint16_t kUtf8Flag = 0x800;
// Deflate cannot compress better than 1032:1; a member claiming more is hostile (a zip bomb).
constexpr uint64_t kMaxDeflateRatio = 1032;

void put16(std::string& s, uint32_t v) { s.push_back(char(v & 0xff)), s.push_back(char((v >> 8) & 0xff)); }
void put32(std::string& s, uint32_t v) { put16(s, v & 0xffff), put16(s, v >> 16); }
uint16_t get16(const unsigned char* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t get32(const unsigned char* p) { return uint32_t(get16(p)) | (uint32_t(get16(p + 2)) << 16); }

#ifdef NABLA_HAVE_ZLIB
uint32_t crc_of(const std::string& data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  for (size_t left = data.size(); left > 0;) {
    const uInt n = uInt(std::min<size_t>(left, 1u << 30));
    crc = crc32(crc, p, n);
    p += n, left -= n;
  }
  return uint32_t(crc);
}
#else
// A build without zlib: CRC-32 bit by bit (stored members only).
uint32_t crc_of(const std::string& data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}
#endif

bool is_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (unsigned char)c < 128; });
}

#ifdef NABLA_HAVE_ZLIB
std::string deflate_raw(const std::string& data, const char* op) {
  z_stream zs{};
  NB_CHECK(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK, RuntimeError, op,
           ": zlib's deflateInit2 failed");
  std::string out(deflateBound(&zs, uLong(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  const int r = deflate(&zs, Z_FINISH);
  const uLong produced = zs.total_out;
  deflateEnd(&zs);
  NB_CHECK(r == Z_STREAM_END, RuntimeError, op, ": zlib's deflate failed (", r, ")");
  out.resize(produced);
  return out;
}
#else
// A build without zlib writes and reads stored members only.
constexpr const char* kNoZlib =
    "nabla was built without zlib, so compressed .npz members cannot be written or read; use uncompressed "
    "archives (savez) or rebuild nabla with zlib";

std::string deflate_raw(const std::string&, const char* op) { fail<RuntimeError>(op, ": ", kNoZlib); }
#endif

}  // namespace

std::string Writer::add(const std::string& name, const std::string& data, bool compress) {
  NB_CHECK(data.size() < 0xffffffffu && offset_ < 0xffffffffu && entries_.size() < 0xffff, RuntimeError, op_,
           ": the archive would need ZIP64 (a member or the archive over 4 GiB, or 65535 members), which nabla does "
           "not write; save the arrays separately with np::save");
  const std::string payload = compress ? deflate_raw(data, op_) : std::string();
  const std::string& stored = compress ? payload : data;
  Entry e{name, crc_of(data), uint32_t(stored.size()), uint32_t(data.size()), uint32_t(offset_),
          compress ? kDeflated : kStored};
  std::string header;
  put32(header, kLocalHeaderSig);
  put16(header, kVersion);
  put16(header, is_ascii(name) ? 0 : kUtf8Flag);
  put16(header, e.method);
  put16(header, 0);
  put16(header, kDosDate);
  put32(header, e.crc);
  put32(header, e.compressed_size);
  put32(header, e.size);
  put16(header, uint32_t(name.size()));
  put16(header, 0);
  header += name;
  offset_ += header.size() + stored.size();
  entries_.push_back(std::move(e));
  return header + stored;
}

std::string Writer::finish() const {
  NB_CHECK(offset_ < 0xffffffffu, RuntimeError, op_, ": the archive would need ZIP64 (over 4 GiB), which nabla "
           "does not write; save the arrays separately with np::save");
  std::string cd;
  for (const Entry& e : entries_) {
    put32(cd, kCentralHeaderSig);
    put16(cd, kVersion);
    put16(cd, kVersion);
    put16(cd, is_ascii(e.name) ? 0 : kUtf8Flag);
    put16(cd, e.method);
    put16(cd, 0);
    put16(cd, kDosDate);
    put32(cd, e.crc);
    put32(cd, e.compressed_size);
    put32(cd, e.size);
    put16(cd, uint32_t(e.name.size()));
    put16(cd, 0);           // extra field
    put16(cd, 0);           // comment
    put16(cd, 0);           // disk
    put16(cd, 0);           // internal attributes
    put32(cd, 0644u << 16); // external attributes: a regular file, rw-r--r--
    put32(cd, e.offset);
    cd += e.name;
  }
  std::string end;
  put32(end, kEndSig);
  put16(end, 0);
  put16(end, 0);
  put16(end, uint32_t(entries_.size()));
  put16(end, uint32_t(entries_.size()));
  put32(end, uint32_t(cd.size()));
  put32(end, uint32_t(offset_));
  put16(end, 0);
  return cd + end;
}

bool looks_like_zip(const unsigned char* p) {
  return p[0] == 'P' && p[1] == 'K' && ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6));
}

namespace {

struct CentralEntry {
  std::string name;
  uint16_t flags, method;
  uint32_t crc, compressed_size, size, offset;
};

#ifdef NABLA_HAVE_ZLIB
std::string inflate_raw(const std::string& in, uint32_t size, const io::InputFile& file, const std::string& where) {
  z_stream zs{};
  if (inflateInit2(&zs, -15) != Z_OK) file.fail(where + "zlib's inflateInit2 failed");
  std::string out(size_t(size) + 1, '\0');  // one spare byte: output beyond `size` shows a lying header
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  const int r = inflate(&zs, Z_FINISH);
  const uLong produced = zs.total_out;
  const uInt unread = zs.avail_in;
  inflateEnd(&zs);
  if (r == Z_DATA_ERROR || r == Z_STREAM_ERROR || r == Z_MEM_ERROR) file.fail(where + "corrupt deflate data");
  if (r != Z_STREAM_END) file.fail(where + "the deflate stream ends early (truncated member)");
  if (produced != size)
    file.fail(where + "decompressed to " + std::to_string(produced) + " bytes, the directory says " + std::to_string(size));
  if (unread != 0) file.fail(where + std::to_string(unread) + " bytes after the end of the deflate stream");
  out.resize(size);
  return out;
}
#else
std::string inflate_raw(const std::string&, uint32_t, const io::InputFile& file, const std::string& where) {
  file.fail(where + kNoZlib);
}
#endif

std::vector<CentralEntry> read_directory(const io::InputFile& file, uint64_t& directory_offset) {
  const uint64_t size = file.size();
  if (size < kEndSize) file.fail("too short for a .npz (ZIP) archive (" + std::to_string(size) + " bytes)");
  const uint64_t tail = std::min<uint64_t>(size, 0xffff + kEndSize);
  std::string buf(size_t(tail), '\0');
  file.read_at(size - tail, buf.data(), buf.size());
  const auto* b = reinterpret_cast<const unsigned char*>(buf.data());
  // The end record is the last signature whose comment length reaches exactly to the end of the file.
  std::optional<size_t> end_at;
  for (size_t i = size_t(tail - kEndSize) + 1; i-- > 0;) {
    if (get32(b + i) == kEndSig && i + kEndSize + get16(b + i + 20) == tail) {
      end_at = i;
      break;
    }
  }
  if (!end_at) file.fail("no ZIP end-of-central-directory record (the archive is truncated or not a .npz file)");
  const unsigned char* e = b + *end_at;
  const uint64_t end_offset = size - tail + *end_at;
  const uint16_t disk = get16(e + 4), directory_disk = get16(e + 6), on_disk = get16(e + 8), count = get16(e + 10);
  const uint32_t directory_size = get32(e + 12);
  directory_offset = get32(e + 16);
  if (count == 0xffff || directory_size == 0xffffffffu || directory_offset == 0xffffffffu ||
      (end_offset >= 20 && *end_at >= 20 && get32(e - 20) == kZip64LocatorSig))
    file.fail("ZIP64 archives are not supported");
  if (disk != 0 || directory_disk != 0 || on_disk != count) file.fail("multi-disk ZIP archives are not supported");
  if (directory_offset + uint64_t(directory_size) > end_offset)
    file.fail("the ZIP central directory lies outside the file (truncated archive?)");

  std::string dir(directory_size, '\0');
  file.read_at(directory_offset, dir.data(), dir.size());
  const auto* d = reinterpret_cast<const unsigned char*>(dir.data());
  std::vector<CentralEntry> entries;
  size_t pos = 0;
  for (uint16_t i = 0; i < count; ++i) {
    if (pos + kCentralHeaderSize > dir.size() || get32(d + pos) != kCentralHeaderSig)
      file.fail("bad ZIP central directory entry " + std::to_string(i));
    const unsigned char* h = d + pos;
    CentralEntry c{{}, get16(h + 8), get16(h + 10), get32(h + 16), get32(h + 20), get32(h + 24), get32(h + 42)};
    const size_t name_len = get16(h + 28), extra_len = get16(h + 30), comment_len = get16(h + 32);
    if (pos + kCentralHeaderSize + name_len + extra_len + comment_len > dir.size())
      file.fail("bad ZIP central directory entry " + std::to_string(i) + " (runs past the directory)");
    c.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_len);
    if (c.compressed_size == 0xffffffffu || c.size == 0xffffffffu || c.offset == 0xffffffffu)
      file.fail("ZIP64 archives are not supported (member '" + c.name + "')");
    pos += kCentralHeaderSize + name_len + extra_len + comment_len;
    entries.push_back(std::move(c));
  }
  if (pos != dir.size()) file.fail("the ZIP central directory has " + std::to_string(dir.size() - pos) + " stray bytes");
  return entries;
}

}  // namespace

std::vector<Member> read_members(const io::InputFile& file) {
  uint64_t directory_offset = 0;
  const std::vector<CentralEntry> entries = read_directory(file, directory_offset);
  std::vector<Member> members;
  std::unordered_set<std::string> names;
  for (const CentralEntry& c : entries) {
    const std::string where = "member '" + c.name + "': ";
    if (!names.insert(c.name).second) file.fail(where + "appears twice in the archive");
    if (c.flags & 0x41) file.fail(where + "is encrypted");
    if (c.method != kStored && c.method != kDeflated)
      file.fail(where + "compression method " + std::to_string(c.method) + " is not supported (stored and deflate are)");
    if (uint64_t(c.offset) + kLocalHeaderSize > directory_offset) file.fail(where + "its local header lies outside the file");
    unsigned char local[kLocalHeaderSize];
    file.read_at(c.offset, local, sizeof local);
    if (get32(local) != kLocalHeaderSig) file.fail(where + "bad local header signature");
    const uint64_t name_len = get16(local + 26), extra_len = get16(local + 28);
    const uint64_t data_at = uint64_t(c.offset) + kLocalHeaderSize + name_len + extra_len;
    if (data_at + c.compressed_size > directory_offset) file.fail(where + "its data runs past the end of the members");
    std::string local_name(size_t(name_len), '\0');
    file.read_at(c.offset + kLocalHeaderSize, local_name.data(), local_name.size());
    if (local_name != c.name) file.fail(where + "the local header names it '" + local_name + "'");
    if (c.method == kStored && c.compressed_size != c.size)
      file.fail(where + "stored with " + std::to_string(c.compressed_size) + " bytes but " + std::to_string(c.size) + " declared");
    if (c.method == kDeflated && uint64_t(c.size) > uint64_t(c.compressed_size) * kMaxDeflateRatio + 64)
      file.fail(where + "declares " + std::to_string(c.size) + " bytes from " + std::to_string(c.compressed_size) +
                " compressed ones, more than deflate can produce");
    std::string raw(c.compressed_size, '\0');
    file.read_at(data_at, raw.data(), raw.size());
    std::string data = c.method == kStored ? std::move(raw) : inflate_raw(raw, c.size, file, where);
    if (crc_of(data) != c.crc) file.fail(where + "CRC-32 mismatch (the data is corrupted)");
    members.push_back({c.name, std::move(data)});
  }
  return members;
}

}  // namespace nabla::np::zip
