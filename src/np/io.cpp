// np::save / np::load / np::savez(_compressed): .npy images written atomically, alone or as the members
// of a ZIP archive; load tells the two apart by their magic bytes.
#include <algorithm>
#include <unordered_set>

#include "io/file.hpp"
#include "np/common.hpp"
#include "np/npy.hpp"
#include "np/zip.hpp"

namespace nabla::np {
namespace {

class FileSource final : public ByteSource {
 public:
  FileSource(const io::InputFile& file, const std::string& path) : ByteSource("load: " + path + ": "), file_(file) {}
  uint64_t size() const override { return file_.size(); }
  void read(uint64_t offset, void* dst, size_t n) const override { file_.read_at(offset, dst, n); }

 private:
  const io::InputFile& file_;
};

// NumPy appends the extension when the path lacks it (np.save("a", x) writes a.npy).
std::string with_extension(const std::string& path, const std::string& ext) {
  return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0 ? path : path + ext;
}

std::string npy_bytes(const ndarray& a) {
  std::string out;
  write_npy(a, [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); });
  return out;
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, ndarray>>& arrays, bool compress,
               const char* op) {
  std::unordered_set<std::string> names;
  for (const auto& [name, a] : arrays) {
    NB_CHECK(!name.empty(), ValueError, op, ": an array name must not be empty");
    NB_CHECK(names.insert(name).second, ValueError, op, ": the name '", name, "' is given twice");
    check_defined(a, op);
  }
  io::AtomicFileWriter out(with_extension(path, ".npz"), op);
  zip::Writer archive(op);
  for (const auto& [name, a] : arrays) {
    const std::string member = archive.add(name + ".npy", npy_bytes(a), compress);
    out.write(member.data(), member.size());
  }
  const std::string directory = archive.finish();
  out.write(directory.data(), directory.size());
  out.commit();
}

}  // namespace

std::vector<std::string> NpzFile::files() const {
  std::vector<std::string> names;
  for (const auto& item : items_) names.push_back(item.first);
  return names;
}

bool NpzFile::contains(const std::string& name) const {
  return std::any_of(items_.begin(), items_.end(), [&](const Item& i) { return i.first == name; });
}

const ndarray& NpzFile::operator[](const std::string& name) const {
  for (const auto& item : items_)
    if (item.first == name) return item.second;
  fail<IndexError>("NpzFile: '", name, "' is not a file in the archive");
}

const ndarray& Loaded::array() const {
  NB_CHECK(!is_npz(), TypeError, "load: the file is a .npz archive of several arrays; take it as an np::NpzFile");
  return std::get<ndarray>(value_);
}

const NpzFile& Loaded::npz() const {
  NB_CHECK(is_npz(), TypeError, "load: the file is a single .npy array; take it as an np::ndarray");
  return std::get<NpzFile>(value_);
}

void save(const std::string& path, const ndarray& a) {
  check_defined(a, "save");
  io::AtomicFileWriter out(with_extension(path, ".npy"), "save");
  write_npy(a, [&](const void* p, size_t n) { out.write(p, n); });
  out.commit();
}

void savez(const std::string& path, const std::vector<std::pair<std::string, ndarray>>& arrays) {
  write_npz(path, arrays, false, "savez");
}

void savez_compressed(const std::string& path, const std::vector<std::pair<std::string, ndarray>>& arrays) {
  write_npz(path, arrays, true, "savez_compressed");
}

Loaded load(const std::string& path) {
  io::InputFile file(path, "load");
  unsigned char magic[kNpyMagicLen] = {};
  if (file.size() >= 4) file.read_at(0, magic, std::min<uint64_t>(file.size(), kNpyMagicLen));
  if (file.size() >= 4 && zip::looks_like_zip(magic)) {
    std::vector<NpzFile::Item> items;
    for (zip::Member& m : zip::read_members(file)) {
      const std::string context = "load: " + path + ": member '" + m.name + "': ";
      NB_CHECK(m.name.size() > 4 && m.name.compare(m.name.size() - 4, 4, ".npy") == 0, RuntimeError, context,
               "not a .npy member (a .npz archive holds only <name>.npy files)");
      items.emplace_back(m.name.substr(0, m.name.size() - 4), read_npy(MemorySource(context, m.data)));
    }
    return Loaded(NpzFile(std::move(items)));
  }
  return Loaded(read_npy(FileSource(file, path)));
}

}  // namespace nabla::np
