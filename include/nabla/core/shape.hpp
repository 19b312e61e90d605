#pragma once
// Sizes and strides: a small vector that keeps up to kInlineDims values inline, so the hot path
// of an op allocates nothing for them.
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

namespace nabla {

// A non-owning view of int64 values: sizes, strides or dims. Like c10::ArrayRef it binds to a
// brace list (`zeros({2, 3})`), so it must not outlive the full expression that made it.
class IntArrayRef {
 public:
  constexpr IntArrayRef() = default;
  constexpr IntArrayRef(const int64_t* data, size_t size) : data_(data), size_(size) {}
#if defined(__GNUC__) && !defined(__clang__)  // g++ warns about the binding above; clang has no such warning
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  constexpr IntArrayRef(std::initializer_list<int64_t> v) : data_(v.begin()), size_(v.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  IntArrayRef(const std::vector<int64_t>& v) : data_(v.data()), size_(v.size()) {}
  constexpr const int64_t* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const int64_t* begin() const { return data_; }
  constexpr const int64_t* end() const { return data_ + size_; }
  constexpr int64_t operator[](size_t i) const { return data_[i]; }
  constexpr int64_t back() const { return data_[size_ - 1]; }
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  bool operator==(const IntArrayRef& o) const {
    return size_ == o.size_ && (size_ == 0 || std::memcmp(data_, o.data_, size_ * sizeof(int64_t)) == 0);
  }

 private:
  const int64_t* data_ = nullptr;
  size_t size_ = 0;
};

class DimVector {
 public:
  static constexpr int kInlineDims = 6;
  DimVector() = default;
  explicit DimVector(size_t n, int64_t value = 0) { resize(n, value); }
  DimVector(std::initializer_list<int64_t> v) { assign(v.begin(), v.size()); }
  DimVector(IntArrayRef v) { assign(v.data(), v.size()); }
  DimVector(const DimVector& o) { assign(o.data(), o.size()); }
  DimVector(DimVector&& o) noexcept { steal(o); }
  DimVector& operator=(const DimVector& o) {
    if (this != &o) assign(o.data(), o.size());
    return *this;
  }
  DimVector& operator=(DimVector&& o) noexcept {
    if (this != &o) { release(); steal(o); }
    return *this;
  }
  ~DimVector() { release(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t* data() { return heap_ ? heap_ : inline_; }
  const int64_t* data() const { return heap_ ? heap_ : inline_; }
  int64_t& operator[](size_t i) { return data()[i]; }
  int64_t operator[](size_t i) const { return data()[i]; }
  int64_t* begin() { return data(); }
  int64_t* end() { return data() + size_; }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + size_; }
  int64_t back() const { return data()[size_ - 1]; }
  operator IntArrayRef() const { return {data(), size_}; }
  bool operator==(const DimVector& o) const {
    if (size_ != o.size_) return false;
    const int64_t *a = data(), *b = o.data();
    for (size_t i = 0; i < size_; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

  void resize(size_t n, int64_t value = 0) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) data()[i] = value;
    size_ = n;
  }
  void push_back(int64_t v) {
    reserve(size_ + 1);
    data()[size_++] = v;
  }
  void insert(size_t pos, int64_t v) {
    reserve(size_ + 1);
    int64_t* d = data();
    std::memmove(d + pos + 1, d + pos, (size_ - pos) * sizeof(int64_t));
    d[pos] = v;
    ++size_;
  }
  void erase(size_t pos) {
    int64_t* d = data();
    std::memmove(d + pos, d + pos + 1, (size_ - pos - 1) * sizeof(int64_t));
    --size_;
  }

 private:
  void reserve(size_t n) {
    if (n <= capacity_) return;
    size_t cap = n < 2 * capacity_ ? 2 * capacity_ : n;
    auto* fresh = new int64_t[cap];
    std::memcpy(fresh, data(), size_ * sizeof(int64_t));
    delete[] heap_;
    heap_ = fresh;
    capacity_ = cap;
  }
  void assign(const int64_t* src, size_t n) {
    size_ = 0;
    reserve(n);
    int64_t* d = data();
    if (d != src)
      for (size_t i = 0; i < n; ++i) d[i] = src[i];
    size_ = n;
  }
  void steal(DimVector& o) {
    size_ = o.size_;
    capacity_ = o.capacity_;
    heap_ = o.heap_;
    if (!heap_) std::memcpy(inline_, o.inline_, sizeof(inline_));  // a fixed size: inlined, no call
    o.heap_ = nullptr;
    o.size_ = 0;
    o.capacity_ = kInlineDims;
  }
  void release() {
    delete[] heap_;
    heap_ = nullptr;
    capacity_ = kInlineDims;
  }

  int64_t inline_[kInlineDims];
  int64_t* heap_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = kInlineDims;
};

inline int64_t numel_of(IntArrayRef sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

// The lowest and highest element offsets, from the first element, that sizes and strides address
// (strides may be negative: from_numpy keeps a reversed array's); {0, 0} when there are no elements.
struct OffsetRange {
  int64_t lowest = 0, highest = 0;
};
inline OffsetRange offset_range(IntArrayRef sizes, IntArrayRef strides) {
  OffsetRange range;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 0) return {};
    const int64_t reach = (sizes[d] - 1) * strides[d];
    (reach < 0 ? range.lowest : range.highest) += reach;
  }
  return range;
}

}  // namespace nabla
