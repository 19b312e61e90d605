"""DLPack exchange: nabla.from_dlpack(x) for any object with __dlpack__ (or a DLPack capsule)."""
from . import _C


def from_dlpack(ext_tensor):
    if hasattr(ext_tensor, "__dlpack__"):
        device_type, _ = ext_tensor.__dlpack_device__()
        if device_type != 1:
            raise RuntimeError(f"from_dlpack: only CPU tensors are supported (got DLPack device type {device_type})")
        capsule = ext_tensor.__dlpack__()
    else:
        capsule = ext_tensor
    return _C._from_dlpack(capsule)
