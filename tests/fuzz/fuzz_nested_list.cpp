// tensor() of nested lists (the C++ entry point that Python's nabla.tensor([...]) goes through) and
// np::array() of them. The input bytes describe the nesting: each node is a
// byte choosing a list (with a length byte) or a bool, int64, uint64 or double leaf.
// A result must hold every leaf, in row-major order, converted to its dtype.
#include <cstring>
#include <vector>

#include "fuzz_target.hpp"

namespace {

struct Reader {
  const uint8_t* data;
  size_t size, pos = 0;
  uint8_t byte() { return pos < size ? data[pos++] : 0; }
  template <typename T>
  T value() {
    T v{};
    uint8_t bytes[sizeof(T)] = {};
    for (auto& b : bytes) b = byte();
    std::memcpy(&v, bytes, sizeof(T));
    return v;
  }
};

constexpr int kMaxDepth = 6;
constexpr size_t kMaxNodes = 4096;

nabla::NestedList decode(Reader& in, int depth, size_t& nodes, std::vector<nabla::Scalar>& leaves) {
  ++nodes;
  const uint8_t kind = in.byte();
  if (kind % 5 == 0 && depth < kMaxDepth && nodes < kMaxNodes) {
    std::vector<nabla::NestedList> items;
    for (int n = in.byte() % 8; n > 0 && in.pos < in.size; --n) items.push_back(decode(in, depth + 1, nodes, leaves));
    return nabla::NestedList(std::move(items));
  }
  nabla::Scalar s = kind % 5 == 1   ? nabla::Scalar(bool(in.byte() & 1))
                    : kind % 5 == 2 ? nabla::Scalar(in.value<uint64_t>())
                    : kind % 5 == 3 ? nabla::Scalar(in.value<double>())
                                    : nabla::Scalar(int64_t(int8_t(in.byte())));
  leaves.push_back(s);
  return nabla::NestedList(s);
}

// Every leaf at the same depth, and each list at a given depth with the same length: the only
// nestings that make an array.
bool rectangular(const nabla::NestedList& node, size_t depth, nabla::DimVector& shape, int64_t& leaf_depth) {
  if (node.is_scalar()) {
    if (leaf_depth < 0) leaf_depth = int64_t(depth);
    return leaf_depth == int64_t(depth) && shape.size() == depth;
  }
  if (leaf_depth >= 0 && int64_t(depth) >= leaf_depth) return false;
  const int64_t n = int64_t(node.items().size());
  if (depth == shape.size()) shape.push_back(n);
  else if (shape[depth] != n) return false;
  for (const auto& item : node.items())
    if (!rectangular(item, depth + 1, shape, leaf_depth)) return false;
  return true;
}

template <typename T>
bool holds_leaves(const nabla::Tensor& t, const std::vector<nabla::Scalar>& leaves) {
  const T* p = static_cast<const T*>(t.data_ptr());
  for (size_t i = 0; i < leaves.size(); ++i) {
    const T expected = leaves[i].to<T>();
    if (std::memcmp(&p[i], &expected, sizeof(T)) != 0) return false;
  }
  return true;
}

bool holds_leaves(const nabla::Tensor& t, const std::vector<nabla::Scalar>& leaves) {
  if (t.numel() != int64_t(leaves.size())) return false;
  switch (t.dtype()) {
    case nabla::kBool: return holds_leaves<bool>(t, leaves);
    case nabla::kInt64: return holds_leaves<int64_t>(t, leaves);
    case nabla::kUInt64: return holds_leaves<uint64_t>(t, leaves);
    case nabla::kFloat32: return holds_leaves<float>(t, leaves);
    case nabla::kFloat64: return holds_leaves<double>(t, leaves);
    default: nabla_fuzz::finding("nested_list", "unexpected dtype " + std::string(nabla::dtype_name(t.dtype())));
  }
}

void check(const char* api, const nabla::Tensor& t, const nabla::DimVector& shape,
           const std::vector<nabla::Scalar>& leaves) {
  if (!(nabla::DimVector(t.sizes()) == shape))
    nabla_fuzz::finding("nested_list", std::string(api) + " gave a shape other than the nesting's");
  if (!holds_leaves(t, leaves)) nabla_fuzz::finding("nested_list", std::string(api) + " lost or moved a leaf");
}

}  // namespace

NABLA_FUZZ_TARGET(nested_list) {
  Reader in{data, size};
  size_t nodes = 0;
  std::vector<nabla::Scalar> leaves;
  const nabla::NestedList list = decode(in, 0, nodes, leaves);
  nabla::DimVector shape;
  int64_t leaf_depth = -1;
  const bool valid = rectangular(list, 0, shape, leaf_depth);
  for (const char* api : {"tensor", "np::array"}) {
    nabla::Tensor t;
    try {
      t = api[0] == 't' ? nabla::tensor(list) : nabla::np::array(list).tensor();
    } catch (const nabla::Error&) {
      if (valid && api[0] == 't')
        nabla_fuzz::finding("nested_list", "tensor() refused a rectangular nesting");
      continue;
    }
    if (!valid) nabla_fuzz::finding("nested_list", std::string(api) + " accepted a ragged nesting");
    check(api, t, shape, leaves);
  }
}
