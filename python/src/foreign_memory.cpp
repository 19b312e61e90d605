#include "foreign_memory.hpp"

namespace nabla::python {

Tensor wrap_foreign_memory(void* data, const DimVector& sizes, const DimVector& strides, DType dtype,
                           DeleterFn release, void* ctx, bool read_only, Device device) {
  // The storage starts at the lowest address any element has, so negative strides put element 0
  // at a positive offset into it.
  int64_t lowest = 0, highest = 0;
  bool empty = false;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 0) empty = true;
    const int64_t reach = (sizes[i] - 1) * strides[i];
    (reach < 0 ? lowest : highest) += reach;
  }
  if (empty) lowest = highest = 0;
  const int64_t item = int64_t(itemsize(dtype));
  const size_t nbytes = empty ? 0 : size_t(highest - lowest + 1) * size_t(item);
  char* start = static_cast<char*>(data) + lowest * item;
  Storage storage = make_intrusive<StorageImpl>(start, nbytes, device, release, ctx);
  storage->set_read_only(read_only);
  return Tensor(make_intrusive<TensorImpl>(std::move(storage), -lowest, sizes, strides, dtype));
}

void release_python_object(PyObject* object) {
  if (!Py_IsInitialized() || _Py_IsFinalizing()) return;
  PyGILState_STATE state = PyGILState_Ensure();
  Py_DECREF(object);
  PyGILState_Release(state);
}

}  // namespace nabla::python
