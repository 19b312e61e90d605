#pragma once
// Tensors over memory that another library owns (a NumPy array, a DLPack producer): no copy, and
// the owner is released when the last tensor or view over the memory goes.
#include <Python.h>

#include "nabla/tensor.hpp"

namespace nabla::python {

// A tensor whose element 0 is at `data`, with `strides` in elements (any sign, zero included).
// `release(ctx, ...)` runs when the storage dies; the storage spans exactly the elements reached.
// `device` says where the memory is (cuda:N for a DLPack producer's GPU memory).
Tensor wrap_foreign_memory(void* data, const DimVector& sizes, const DimVector& strides, DType dtype,
                           DeleterFn release, void* ctx, bool read_only, Device device = Device(kCPU));

// Py_DECREF with the GIL taken (storage may die on any thread); nothing once Python is finalizing.
void release_python_object(PyObject* object);

}  // namespace nabla::python
