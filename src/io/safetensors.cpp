// save/load of state dicts in the safetensors format: an 8-byte little-endian header length, a JSON
// header ({"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., and an
// optional "__metadata__" map of strings}), then the tensors' bytes, little-endian, back to back.
#include <algorithm>
#include <bit>
#include <numeric>
#include <tuple>

#include "core/check.hpp"
#include "io/file.hpp"
#include "io/json.hpp"
#include "nabla/creation.hpp"
#include "nabla/io.hpp"

namespace nabla {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; add byte swapping");

// Indexed by DType.
constexpr std::string_view kDTypeCodes[kNumDTypes] = {"BOOL", "U8", "I8", "I16", "I32", "I64", "U16",
                                                      "U32",  "U64", "F16", "BF16", "F32", "F64"};
constexpr std::string_view kMetadataKey = "__metadata__";
// safetensors' own limit: a larger header is taken as a corrupted length.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

void append_uint(std::string& out, uint64_t v) { out += std::to_string(v); }

void append_tensor_entry(std::string& out, const std::string& name, const Tensor& t, uint64_t begin) {
  io::append_json_string(out, name);
  out += ":{\"dtype\":\"";
  out += kDTypeCodes[int(t.dtype())];
  out += "\",\"shape\":[";
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (d) out += ',';
    append_uint(out, uint64_t(t.size(d)));
  }
  out += "],\"data_offsets\":[";
  append_uint(out, begin);
  out += ',';
  append_uint(out, begin + t.nbytes());
  out += "]}";
}

void append_metadata(std::string& out, const std::map<std::string, std::string>& metadata) {
  io::append_json_string(out, kMetadataKey);
  out += ":{";
  bool first = true;
  for (const auto& [key, value] : metadata) {
    if (!first) out += ',';
    first = false;
    io::append_json_string(out, key);
    out += ':';
    io::append_json_string(out, value);
  }
  out += '}';
}

void check_utf8(std::string_view s, const char* what) {
  NB_CHECK(io::is_valid_utf8(s), ValueError, "save: the ", what, " '", s,
           "' is not valid UTF-8, which the JSON header of a safetensors file requires");
}

// One tensor's header entry, checked.
struct TensorSpec {
  const std::string* name;
  DType dtype;
  DimVector shape;
  uint64_t begin, end;
};

class HeaderReader {
 public:
  HeaderReader(const io::InputFile& file, uint64_t data_bytes) : file_(file), data_bytes_(data_bytes) {}

  [[noreturn]] void fail_tensor(const std::string& name, const std::string& what) const {
    file_.fail("tensor '" + name + "': " + what);
  }

  TensorSpec read_tensor(const std::string& name, const io::JsonValue& entry) const {
    using Kind = io::JsonValue::Kind;
    if (entry.kind != Kind::kObject) fail_tensor(name, "the header entry is a " + std::string(entry.kind_name()) + ", not an object");
    TensorSpec spec{&name, kFloat32, {}, 0, 0};

    const io::JsonValue* dtype = entry.find("dtype");
    if (!dtype || dtype->kind != Kind::kString) fail_tensor(name, "no \"dtype\" string");
    auto code = std::find(std::begin(kDTypeCodes), std::end(kDTypeCodes), dtype->text);
    if (code == std::end(kDTypeCodes))
      fail_tensor(name, "unsupported dtype \"" + dtype->text + "\" (nabla reads BOOL, U8, I8, I16, I32, I64, U16, U32, U64, F16, BF16, F32, F64)");
    spec.dtype = DType(code - std::begin(kDTypeCodes));

    const io::JsonValue* shape = entry.find("shape");
    if (!shape || shape->kind != Kind::kArray) fail_tensor(name, "no \"shape\" array");
    uint64_t nbytes = itemsize(spec.dtype);
    for (const io::JsonValue& dim : shape->items) {
      const std::optional<uint64_t> size = dim.as_uint64();
      if (!size || *size > uint64_t(INT64_MAX))
        fail_tensor(name, "shape entries must be non-negative integers, got " + (dim.kind == Kind::kNumber ? dim.text : std::string(dim.kind_name())));
      if (__builtin_mul_overflow(nbytes, *size, &nbytes)) fail_tensor(name, "the shape's size overflows 64 bits");
      spec.shape.push_back(int64_t(*size));
    }

    const io::JsonValue* offsets = entry.find("data_offsets");
    if (!offsets || offsets->kind != Kind::kArray || offsets->items.size() != 2)
      fail_tensor(name, "no \"data_offsets\" array of two integers");
    const std::optional<uint64_t> begin = offsets->items[0].as_uint64(), end = offsets->items[1].as_uint64();
    if (!begin || !end) fail_tensor(name, "data_offsets must be non-negative integers");
    if (*begin > *end || *end > data_bytes_)
      fail_tensor(name, "data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) + "] are not a range within the " +
                            std::to_string(data_bytes_) + " bytes of data");
    if (*end - *begin != nbytes)
      fail_tensor(name, "data_offsets [" + std::to_string(*begin) + ", " + std::to_string(*end) + "] span " +
                            std::to_string(*end - *begin) + " bytes, but its dtype and shape need " + std::to_string(nbytes));
    spec.begin = *begin;
    spec.end = *end;
    return spec;
  }

  void read_metadata(const io::JsonValue& value, std::map<std::string, std::string>* out) const {
    if (value.kind != io::JsonValue::Kind::kObject) file_.fail("\"__metadata__\" must be an object of strings");
    for (const auto& [key, v] : value.members) {
      if (v.kind != io::JsonValue::Kind::kString) file_.fail("\"__metadata__\" entry '" + key + "' is a " + std::string(v.kind_name()) + ", not a string");
      if (out) (*out)[key] = v.text;
    }
  }

  // The tensors must tile the data exactly, as safetensors requires: no overlaps, gaps or leftovers.
  void check_layout(std::vector<const TensorSpec*> specs) const {
    std::sort(specs.begin(), specs.end(),
              [](const TensorSpec* a, const TensorSpec* b) { return std::tie(a->begin, a->end) < std::tie(b->begin, b->end); });
    uint64_t covered = 0;
    const TensorSpec* previous = nullptr;
    for (const TensorSpec* s : specs) {
      if (s->begin < covered)
        fail_tensor(*s->name, "its data overlaps that of tensor '" + *previous->name + "'");
      if (s->begin > covered)
        fail_tensor(*s->name, "a gap of " + std::to_string(s->begin - covered) + " bytes precedes its data");
      covered = s->end;
      previous = s;
    }
    if (covered != data_bytes_)
      file_.fail(std::to_string(data_bytes_ - covered) + " bytes at the end of the file belong to no tensor");
  }

 private:
  const io::InputFile& file_;
  uint64_t data_bytes_;
};

}  // namespace

void save(const StateDict& dict, const std::string& path, const std::map<std::string, std::string>& metadata) {
  std::vector<Tensor> data;
  data.reserve(dict.size());
  for (const auto& [name, t] : dict) {
    NB_CHECK(t.defined(), ValueError, "save: the tensor '", name, "' is undefined");
    NB_CHECK(name != kMetadataKey, ValueError, "save: the name '__metadata__' is reserved by the safetensors format; rename that tensor");
    check_utf8(name, "tensor name");
    data.push_back(t.cpu().contiguous());
  }
  for (const auto& [key, value] : metadata) {
    check_utf8(key, "metadata key");
    check_utf8(value, "metadata value");
  }

  // Larger elements first: with the data section starting 8-aligned, every tensor then starts at
  // a multiple of its element size, as safetensors' own writer arranges.
  std::vector<size_t> order(data.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return data[a].element_size() > data[b].element_size(); });
  std::vector<uint64_t> begins(data.size());
  uint64_t offset = 0;
  for (size_t i : order) {
    begins[i] = offset;
    offset += data[i].nbytes();
  }

  std::string header = "{";
  if (!metadata.empty()) append_metadata(header, metadata);
  size_t i = 0;
  for (const auto& [name, t] : dict) {
    if (header.size() > 1) header += ',';
    append_tensor_entry(header, name, data[i], begins[i]);
    ++i;
  }
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');

  io::AtomicFileWriter out(path, "save");
  uint8_t length[8];
  for (int b = 0; b < 8; ++b) length[b] = uint8_t(uint64_t(header.size()) >> (8 * b));
  out.write(length, sizeof length);
  out.write(header.data(), header.size());
  for (size_t k : order) out.write(data[k].data_ptr(), data[k].nbytes());
  out.commit();
}

StateDict load(const std::string& path, std::map<std::string, std::string>* metadata) {
  io::InputFile file(path, "load");
  if (file.size() < 8)
    file.fail("the file has " + std::to_string(file.size()) + " bytes, too few for a safetensors file (truncated?)");
  uint8_t length_bytes[8];
  file.read_at(0, length_bytes, 8);
  uint64_t header_bytes = 0;
  for (int b = 0; b < 8; ++b) header_bytes |= uint64_t(length_bytes[b]) << (8 * b);
  if (header_bytes > file.size() - 8)
    file.fail("the header length " + std::to_string(header_bytes) + " exceeds the " + std::to_string(file.size() - 8) +
              " bytes that follow it (truncated or not a safetensors file)");
  if (header_bytes > kMaxHeaderBytes)
    file.fail("the header length " + std::to_string(header_bytes) + " exceeds safetensors' limit of 100 MB");

  std::string header(header_bytes, '\0');
  file.read_at(8, header.data(), header.size());
  io::JsonValue root;
  try {
    root = io::parse_json(header);
  } catch (const io::JsonError& e) {
    file.fail(std::string("the header is not valid JSON: ") + e.what());
  }
  if (root.kind != io::JsonValue::Kind::kObject)
    file.fail("the header is a JSON " + std::string(root.kind_name()) + ", not an object");

  const uint64_t data_start = 8 + header_bytes;
  HeaderReader reader(file, file.size() - data_start);
  std::vector<TensorSpec> specs;
  if (metadata) metadata->clear();
  for (const auto& [name, entry] : root.members) {
    if (name == kMetadataKey) reader.read_metadata(entry, metadata);
    else specs.push_back(reader.read_tensor(name, entry));
  }
  std::vector<const TensorSpec*> layout;
  for (const TensorSpec& s : specs) layout.push_back(&s);
  reader.check_layout(std::move(layout));

  StateDict dict;
  for (const TensorSpec& s : specs) {
    Tensor t = empty(s.shape, s.dtype);
    file.read_at(data_start + s.begin, t.data_ptr(), t.nbytes());
    if (s.dtype == kBool) {
      // Any byte other than 0 and 1 would be an invalid bool in memory.
      auto* bytes = static_cast<uint8_t*>(t.data_ptr());
      for (size_t k = 0; k < t.nbytes(); ++k) bytes[k] = bytes[k] != 0;
    }
    dict.insert(*s.name, std::move(t));
  }
  return dict;
}

}  // namespace nabla
