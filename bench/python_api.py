"""nabla's Python package against PyTorch from the same interpreter: what a PyTorch user's script pays
per call. bench/compare.py prints these as a second table.

The package is imported from <build>/python (what `make build` leaves there)."""
import sys

import numpy as np

import training

KIB, MIB = 1 << 10, 1 << 20


def workloads(lib):
    """name -> zero-argument callable, for lib in {torch, nabla}."""
    small_a, small_b = lib.rand(4), lib.rand(4)
    arrays = {"1 KiB": np.ones(KIB // 4, dtype=np.float32), "64 MiB": np.ones(64 * MIB // 4, dtype=np.float32)}
    tensors = {size: lib.from_numpy(array) for size, array in arrays.items()}
    out = {"a + b f32 [4]": lambda: small_a + small_b,
           "seed epoch Linear(1,1)": training.seed_epoch(lib)}
    for size, array in arrays.items():
        out[f"from_numpy {size}"] = lambda array=array: lib.from_numpy(array)
    for size, tensor in tensors.items():
        out[f".numpy() {size}"] = lambda tensor=tensor: tensor.numpy()
    return out


def import_nabla(build):
    sys.path.insert(0, str(build / "python"))
    import nabla
    return nabla
