"""DLPack exchange: nabla.from_dlpack(x) for any object with __dlpack__ (or a DLPack capsule), CPU or CUDA
memory, without copying."""
from . import _C

_KDL_CPU, _KDL_CUDA, _KDL_CUDA_HOST = 1, 2, 3


def from_dlpack(ext_tensor):
    if not hasattr(ext_tensor, "__dlpack__"):
        return _C._from_dlpack(ext_tensor)
    device_type, device_id = ext_tensor.__dlpack_device__()
    if device_type == _KDL_CUDA:
        if not _C._cuda.is_available():
            raise RuntimeError("from_dlpack: the tensor is on a CUDA device, but nabla cannot use CUDA here ("
                               + _C._cuda.unavailable_reason() + ")")
        # The producer makes nabla's stream wait for its pending work on the memory (DLPack's stream protocol).
        capsule = ext_tensor.__dlpack__(stream=_C._cuda.stream(device_id))
    elif device_type in (_KDL_CPU, _KDL_CUDA_HOST):
        capsule = ext_tensor.__dlpack__()
    else:
        raise RuntimeError(f"from_dlpack: only CPU and CUDA tensors are supported (got DLPack device type {device_type})")
    return _C._from_dlpack(capsule)
