#include "nabla/state_dict.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace nabla {

void StateDict::insert(std::string key, Tensor value) {
  for (auto& item : items_) {
    if (item.first == key) { item.second = std::move(value); return; }
  }
  items_.emplace_back(std::move(key), std::move(value));
}

const Tensor* StateDict::find(std::string_view key) const {
  for (const auto& item : items_) {
    if (item.first == key) return &item.second;
  }
  return nullptr;
}

const Tensor& StateDict::at(std::string_view key) const {
  const Tensor* t = find(key);
  NB_CHECK(t, ValueError, "state_dict: no entry named '", key, "' (it has ", items_.size(), " entries)");
  return *t;
}

void StateDict::erase(std::string_view key) {
  std::erase_if(items_, [&](const Item& item) { return item.first == key; });
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

}  // namespace nabla
