"""The test oracle: PyTorch 1.13 and NumPy evaluate what the C++ tests ask, over a pipe.

One process serves a whole test binary, so torch is imported once. Protocol, one request per
line group on stdin, answers on stdout:

    EVAL <n>            n input tensors follow, one per line: <dtype> <ndim> <sizes...> <hex>
    <expression>        Python, with inputs bound to a, b, c, ...; torch, np, F in scope
 -> OK <m>              then m tensors in the same format (tuples/lists give m > 1)
 -> STR <hex>           for STR requests: str() of the result, UTF-8, hex-encoded
 -> ERR <Type> <hex>    the exception PyTorch/NumPy raised (message hex-encoded)

Inputs whose dtype torch 1.13 lacks (uint16/32/64) are bound as NumPy arrays.
"""
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
warnings.simplefilter("ignore")  # deprecation notes from torch would clutter the test log

TORCH = {
    "bool": torch.bool, "uint8": torch.uint8, "int8": torch.int8, "int16": torch.int16,
    "int32": torch.int32, "int64": torch.int64, "float16": torch.float16,
    "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64,
}
NUMPY_ONLY = {"uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}
TORCH_NAME = {v: k for k, v in TORCH.items()}


def decode(line):
    parts = line.split()
    dtype, ndim = parts[0], int(parts[1])
    sizes = [int(x) for x in parts[2:2 + ndim]]
    raw = bytes.fromhex(parts[2 + ndim]) if len(parts) > 2 + ndim else b""
    if dtype in NUMPY_ONLY:
        return np.frombuffer(raw, dtype=NUMPY_ONLY[dtype]).reshape(sizes).copy()
    if dtype == "bfloat16":
        as_int = torch.from_numpy(np.frombuffer(raw, dtype=np.int16).copy())
        return as_int.view(torch.bfloat16).reshape(sizes)
    np_dtype = torch.empty(0, dtype=TORCH[dtype]).numpy().dtype
    return torch.from_numpy(np.frombuffer(raw, dtype=np_dtype).copy()).reshape(sizes)


def encode(value):
    if isinstance(value, torch.Tensor):
        t = value.detach().contiguous()
        name = TORCH_NAME[t.dtype]
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        sizes = list(t.shape)
    else:
        a = np.ascontiguousarray(np.asarray(value))
        if a.dtype == np.float64 and not isinstance(value, np.ndarray) and isinstance(value, float):
            a = a.astype(np.float64)
        name = a.dtype.name
        raw, sizes = a.tobytes(), list(a.shape)
    return " ".join([name, str(len(sizes))] + [str(s) for s in sizes] + [raw.hex() or ""]).strip()


def outputs_of(result):
    if isinstance(result, (tuple, list)) and not (isinstance(result, list) and result and not hasattr(result[0], "shape")):
        return list(result)
    return [result]


def main():
    out = sys.stdout
    while True:
        header = sys.stdin.readline()
        if not header:
            return
        mode, n = header.split()
        inputs = [decode(sys.stdin.readline()) for _ in range(int(n))]
        expr = sys.stdin.readline().rstrip("\n")
        scope = {"torch": torch, "np": np, "F": F}
        scope.update({chr(ord("a") + i): t for i, t in enumerate(inputs)})
        try:
            result = eval(expr, scope)
            if mode == "STR":
                out.write("STR " + str(result).encode().hex() + "\n")
            else:
                values = outputs_of(result)
                out.write(f"OK {len(values)}\n")
                for v in values:
                    out.write(encode(v) + "\n")
        except Exception as e:  # the oracle reports what PyTorch raised; the test decides
            out.write(f"ERR {type(e).__name__} {str(e).encode().hex()}\n")
        out.flush()


if __name__ == "__main__":
    main()
