// Checkpoints (safetensors) and IDX files: round trips, files written and read by an independent
// Python implementation of each format, and every kind of damaged file raising RuntimeError.
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "nabla/io.hpp"
#include "oracle.hpp"
#include "test_support.hpp"

namespace nb = nabla;
using test_support::read_bytes;
using test_support::write_bytes;
using test_support::raises;
using test_support::same_bits;
namespace fs = std::filesystem;

namespace {

class IoFiles : public test_support::TempDirTest {
 protected:
  std::vector<std::string> listing() const { return test_support::listing(dir_); }
};
using IoSafetensors = IoFiles;
using IoIdx = IoFiles;



// A state dict with every dtype, a 0-d, an empty and a non-contiguous tensor.
nb::StateDict sample_dict() {
  nb::StateDict dict;
  for (int i = 0; i < nb::kNumDTypes; ++i) {
    const nb::DType d = nb::DType(i);
    dict.insert(std::string("t_") + std::string(nb::dtype_name(d)), oracle::random_tensor({2, 3}, d, 100 + i, -100, 100));
  }
  dict.insert("scalar", nb::tensor(2.5));
  dict.insert("empty", nb::zeros({0, 3}, nb::kInt16));
  dict.insert("layer.0.weight", oracle::strided_copy(oracle::random_tensor({3, 4}, nb::kFloat32, 7), 2));
  dict.insert("odd \"name\"\n\u00e9", nb::tensor({1, 2, 3}, nb::kInt8));
  return dict;
}

// An independent reader of safetensors files (struct, json, numpy), checking the layout rules that
// safetensors itself enforces; the result is the tensors in header order, as torch tensors or, for
// uint16/32/64, NumPy arrays.
const char* kPythonReader = R"(
import json, struct
raw = open(PATH, 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
assert n % 8 == 0, 'header not padded to 8 bytes'
header = json.loads(raw[8:8 + n])
meta = header.pop('__metadata__', {})
assert meta == META, meta
data = raw[8 + n:]
NP = {'BOOL': np.bool_, 'U8': np.uint8, 'I8': np.int8, 'I16': np.int16, 'I32': np.int32, 'I64': np.int64,
      'U16': np.uint16, 'U32': np.uint32, 'U64': np.uint64, 'F16': np.float16, 'BF16': np.int16,
      'F32': np.float32, 'F64': np.float64}
spans = sorted(tuple(v['data_offsets']) for v in header.values())
end = 0
for b, e in spans:
    assert b == end, 'gap or overlap'
    end = e
assert end == len(data), 'data not covered exactly'
result = []
for name, info in header.items():
    b, e = info['data_offsets']
    dt = np.dtype(NP[info['dtype']])
    assert (8 + n + b) % dt.itemsize == 0, 'misaligned ' + name
    arr = np.frombuffer(data[b:e], dtype=dt).reshape(info['shape']).copy()
    if info['dtype'] == 'BF16':
        t = torch.from_numpy(arr).view(torch.bfloat16)
    elif info['dtype'] in ('U16', 'U32', 'U64'):
        t = arr
    else:
        t = torch.from_numpy(arr)
    result.append(t)
result.append(torch.tensor([ord(c) for c in json.dumps(list(header.keys()))]))
)";

}  // namespace

TEST_F(IoSafetensors, RoundTripsEveryDtypeAndMetadata) {
  const nb::StateDict dict = sample_dict();
  const std::map<std::string, std::string> meta = {{"format", "pt"}, {"epoch", "3"}, {"note", "quote \" and \\ and \x01"}};
  nb::save(dict, path("a.safetensors"), meta);
  std::map<std::string, std::string> meta_back = {{"stale", "x"}};
  const nb::StateDict back = nb::load(path("a.safetensors"), &meta_back);
  EXPECT_EQ(back.keys(), dict.keys());
  for (const auto& [name, t] : dict) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(same_bits(back.at(name), t));
    EXPECT_TRUE(back.at(name).is_contiguous());
  }
  EXPECT_EQ(meta_back, meta);
  // Saving over an existing file replaces it; no temporary file stays behind.
  nb::StateDict small;
  small.insert("only", nb::arange(4));
  nb::save(small, path("a.safetensors"));
  EXPECT_EQ(nb::load(path("a.safetensors"), &meta_back).keys(), std::vector<std::string>{"only"});
  EXPECT_TRUE(meta_back.empty());
  EXPECT_EQ(listing(), std::vector<std::string>{"a.safetensors"});
  // An empty dict is a valid file too.
  nb::save(nb::StateDict(), path("empty.safetensors"));
  EXPECT_TRUE(nb::load(path("empty.safetensors")).empty());
}

TEST_F(IoSafetensors, FileReadsInPython) {
  const nb::StateDict dict = sample_dict();
  nb::save(dict, path("a.safetensors"), {{"k", "v\u00e9"}});
  const oracle::Result r =
      oracle::exec("PATH = '" + path("a.safetensors") + "'\nMETA = {'k': 'v\\u00e9'}\n" + kPythonReader);
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  ASSERT_EQ(r.outputs.size(), dict.size() + 1);
  // Header keys in the state dict's order, spelled as json.dumps writes them.
  std::string keys;
  for (int64_t i = 0; i < r.outputs.back().numel(); ++i) keys += char(r.outputs.back()[i].item<int64_t>());
  EXPECT_EQ(keys, R"(["t_bool", "t_uint8", "t_int8", "t_int16", "t_int32", "t_int64", "t_uint16", "t_uint32", )"
                  R"("t_uint64", "t_float16", "t_bfloat16", "t_float32", "t_float64", "scalar", "empty", )"
                  R"("layer.0.weight", "odd \"name\"\n\u00e9"])");
  size_t i = 0;
  for (const auto& [name, t] : dict) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(same_bits(r.outputs[i++], t));
  }
}

TEST_F(IoSafetensors, LoadsPythonWrittenFile) {
  // A hand-rolled writer: unpadded header (so the data is unaligned), keys in no particular order.
  const std::string file = path("py.safetensors");
  const oracle::Result w = oracle::exec("PATH = '" + file + "'\n" + R"(
import json, struct
tensors = {
    'z.bias': torch.tensor([1.5, -2.25, 1e30], dtype=torch.float32),
    'a.mask': torch.tensor([[True, False], [False, True]]),
    'half': torch.tensor([0.1, 65504.0, -0.0], dtype=torch.float16),
    'bf': torch.tensor([3.14159, -1e20], dtype=torch.bfloat16),
    'ids': torch.arange(-3, 3, dtype=torch.int64).reshape(2, 3),
    'i16': torch.tensor([-32768, 32767], dtype=torch.int16),
    'u8': torch.tensor([0, 255, 7], dtype=torch.uint8),
    'zero_d': torch.tensor(-7.0, dtype=torch.float64),
    'none': torch.zeros(2, 0),
}
CODE = {torch.float32: 'F32', torch.bool: 'BOOL', torch.float16: 'F16', torch.bfloat16: 'BF16',
        torch.int64: 'I64', torch.int16: 'I16', torch.uint8: 'U8', torch.float64: 'F64'}
header, blobs, offset = {'__metadata__': {'framework': 'hand', 'x': '1'}}, [], 0
for name, t in tensors.items():
    raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
    header[name] = {'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)], 'dtype': CODE[t.dtype]}
    blobs.append(raw)
    offset += len(raw)
h = json.dumps(header).encode()
assert len(h) % 8 != 0
with open(PATH, 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
result = list(tensors.values())
)");
  ASSERT_TRUE(w.ok) << w.error_type << ": " << w.error_message;
  std::map<std::string, std::string> meta;
  const nb::StateDict back = nb::load(file, &meta);
  const std::vector<std::string> names = {"z.bias", "a.mask", "half", "bf", "ids", "i16", "u8", "zero_d", "none"};
  EXPECT_EQ(back.keys(), names);
  ASSERT_EQ(w.outputs.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    EXPECT_TRUE(same_bits(back.at(names[i]), w.outputs[i]));
  }
  EXPECT_EQ(meta, (std::map<std::string, std::string>{{"framework", "hand"}, {"x", "1"}}));
}

TEST_F(IoSafetensors, TruncatedFileRaisesAtEveryCut) {
  nb::StateDict dict;
  dict.insert("w", nb::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}}));
  dict.insert("b", nb::tensor({true, false, true}));
  nb::save(dict, path("full.safetensors"), {{"m", "v"}});
  const std::string bytes = read_bytes(path("full.safetensors"));
  ASSERT_GT(bytes.size(), 100u);
  const std::string cut = path("cut.safetensors");
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    write_bytes(cut, std::string_view(bytes).substr(0, n));
    EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::load(cut); }, {"load: " + cut + ": "}));
  }
  // One byte too many is damage as well.
  write_bytes(cut, bytes + '\0');
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::load(cut); }, {"belong to no tensor"}));
}

TEST_F(IoSafetensors, FlippedHeaderBytesNeverCrash) {
  nb::StateDict dict;
  dict.insert("weight", nb::tensor({{1.0f, 2.0f, 3.0f}}));
  dict.insert("step", nb::tensor({7}));
  nb::save(dict, path("ok.safetensors"), {{"k", "v"}});
  const std::string bytes = read_bytes(path("ok.safetensors"));
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  const std::string bad = path("bad.safetensors");
  int raised = 0, loaded = 0;
  for (size_t pos = 0; pos < 8 + header_bytes; ++pos) {
    for (unsigned mask : {0x01u, 0x04u, 0x20u, 0x80u, 0xFFu}) {
      std::string damaged = bytes;
      damaged[pos] = char(uint8_t(damaged[pos]) ^ mask);
      write_bytes(bad, damaged);
      // A flip may leave a valid file (a changed name letter, a space turned into a tab):
      // then it loads; otherwise it must raise RuntimeError, never anything else.
      try {
        nb::load(bad);
        ++loaded;
      } catch (const nb::RuntimeError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("load: " + bad + ": ", 0), 0u) << e.what();
        ++raised;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "byte " << pos << " mask " << mask << ": " << e.what();
      }
    }
  }
  EXPECT_GT(raised, 4 * loaded) << raised << " raised, " << loaded << " loaded";
}

TEST_F(IoSafetensors, DamagedHeadersRaiseClearErrors) {
  const std::string file = path("h.safetensors");
  auto with_header = [&](const std::string& json, size_t data_bytes) {
    std::string bytes(8, '\0');
    const uint64_t n = json.size();
    std::memcpy(bytes.data(), &n, 8);
    write_bytes(file, bytes + json + std::string(data_bytes, '\x01'));
  };
  struct Case {
    std::string json;
    size_t data_bytes;
    std::string expected;
  };
  const std::string f32_2 = R"("dtype":"F32","shape":[2])";
  const std::vector<Case> cases = {
      {R"({"a":)", 0, "not valid JSON"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} x)", 8, "unexpected data after the JSON value"},
      {"[]", 0, "not an object"},
      {R"({"a":[1]})", 0, "tensor 'a': the header entry is a array, not an object"},
      {R"({"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", 2, "unsupported dtype \"F8_E4M3\""},
      {R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", 0, "non-negative integers, got -1"},
      {R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8, "non-negative integers, got 2.5"},
      {R"({"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})", 8, "non-negative integers, got string"},
      {R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})", 8, "overflows 64 bits"},
      {R"({"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}})", 8, "non-negative integers"},
      {"{\"a\":{" + f32_2 + ",\"data_offsets\":[0,100]}}", 8, "[0, 100] are not a range within the 8 bytes"},
      {"{\"a\":{" + f32_2 + ",\"data_offsets\":[8,0]}}", 8, "are not a range"},
      {"{\"a\":{" + f32_2 + ",\"data_offsets\":[0,4]}}", 8, "span 4 bytes, but its dtype and shape need 8"},
      {"{\"a\":{" + f32_2 + ",\"data_offsets\":[0]}}", 8, "no \"data_offsets\" array of two integers"},
      {"{\"a\":{" + f32_2 + "}}", 8, "data_offsets"},
      {R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8, "no \"dtype\" string"},
      {R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8, "no \"shape\" array"},
      {"{\"a\":{" + f32_2 + ",\"data_offsets\":[0,8]},\"b\":{" + f32_2 + ",\"data_offsets\":[4,12]}}", 12, "overlaps"},
      {"{\"a\":{" + f32_2 + ",\"data_offsets\":[0,8]},\"b\":{" + f32_2 + ",\"data_offsets\":[12,20]}}", 20, "a gap of 4 bytes"},
      {"{\"a\":{" + f32_2 + ",\"data_offsets\":[0,8]}}", 12, "4 bytes at the end of the file belong to no tensor"},
      {"{\"a\":{" + f32_2 + ",\"data_offsets\":[0,8]},\"a\":{" + f32_2 + ",\"data_offsets\":[0,8]}}", 8, "duplicate key \"a\""},
      {R"({"__metadata__":{"k":1}})", 0, "\"__metadata__\" entry 'k' is a number, not a string"},
      {R"({"__metadata__":[]})", 0, "\"__metadata__\" must be an object of strings"},
      {std::string(1000, '[') + std::string(1000, ']'), 0, "nesting deeper than 64"},
      {"{\"a\xff\":{}}", 0, "invalid UTF-8"},
      {"{\"a\\q\":{}}", 0, "invalid escape"},
      {"{\"a\\ud800\":{}}", 0, "unpaired high surrogate"},
      {"{\"a\nb\":{}}", 0, "control character in string"},
      {R"({"a":tru})", 0, "invalid literal"},
      {R"({"a":x})", 0, "unexpected character 'x'"},
      {R"({"a":-})", 0, "expected a digit"},
      {R"({"a":01})", 0, "expected '}'"},
      {R"({"a":1,})", 0, "expected a string key"},
      {"", 0, "unexpected end of text"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json.substr(0, 80));
    with_header(c.json, c.data_bytes);
    EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::load(file); }, {"load: " + file + ": ", c.expected}));
  }
  // Escapes that are valid decode to the right name.
  with_header(R"({"\u00e9\ud83d\ude00\/\t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}  )", 1);
  EXPECT_EQ(nb::load(file).keys(), std::vector<std::string>{"\u00e9\U0001F600/\t"});

  // The length field itself.
  write_bytes(file, std::string("\x10\0\0\0", 4));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::load(file); }, {"has 4 bytes, too few"}));
  write_bytes(file, std::string("\xff\xff\xff\xff\xff\xff\xff\xff{}", 10));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::load(file); }, {"the header length 18446744073709551615 exceeds the 2 bytes"}));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::load(path("missing.safetensors")); }, {"missing.safetensors: cannot open: No such file"}));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::load(dir_); }, {"not a regular file"}));
}

TEST_F(IoSafetensors, FailedSaveLeavesPreviousFile) {
  const std::string file = path("model.safetensors");
  nb::StateDict old_dict;
  old_dict.insert("w", nb::arange(10, nb::kFloat32));
  nb::save(old_dict, file);
  const std::string old_bytes = read_bytes(file);

  // A file size limit (as `ulimit -f`) makes the write fail with EFBIG: the process survives
  // SIGXFSZ, the error names the file and the reason, and the old file is untouched.
  nb::StateDict big;
  big.insert("w", nb::zeros({1 << 18}, nb::kFloat32));
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit small = saved;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  auto big_save = [&] { nb::save(big, file); };
  const auto outcome = raises<nb::RuntimeError>(big_save, {"save: " + file + ": write failed: File too large"});
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  EXPECT_TRUE(outcome);
  EXPECT_EQ(read_bytes(file), old_bytes);
  EXPECT_EQ(listing(), std::vector<std::string>{"model.safetensors"});
  EXPECT_TRUE(same_bits(nb::load(file).at("w"), old_dict.at("w")));

  // Other failures: a missing directory, a directory in the way, bad names.
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::save(old_dict, path("no/such/dir/m.safetensors")); },
                                   {"save: " + path("no/such/dir/m.safetensors") + ": cannot create the temporary file", "No such file"}));
  fs::create_directory(path("taken"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::save(old_dict, path("taken")); }, {"save: " + path("taken") + ": cannot rename"}));
  EXPECT_EQ(listing(), (std::vector<std::string>{"model.safetensors", "taken"}));
  nb::StateDict reserved;
  reserved.insert("__metadata__", nb::zeros({1}));
  EXPECT_THROW(nb::save(reserved, path("r.safetensors")), nb::ValueError);
  nb::StateDict undefined;
  undefined.insert("x", nb::Tensor());
  EXPECT_THROW(nb::save(undefined, path("u.safetensors")), nb::ValueError);
  nb::StateDict bad_name;
  bad_name.insert("\xff", nb::zeros({1}));
  EXPECT_THROW(nb::save(bad_name, path("b.safetensors")), nb::ValueError);
  EXPECT_THROW(nb::save(old_dict, dir_ + "/"), nb::ValueError);
}

namespace {

// An IDX file written byte by byte: header, big-endian dims, then `data` (already big-endian).
std::string idx_bytes(uint8_t type, std::vector<uint32_t> dims, const std::string& data) {
  std::string out = {'\0', '\0', char(type), char(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out += char(uint8_t(d >> shift));
  return out + data;
}

template <typename T>
std::string big_endian(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    for (size_t i = sizeof(T); i-- > 0;) out += b[i];
  }
  return out;
}

const std::string kFashion = "/usr/share/datasets/fashion-mnist/";

}  // namespace

TEST_F(IoIdx, ReadsEveryTypePlainAndGzip) {
  struct Case {
    uint8_t type;
    std::vector<uint32_t> dims;
    std::string data;
    nb::Tensor expected;
  };
  const std::vector<Case> cases = {
      {0x08, {2, 2}, big_endian<uint8_t>({0, 1, 200, 255}), nb::tensor({{0, 1}, {200, 255}}, nb::kUInt8)},
      {0x09, {4}, big_endian<int8_t>({-128, -1, 0, 127}), nb::tensor({-128, -1, 0, 127}, nb::kInt8)},
      {0x0B, {1, 3}, big_endian<int16_t>({-30000, 258, -2}), nb::tensor({{-30000, 258, -2}}, nb::kInt16)},
      {0x0C, {3}, big_endian<int32_t>({-2000000000, 65536, 7}), nb::tensor({-2000000000, 65536, 7}, nb::kInt32)},
      {0x0D, {2, 1, 2}, big_endian<float>({-1.5f, 0.25f, 1e30f, 3.0f}), nb::tensor({{{-1.5f, 0.25f}}, {{1e30f, 3.0f}}})},
      {0x0E, {2}, big_endian<double>({-1e300, 0.1}), nb::tensor({-1e300, 0.1}, nb::kFloat64)},
      {0x08, {0, 5}, "", nb::zeros({0, 5}, nb::kUInt8)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(int(c.type));
    const std::string plain = path("x.idx"), gz = path("x.idx.gz");
    write_bytes(plain, idx_bytes(c.type, c.dims, c.data));
    EXPECT_TRUE(same_bits(nb::read_idx(plain), c.expected));
    const oracle::Result r = oracle::exec("import gzip\nopen('" + gz + "', 'wb').write(gzip.compress(open('" + plain +
                                          "', 'rb').read()))\nresult = torch.zeros(1)");
    ASSERT_TRUE(r.ok) << r.error_message;
    EXPECT_TRUE(same_bits(nb::read_idx(gz), c.expected));
  }
}

TEST_F(IoIdx, DamagedFilesRaise) {
  const std::string good = idx_bytes(0x0C, {2, 3}, big_endian<int32_t>({1, 2, 3, 4, 5, 6}));
  const std::string file = path("d.idx");
  for (size_t n = 0; n < good.size(); ++n) {
    SCOPED_TRACE(n);
    write_bytes(file, std::string_view(good).substr(0, n));
    EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::read_idx(file); }, {"read_idx: " + file + ": "}));
  }
  write_bytes(file, good + "x");
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::read_idx(file); }, {"declares (2, 3) int32 elements (24 bytes) but 25 bytes follow"}));
  write_bytes(file, "\x01" + good.substr(1));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::read_idx(file); }, {"not an IDX file"}));
  write_bytes(file, idx_bytes(0x0A, {1}, "a"));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::read_idx(file); }, {"unknown IDX element type 10"}));
  write_bytes(file, idx_bytes(0x0E, {65535, 65535, 65535, 65535, 65535}, ""));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::read_idx(file); }, {"overflows 64 bits"}));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::read_idx(path("none.gz")); }, {"none.gz: cannot open: No such file"}));

  // Compressed: cut anywhere, a damaged checksum, a header claiming more than gzip can hold.
  write_bytes(file, good);
  const std::string gz = path("d.idx.gz");
  const oracle::Result r = oracle::exec("import gzip\nopen('" + gz + "', 'wb').write(gzip.compress(open('" + file +
                                        "', 'rb').read()))\nresult = torch.zeros(1)");
  ASSERT_TRUE(r.ok) << r.error_message;
  const std::string compressed = read_bytes(gz);
  const std::string cut = path("cut.idx.gz");
  for (size_t n = 1; n < compressed.size(); ++n) {
    SCOPED_TRACE(n);
    write_bytes(cut, std::string_view(compressed).substr(0, n));
    EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::read_idx(cut); }, {"read_idx: " + cut + ": "}));
  }
  std::string bad_crc = compressed;
  bad_crc[bad_crc.size() - 6] ^= 0x55;
  write_bytes(cut, bad_crc);
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::read_idx(cut); }, {"corrupt gzip data"}));
  const oracle::Result h = oracle::exec("import gzip, struct\nopen('" + cut +
                                        "', 'wb').write(gzip.compress(bytes([0, 0, 8, 2]) + struct.pack('>II', 60000, 60000)))\n"
                                        "result = torch.zeros(1)");
  ASSERT_TRUE(h.ok) << h.error_message;
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::read_idx(cut); }, {"more than a gzip file of"}));
}

TEST_F(IoIdx, FashionMnistMatchesPython) {
  if (!fs::exists(kFashion + "train-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const nb::Tensor images = nb::read_idx(kFashion + "train-images-idx3-ubyte.gz");
  const nb::Tensor labels = nb::read_idx(kFashion + "train-labels-idx1-ubyte.gz");
  EXPECT_EQ(images.sizes(), nb::DimVector({60000, 28, 28}));
  EXPECT_EQ(images.dtype(), nb::kUInt8);
  EXPECT_EQ(labels.sizes(), nb::DimVector({60000}));
  EXPECT_EQ(labels.dtype(), nb::kUInt8);
  const oracle::Result r = oracle::exec(R"(
import gzip
D = '/usr/share/datasets/fashion-mnist/'
img = np.frombuffer(gzip.open(D + 'train-images-idx3-ubyte.gz').read(), np.uint8, offset=16).reshape(60000, 28, 28)
lab = np.frombuffer(gzip.open(D + 'train-labels-idx1-ubyte.gz').read(), np.uint8, offset=8)
test = np.frombuffer(gzip.open(D + 't10k-images-idx3-ubyte.gz').read(), np.uint8, offset=16)
result = [torch.from_numpy(img.reshape(60000, -1).sum(1, dtype=np.int64)), torch.from_numpy(lab.copy()),
          torch.from_numpy(np.bincount(lab, minlength=10)), torch.from_numpy(img[[0, 1, 31415, 59999]].copy()),
          torch.tensor(test.size)]
)");
  ASSERT_TRUE(r.ok) << r.error_type << ": " << r.error_message;
  ASSERT_EQ(r.outputs.size(), 5u);
  EXPECT_CLOSE(images.view({60000, 784}).sum(1, false, nb::kInt64), r.outputs[0]);
  EXPECT_CLOSE(labels, r.outputs[1]);
  std::vector<int64_t> histogram(10, 0);
  for (int64_t i = 0; i < labels.numel(); ++i) ++histogram[labels.data_ptr<uint8_t>()[i]];
  EXPECT_CLOSE(nb::tensor(histogram), r.outputs[2]);
  EXPECT_CLOSE(nb::index_select(images, 0, nb::tensor({0, 1, 31415, 59999})), r.outputs[3]);
  const nb::Tensor test = nb::read_idx(kFashion + "t10k-images-idx3-ubyte.gz");
  EXPECT_EQ(test.sizes(), nb::DimVector({10000, 28, 28}));
  EXPECT_EQ(test.numel(), r.outputs[4].item<int64_t>());
}
