"""pytest setup: nabla from the build tree (PYTHONPATH=<build>/python, which `make test` sets; <repo>/build/python
otherwise), PyTorch 1.13 and NumPy as the oracles, and helpers that compare nabla results with theirs."""
import os
import sys
import warnings

import numpy as np
import pytest

try:
    import nabla  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "build", "python"))
    import nabla  # noqa: F401

import torch

torch.set_num_threads(1)
warnings.filterwarnings("ignore", message="The use of `x.T`")

TORCH_DTYPES = {name: getattr(torch, name) for name in
                ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]}


def dtype_name(dtype):
    return repr(dtype).split(".")[-1] if not isinstance(dtype, torch.dtype) else str(dtype).split(".")[-1]


def to_float64(t):
    """A nabla or torch tensor's values as a float64 NumPy array (bfloat16 through float32)."""
    if t.dtype in (nabla.bfloat16, torch.bfloat16):
        t = t.float()
    return np.asarray(t.detach().numpy(), dtype=np.float64) if t.dtype not in (nabla.bool, torch.bool) else \
        t.detach().numpy().astype(np.float64)


def assert_same(actual, expected, rtol=1.3e-6, atol=1e-5, check_dtype=True):
    """nabla tensor `actual` equals torch tensor `expected`: shape, dtype and values (NaNs equal)."""
    assert tuple(actual.shape) == tuple(expected.shape), f"shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    if check_dtype:
        assert dtype_name(actual.dtype) == dtype_name(expected.dtype), \
            f"dtype {dtype_name(actual.dtype)} != {dtype_name(expected.dtype)}"
    if expected.dtype in (torch.float16, torch.bfloat16):
        rtol, atol = max(rtol, 1e-2), max(atol, 1e-2)
    np.testing.assert_allclose(to_float64(actual), to_float64(expected), rtol=rtol, atol=atol, equal_nan=True)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
