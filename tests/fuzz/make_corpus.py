#!/usr/bin/python3
"""Writes the seed inputs of the fuzz targets into corpus/<target>/seed-*, made by NumPy, gzip and the
safetensors format description, not by nabla. Run it again after changing it; the files are kept in git.
Inputs a fuzzer found bugs with are kept next to the seeds as corpus/<target>/regress-*."""
import gzip
import io
import json
import os
import struct

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(HERE, target), exist_ok=True)
    with open(os.path.join(HERE, target, "seed-" + name), "wb") as f:
        f.write(data)


def npy_bytes(a, version=None):
    buf = io.BytesIO()
    if version:
        np.lib.format.write_array(buf, a, version=version)
    else:
        np.save(buf, a)
    return buf.getvalue()


def npz_bytes(compressed, **arrays):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def safetensors_bytes(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, a) in tensors.items():
        raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def idx_bytes(a, code):
    dims = b"".join(struct.pack(">I", n) for n in a.shape)
    return bytes([0, 0, code, a.ndim]) + dims + a.astype(a.dtype.newbyteorder(">")).tobytes()


def main():
    rng = np.random.default_rng(6)
    f32 = rng.standard_normal((2, 3)).astype(np.float32)
    put("npy", "f32", npy_bytes(f32))
    put("npy", "i64-scalar", npy_bytes(np.array(7, dtype=np.int64)))
    put("npy", "bool", npy_bytes(np.array([True, False, True])))
    put("npy", "fortran", npy_bytes(np.asfortranarray(rng.integers(0, 9, (3, 4)).astype(np.int16))))
    put("npy", "big-endian", npy_bytes(f32.astype(">f8")))
    put("npy", "f16-empty", npy_bytes(np.zeros((0, 3), np.float16)))
    put("npy", "v2-u8", npy_bytes(np.arange(5, dtype=np.uint8), version=(2, 0)))
    put("npz", "stored", npz_bytes(False, a=f32, b=np.arange(4)))
    put("npz", "deflated", npz_bytes(True, x=np.ones((3, 3), np.float64), y=np.array([1, 2], np.uint32)))
    put("safetensors", "two", safetensors_bytes(
        {"w": ("F32", f32), "b": ("I64", np.arange(3, dtype=np.int64))}, {"format": "pt"}))
    put("safetensors", "half-bool", safetensors_bytes(
        {"h": ("F16", np.ones(4, np.float16)), "m": ("BOOL", np.array([True, False]))}))
    put("safetensors", "empty", safetensors_bytes({}))
    u8 = rng.integers(0, 255, (2, 3, 3)).astype(np.uint8)
    put("idx", "u8", idx_bytes(u8, 8))
    put("idx", "labels", idx_bytes(np.arange(10, dtype=np.uint8), 8))
    put("idx", "f32", idx_bytes(f32, 13))
    put("idx", "i16", idx_bytes(np.array([-3, 300], np.int16), 11))
    put("idx", "u8-gz", gzip.compress(idx_bytes(u8, 8), mtime=0))
    # nested_list: 0 = list (next byte: length % 8), 1 = bool, 2 = uint64, 3 = double, 4 = small int.
    put("nested_list", "matrix", bytes([0, 2, 0, 3, 4, 1, 4, 2, 4, 3, 0, 3, 4, 4, 4, 5, 4, 6]))
    put("nested_list", "mixed", bytes([0, 3, 1, 1, 4, 200, 3]) + struct.pack("<d", 2.5))
    put("nested_list", "big-uint", bytes([0, 2, 2]) + struct.pack("<Q", 2**63 + 5) + bytes([4, 255]))
    put("nested_list", "ragged", bytes([0, 2, 4, 1, 0, 2, 4, 2, 4, 3]))
    put("nested_list", "empty-rows", bytes([0, 2, 0, 0, 0, 0]))


if __name__ == "__main__":
    main()
