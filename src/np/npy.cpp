#include "np/npy.hpp"

#include <bit>
#include <cstring>
#include <optional>
#include <string_view>

#include <algorithm>

#include "np/common.hpp"

namespace nabla::np {

static_assert(std::endian::native == std::endian::little, ".npy files are written little-endian; add byte swapping");

void ByteSource::fail(const std::string& what) const { nabla::fail<RuntimeError>(context_, what); }

void MemorySource::read(uint64_t offset, void* dst, size_t n) const {
  if (n) std::memcpy(dst, bytes_.data() + offset, n);
}

namespace {

constexpr size_t kArrayAlign = 64;          // numpy.lib.format.ARRAY_ALIGN
constexpr size_t kGrowthAxisMaxDigits = 21;  // numpy.lib.format.GROWTH_AXIS_MAX_DIGITS

// NumPy's type codes, indexed by DType ('\0' for bfloat16, which NumPy lacks).
constexpr char kKindCodes[kNumDTypes] = {'b', 'u', 'i', 'i', 'i', 'i', 'u', 'u', 'u', 'f', '\0', 'f', 'f'};

std::string descr_of(DType d) {
  return std::string(1, itemsize(d) == 1 ? '|' : '<') + kKindCodes[int(d)] + std::to_string(itemsize(d));
}

void append_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
}

// format._wrap_header: magic, version, length, then the header padded with spaces and a newline so the data
// starts on a 64-byte boundary. Version 1.0 holds headers up to 65535 bytes, 2.0 the rest.
std::string wrap_header(const std::string& header) {
  const size_t hlen = header.size() + 1;
  for (int major = 1; major <= 2; ++major) {
    const size_t length_bytes = major == 1 ? 2 : 4;
    const size_t pad = kArrayAlign - ((kNpyMagicLen + 2 + length_bytes + hlen) % kArrayAlign);
    if (major == 1 && hlen + pad > 0xffff) continue;
    std::string out(kNpyMagic, kNpyMagicLen);
    out.push_back(char(major));
    out.push_back(0);
    append_le(out, hlen + pad, int(length_bytes));
    return out + header + std::string(pad, ' ') + "\n";
  }
  return {};
}

}  // namespace

void write_npy(const ndarray& a, const std::function<void(const void*, size_t)>& write) {
  const bool fortran = !a.c_contiguous() && a.f_contiguous();
  const ndarray data = a.c_contiguous() || fortran ? a : a.copy();
  std::string header = "{'descr': '" + descr_of(a.dtype()) + "', 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': " + tuple_repr(a.shape()) + ", }";
  if (a.ndim() > 0) {
    const size_t growth_digits = std::to_string(a.shape()[fortran ? a.ndim() - 1 : 0]).size();
    header.append(kGrowthAxisMaxDigits - growth_digits, ' ');
  }
  const std::string prefix = wrap_header(header);
  write(prefix.data(), prefix.size());
  if (data.nbytes()) write(data.data(), size_t(data.nbytes()));
}

namespace {

// A strict parser for the header's dict literal: exactly the keys 'descr' (a string), 'fortran_order'
// (True or False) and 'shape' (a tuple of non-negative ints), in any order, with Python's spacing and
// trailing commas. Anything else is an error: the header is never evaluated.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const ByteSource& src) : s_(text), src_(src) {}

  struct Header {
    std::string descr;
    bool fortran_order = false;
    DimVector shape;
  };

  Header parse() {
    Header h;
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string_literal();
      expect(':');
      auto once = [&](bool& seen) {
        if (seen) fail("the key '" + key + "' appears twice");
        seen = true;
      };
      if (key == "descr") once(has_descr), h.descr = string_literal();
      else if (key == "fortran_order") once(has_order), h.fortran_order = boolean();
      else if (key == "shape") once(has_shape), h.shape = tuple();
      else fail("unexpected key '" + key + "' (a .npy header has 'descr', 'fortran_order' and 'shape')");
      if (!peek('}')) expect(',');
    }
    expect('}');
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the header's closing brace");
    if (!has_descr || !has_order || !has_shape) fail("the header lacks one of 'descr', 'fortran_order', 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    src_.fail("bad .npy header (" + what + " at offset " + std::to_string(pos_) + "): " + printable());
  }
  std::string printable() const {
    std::string out;
    for (char c : s_.substr(0, 200)) out += (c >= 32 && c < 127) ? c : '?';
    return out;
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("expected a string");
    const char quote = s_[pos_++];
    const size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string v(s_.substr(pos_, end - pos_));
    for (char c : v)
      if (c == '\\' || c < 32 || c > 126) fail("unsupported character in a string");
    pos_ = end + 1;
    return v;
  }
  bool boolean() {
    skip_space();
    for (const auto& [word, value] : {std::pair{std::string_view("True"), true}, {std::string_view("False"), false}}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    fail("expected True or False");
  }
  int64_t integer() {
    skip_space();
    int64_t v = 0;
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (v > (int64_t(1) << 56)) fail("a dimension is too large");
      v = v * 10 + (s_[pos_++] - '0');
    }
    if (pos_ == start) fail("expected a non-negative integer");
    if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2's long literal, as written by old NumPy
    return v;
  }
  DimVector tuple() {
    expect('(');
    DimVector dims;
    while (!peek(')')) {
      dims.push_back(integer());
      if (peek(')')) {
        if (dims.size() == 1) fail("a one-element tuple needs a trailing comma");
        break;
      }
      expect(',');
    }
    expect(')');
    return dims;
  }

  std::string_view s_;
  const ByteSource& src_;
  size_t pos_ = 0;
};

// The dtype and byte order of a descr such as '<f8', '|b1', '>i2' or '?'.
std::pair<DType, bool> parse_descr(const std::string& descr, const ByteSource& src) {
  if (descr == "?" || descr == "|?") return {kBool, false};
  std::string_view d = descr;
  char order = '=';
  if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) order = d[0], d.remove_prefix(1);
  for (int i = 0; i < kNumDTypes; ++i) {
    const DType t = DType(i);
    if (kKindCodes[i] != '\0' && d.size() >= 2 && d[0] == kKindCodes[i] && d.substr(1) == std::to_string(itemsize(t)))
      return {t, order == '>' && itemsize(t) > 1};
  }
  src.fail("unsupported dtype '" + descr + "' in the .npy header (nabla reads bool, int8-64, uint8-64, float16-64)");
}

void byte_swap(void* data, int64_t count, size_t width) {
  auto* p = static_cast<unsigned char*>(data);
  for (int64_t i = 0; i < count; ++i, p += width)
    for (size_t j = 0; j < width / 2; ++j) std::swap(p[j], p[width - 1 - j]);
}

}  // namespace

ndarray read_npy(const ByteSource& src) {
  const uint64_t size = src.size();
  unsigned char prefix[12];
  if (size < kNpyMagicLen + 4) src.fail("too short for a .npy file (" + std::to_string(size) + " bytes)");
  src.read(0, prefix, kNpyMagicLen + 4);
  if (std::memcmp(prefix, kNpyMagic, kNpyMagicLen) != 0) src.fail("not a .npy file (bad magic bytes)");
  const int major = prefix[6], minor = prefix[7];
  if (minor != 0 || major < 1 || major > 3)
    src.fail("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  const size_t length_bytes = major == 1 ? 2 : 4;
  if (size < kNpyMagicLen + 2 + length_bytes) src.fail("truncated .npy header");
  src.read(kNpyMagicLen + 2, prefix + 8, length_bytes);
  uint64_t header_len = 0;
  for (size_t i = 0; i < length_bytes; ++i) header_len |= uint64_t(prefix[8 + i]) << (8 * i);
  const uint64_t data_offset = kNpyMagicLen + 2 + length_bytes + header_len;
  if (data_offset > size)
    src.fail("truncated .npy header (it claims " + std::to_string(header_len) + " bytes, the file has " +
             std::to_string(size - (data_offset - header_len)) + " left)");
  std::string header(header_len, '\0');
  src.read(data_offset - header_len, header.data(), header.size());
  const HeaderParser::Header h = HeaderParser(header, src).parse();
  const auto [dtype, swap] = parse_descr(h.descr, src);

  uint64_t count = 1;
  for (int64_t d : h.shape) {
    if (d != 0 && count > (uint64_t(1) << 62) / uint64_t(d)) src.fail("the shape " + tuple_repr(h.shape) + " is too large");
    count *= uint64_t(d);
  }
  const uint64_t nbytes = count * itemsize(dtype);
  if (nbytes > size - data_offset)
    src.fail("truncated .npy data: shape " + tuple_repr(h.shape) + " of " + std::string(dtype_name(dtype)) + " needs " +
             std::to_string(nbytes) + " bytes, the file has " + std::to_string(size - data_offset));
  if (nbytes < size - data_offset)
    src.fail(std::to_string(size - data_offset - nbytes) + " unexpected bytes after the array data");

  // Fortran order: the data is the C-order array of the reversed shape, transposed.
  DimVector stored = h.shape;
  if (h.fortran_order) std::reverse(stored.begin(), stored.end());
  ndarray out = empty(stored, dtype);
  if (nbytes) src.read(data_offset, out.data(), size_t(nbytes));
  if (swap) byte_swap(out.data(), int64_t(count), itemsize(dtype));
  if (dtype == kBool) {  // any other byte would not be a valid C++ bool
    auto* p = static_cast<unsigned char*>(out.data());
    for (uint64_t i = 0; i < count; ++i) p[i] = p[i] != 0;
  }
  return h.fortran_order ? out.transpose() : out;
}

}  // namespace nabla::np
