#pragma once
// NumPy's files: .npy (one array) and .npz (a ZIP archive of .npy members), read and written by
// nabla and NumPy alike. Writes are atomic (a temporary file renamed over the path); a damaged,
// truncated or hostile file raises RuntimeError naming the path and what is wrong.
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "nabla/np/ndarray.hpp"

namespace nabla::np {

// The arrays of a .npz archive in the archive's order, looked up by name ("a" for the member "a.npy").
class NpzFile {
 public:
  using Item = std::pair<std::string, ndarray>;
  NpzFile() = default;
  explicit NpzFile(std::vector<Item> items) : items_(std::move(items)) {}
  const std::vector<Item>& items() const { return items_; }
  std::vector<std::string> files() const;  // the names, as NpzFile.files in NumPy
  bool contains(const std::string& name) const;
  const ndarray& operator[](const std::string& name) const;  // KeyError-like IndexError when absent
  size_t size() const { return items_.size(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<Item> items_;
};

// What np.load gives: the array of a .npy file, or the NpzFile of a .npz archive (told apart by the
// file's magic bytes, as NumPy does). Converts to whichever the caller asks for.
class Loaded {
 public:
  explicit Loaded(ndarray a) : value_(std::move(a)) {}
  explicit Loaded(NpzFile f) : value_(std::move(f)) {}
  bool is_npz() const { return value_.index() == 1; }
  const ndarray& array() const;  // TypeError for a .npz
  const NpzFile& npz() const;    // TypeError for a .npy
  operator ndarray() const { return array(); }
  operator NpzFile() const { return npz(); }

 private:
  std::variant<ndarray, NpzFile> value_;
};

// .npy format 1.0 (2.0 when the header needs it), C order when `a` is C-contiguous, Fortran order when it is
// Fortran-contiguous, C order otherwise, little-endian.
void save(const std::string& path, const ndarray& a);
// Reads .npy (format 1.0, 2.0 or 3.0, either byte order, C or Fortran order) or .npz (stored or deflated).
Loaded load(const std::string& path);
// Archives of `name -> array`, stored as "<name>.npy" members; savez_compressed deflates them.
void savez(const std::string& path, const std::vector<std::pair<std::string, ndarray>>& arrays);
void savez_compressed(const std::string& path, const std::vector<std::pair<std::string, ndarray>>& arrays);

}  // namespace nabla::np
