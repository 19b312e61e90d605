#include "nabla/core/device.hpp"

#include "core/check.hpp"

namespace nabla {

Device::Device(const std::string& spec) {
  std::string kind = spec.substr(0, spec.find(':'));
  if (kind == "cpu") type = kCPU;
  else if (kind == "cuda") type = kCUDA;
  else fail<RuntimeError>("Expected one of cpu, cuda device type at start of device string: ", spec);
  if (spec.size() > kind.size()) {
    std::string idx = spec.substr(kind.size() + 1);
    NB_CHECK(!idx.empty() && idx.size() < 4 && idx.find_first_not_of("0123456789") == std::string::npos,
             RuntimeError, "Invalid device string: '", spec, "'");
    index = int8_t(std::stoi(idx));
  }
}

std::string Device::str() const {
  std::string s = type == kCPU ? "cpu" : "cuda";
  if (index >= 0) s += ":" + std::to_string(index);
  return s;
}

}  // namespace nabla
