#include "core/dispatch.hpp"

#include "core/check.hpp"

namespace nabla {

void fail_missing_kernel(const char* family, Device device) {
  if (device.is_cuda())
    fail<RuntimeError>(family, ": nabla was built without CUDA, so tensors cannot live on ", device.str(),
                       ". Rebuild with nvcc available (cmake -DNABLA_CUDA=ON) or keep the tensor on the CPU.");
  fail<NotImplementedError>(family, ": no kernel for device ", device.str());
}

}  // namespace nabla
