// DLPack both ways, CPU and CUDA memory: t.__dlpack__() / __dlpack_device__() export without copying,
// and _from_dlpack(capsule) wraps a producer's memory, calling its deleter when the last view goes.
// Streams: nabla's work on an exported CUDA tensor is finished before the capsule is handed out (the
// consumer reads on its own stream); on import, python/nabla/_dlpack.py passes nabla's stream to the
// producer's __dlpack__, which makes that stream wait for the producer's pending work.
#include "bindings.hpp"
#include "foreign_memory.hpp"
#include "nabla/core/tensor_impl.hpp"
#include "nabla/cuda.hpp"

#ifdef NABLA_HAVE_DLPACK
#include <dlpack/dlpack.h>

namespace nabla::python {
namespace {

constexpr uint8_t kDLBoolCode = 6;  // kDLBool, added in DLPack 0.8 (the installed header may be older)

struct Exported {
  Tensor tensor;
  std::vector<int64_t> shape, strides;
  DLManagedTensor managed;
};

void delete_exported(DLManagedTensor* m) { delete static_cast<Exported*>(m->manager_ctx); }

void destroy_unconsumed(PyObject* capsule) {
  if (!PyCapsule_IsValid(capsule, "dltensor")) return;  // a consumer took it over
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
  m->deleter(m);
}

DLDataType dl_dtype(DType t) {
  const uint8_t bits = uint8_t(itemsize(t) * 8);
  if (t == kBool) return {kDLBoolCode, 8, 1};
  if (t == kBFloat16) return {kDLBfloat, 16, 1};
  if (is_floating(t)) return {kDLFloat, bits, 1};
  return {uint8_t(is_signed(t) ? kDLInt : kDLUInt), bits, 1};
}

std::optional<DType> dtype_of(DLDataType d) {
  if (d.lanes != 1) return std::nullopt;
  for (int i = 0; i < kNumDTypes; ++i) {
    DLDataType candidate = dl_dtype(DType(i));
    if (candidate.code == d.code && candidate.bits == d.bits) return DType(i);
  }
  if (d.code == kDLUInt && d.bits == 1) return kBool;
  return std::nullopt;
}

py::capsule to_dlpack(const Tensor& t, py::object /*stream*/) {
  if (t.requires_grad()) {
    throw std::runtime_error("Can't export tensors that require gradient, use tensor.detach()");
  }
  DLDevice device{kDLCPU, 0};
  if (t.is_cuda()) {
    cuda::synchronize();
    device = {kDLCUDA, t.device().index >= 0 ? int32_t(t.device().index) : int32_t(cuda::current_device())};
  }
  auto* ex = new Exported{t, {t.sizes().begin(), t.sizes().end()}, {t.strides().begin(), t.strides().end()}, {}};
  DLTensor& dl = ex->managed.dl_tensor;
  dl.data = t.data_ptr();
  dl.device = device;
  dl.ndim = int32_t(t.dim());
  dl.dtype = dl_dtype(t.dtype());
  dl.shape = ex->shape.data();
  dl.strides = ex->strides.data();
  dl.byte_offset = 0;
  ex->managed.manager_ctx = ex;
  ex->managed.deleter = &delete_exported;
  PyObject* capsule = PyCapsule_New(&ex->managed, "dltensor", &destroy_unconsumed);
  if (!capsule) {
    delete ex;
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(capsule);
}

void release_managed(void* ctx, void*, size_t) {
  auto* m = static_cast<DLManagedTensor*>(ctx);
  if (!m->deleter || !Py_IsInitialized() || _Py_IsFinalizing()) return;
  PyGILState_STATE state = PyGILState_Ensure();  // producers such as NumPy release Python objects
  m->deleter(m);
  PyGILState_Release(state);
}

Tensor from_dlpack(py::handle capsule) {
  PyObject* o = capsule.ptr();
  if (!PyCapsule_IsValid(o, "dltensor")) {
    throw py::value_error("from_dlpack: expected a DLPack capsule named 'dltensor' (a capsule can be consumed once)");
  }
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(o, "dltensor"));
  const DLTensor& dl = m->dl_tensor;
  Device device(kCPU);
  if (dl.device.device_type == kDLCUDA) {
    if (!cuda::is_available()) {
      throw py::type_error("from_dlpack: the tensor is in CUDA memory, but nabla cannot use CUDA here (" +
                           cuda_unavailable_reason() + ")");
    }
    device = Device(kCUDA, dl.device.device_id);
  } else if (dl.device.device_type != kDLCPU && dl.device.device_type != kDLCUDAHost) {
    throw py::type_error("from_dlpack: only CPU and CUDA memory are supported (got DLPack device type " +
                         std::to_string(int(dl.device.device_type)) + ")");
  }
  std::optional<DType> dtype = dtype_of(dl.dtype);
  if (!dtype) {
    throw py::type_error("from_dlpack: unsupported DLPack dtype (code " + std::to_string(dl.dtype.code) + ", " +
                         std::to_string(dl.dtype.bits) + " bits, " + std::to_string(dl.dtype.lanes) + " lanes)");
  }
  DimVector sizes(IntArrayRef(dl.shape, size_t(dl.ndim)));
  DimVector strides = dl.strides ? DimVector(IntArrayRef(dl.strides, size_t(dl.ndim))) : contiguous_strides(sizes);
  char* data = static_cast<char*>(dl.data) + dl.byte_offset;
  PyCapsule_SetName(o, "used_dltensor");
  return wrap_foreign_memory(data, sizes, strides, *dtype, &release_managed, m, false, device);
}

}  // namespace

void bind_dlpack(py::module_& m, TensorClass& cls) {
  cls.def("__dlpack__", &to_dlpack, py::kw_only(), py::arg("stream") = py::none());
  cls.def("__dlpack_device__", [](const Tensor& t) {
    if (!t.is_cuda()) return py::make_tuple(int(kDLCPU), 0);
    return py::make_tuple(int(kDLCUDA), t.device().index >= 0 ? int(t.device().index) : cuda::current_device());
  });
  m.def("_from_dlpack", &from_dlpack);
}

}  // namespace nabla::python

#else

namespace nabla::python {
void bind_dlpack(py::module_& m, TensorClass&) {
  m.def("_from_dlpack", [](py::handle) -> Tensor {
    throw py::type_error("nabla was built without DLPack (install libdlpack-dev and rebuild)");
  });
}
}  // namespace nabla::python

#endif
