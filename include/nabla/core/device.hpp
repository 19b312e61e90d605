#pragma once
#include <cstdint>
#include <string>

namespace nabla {

enum class DeviceType : uint8_t { kCPU, kCUDA };
inline constexpr DeviceType kCPU = DeviceType::kCPU, kCUDA = DeviceType::kCUDA;

struct Device {
  DeviceType type = kCPU;
  int8_t index = -1;  // -1: the current device of that type
  Device() = default;
  Device(DeviceType t, int index = -1) : type(t), index(int8_t(index)) {}
  Device(const std::string& spec);  // "cpu", "cuda", "cuda:1"
  bool is_cpu() const { return type == kCPU; }
  bool is_cuda() const { return type == kCUDA; }
  bool operator==(const Device&) const = default;
  std::string str() const;  // "cpu", "cuda:0"
};

}  // namespace nabla
