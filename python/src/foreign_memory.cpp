#include "foreign_memory.hpp"

namespace nabla::python {

Tensor wrap_foreign_memory(void* data, const DimVector& sizes, const DimVector& strides, DType dtype,
                           DeleterFn release, void* ctx, bool read_only, Device device) {
  // The storage starts at the lowest address any element has, so negative strides put element 0
  // at a positive offset into it.
  const OffsetRange range = offset_range(sizes, strides);
  const int64_t item = int64_t(itemsize(dtype));
  const size_t nbytes = numel_of(sizes) == 0 ? 0 : size_t(range.highest - range.lowest + 1) * size_t(item);
  char* start = static_cast<char*>(data) + range.lowest * item;
  Storage storage = make_intrusive<StorageImpl>(start, nbytes, device, release, ctx);
  storage->set_read_only(read_only);
  return Tensor(make_intrusive<TensorImpl>(std::move(storage), -range.lowest, sizes, strides, dtype));
}

void release_python_object(PyObject* object) {
  if (!Py_IsInitialized() || _Py_IsFinalizing()) return;
  PyGILState_STATE state = PyGILState_Ensure();
  Py_DECREF(object);
  PyGILState_Release(state);
}

}  // namespace nabla::python
