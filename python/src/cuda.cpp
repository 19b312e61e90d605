// nabla._C's device functions (include/nabla/cuda.hpp), which python/nabla/cuda.py wraps as torch.cuda
// spells them, and the float32 matmul precision at the top level.
#include "bindings.hpp"
#include "nabla/cuda.hpp"

namespace nabla::python {

std::string cuda_unavailable_reason() {
  try {
    cuda::current_device();
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

void bind_cuda(py::module_& m) {
  m.def("set_float32_matmul_precision", [](const std::string& p) { set_float32_matmul_precision(p); },
        py::arg("precision"));
  m.def("get_float32_matmul_precision", &get_float32_matmul_precision);

  py::module_ c = m.def_submodule("_cuda", "the CUDA device API (use nabla.cuda)");
  c.def("is_available", &cuda::is_available);
  c.def("unavailable_reason", &cuda_unavailable_reason);
  c.def("device_count", &cuda::device_count);
  c.def("current_device", &cuda::current_device);
  c.def("set_device", &cuda::set_device, py::arg("device"));
  c.def("synchronize", &cuda::synchronize);
  c.def("manual_seed", &cuda::manual_seed, py::arg("seed"));
  c.def("manual_seed_all", &cuda::manual_seed_all, py::arg("seed"));
  c.def("memory_allocated", &cuda::memory_allocated, py::arg("device") = -1);
  c.def("memory_reserved", &cuda::memory_reserved, py::arg("device") = -1);
  c.def("max_memory_allocated", &cuda::max_memory_allocated, py::arg("device") = -1);
  c.def("reset_peak_memory_stats", &cuda::reset_peak_memory_stats, py::arg("device") = -1);
  c.def("empty_cache", &cuda::empty_cache);
  c.def("stream", &cuda::current_stream, py::arg("device") = -1);
}

}  // namespace nabla::python
