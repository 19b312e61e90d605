#pragma once
// An ordered map from names to tensors: what Module::state_dict() returns and what save/load read
// and write. Insertion order is kept (PyTorch's OrderedDict); inserting an existing key replaces
// its value in place.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nabla/tensor.hpp"

namespace nabla {

class StateDict {
 public:
  using Item = std::pair<std::string, Tensor>;

  void insert(std::string key, Tensor value);
  const Tensor* find(std::string_view key) const;  // nullptr when absent
  const Tensor& at(std::string_view key) const;    // raises ValueError naming the key when absent
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  void erase(std::string_view key);
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::vector<std::string> keys() const;
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<Item> items_;
};

}  // namespace nabla
