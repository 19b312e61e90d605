"""The conversion contract (DESIGN.md) row by row with real NumPy: from_numpy and numpy() never copy (pointer
equality), mutation is visible both ways, memory lives as long as either side, every dtype and stride kind, read-only
arrays, byte order, the refusals and their messages; np.asarray through __array__/__array_interface__; DLPack with
PyTorch 1.13 and NumPy."""
import gc
import sys
import weakref

import numpy as np
import pytest
import torch

import nabla
from conftest import assert_same

NUMPY_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "float16",
                "float32", "float64"]


def address(a):
    return a.__array_interface__["data"][0]


def sample(dtype, shape=(4, 6)):
    values = np.arange(int(np.prod(shape))).reshape(shape) % 7
    return values.astype(dtype)


def stride_kinds(base):
    """Views of `base` (4, 6) with every kind of stride NumPy makes."""
    return {
        "contiguous": base,
        "transposed": base.T,
        "sliced": base[1:, ::2],
        "negative": base[::-1, ::-2],
        "flipped both": np.flip(base),
        "zero (broadcast_to)": np.broadcast_to(base[0], (3, 6)),
        "zero-size": base[:0],
        "0-d": base[1, 2, ...] if base.ndim == 2 else base,
    }


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_from_numpy_shares_every_dtype_and_stride(dtype):
    base = sample(dtype)
    for kind, view in stride_kinds(base).items():
        t = nabla.from_numpy(view)
        assert tuple(t.shape) == view.shape, kind
        assert t.dtype is getattr(nabla, dtype), kind
        assert t.stride() == tuple(s // view.itemsize for s in view.strides), kind
        if view.size:
            assert t.data_ptr() == address(view), kind  # no copy: element 0 at the array's element 0
        np.testing.assert_array_equal(t.numpy(), view, err_msg=kind)
        back = t.numpy()
        assert address(back) == address(view) and back.strides == view.strides, kind
    # Values computed from a negative-stride view are right.
    if dtype not in ("bool",):
        neg = base[::-1, ::-2]
        np.testing.assert_array_equal((nabla.from_numpy(neg) + 1).numpy(), neg + 1)
        np.testing.assert_array_equal(nabla.from_numpy(neg).contiguous().numpy(), neg)


def test_operations_on_negative_and_zero_strides_match_numpy(rng):
    base = rng.standard_normal((5, 6)).astype(np.float32)
    for view in (base[::-1], base[:, ::-3], np.flip(base), np.broadcast_to(base[:, :1], (5, 6))):
        t = nabla.from_numpy(view)
        np.testing.assert_allclose((t * 2 + 1).numpy(), view * 2 + 1, rtol=1e-6)
        np.testing.assert_allclose(t.sum(0).numpy(), view.sum(0), rtol=1e-5)
        np.testing.assert_allclose(t.exp().numpy(), np.exp(view), rtol=1e-6)
        np.testing.assert_allclose((t @ t.T).numpy(), view @ view.T, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(t[1:, ::2].numpy(), view[1:, ::2])
        np.testing.assert_allclose(t.reshape(-1).numpy(), view.reshape(-1))


def test_mutation_is_visible_both_ways():
    a = np.zeros((3, 4), dtype=np.float32)
    t = nabla.from_numpy(a)
    t[1, 2] = 5
    t.add_(1)
    assert a[1, 2] == 6 and a[0, 0] == 1
    a[0, 0] = -3
    assert t[0, 0].item() == -3
    rev = nabla.from_numpy(a[::-1])
    rev[0] = 9  # last row of a
    assert (a[2] == 9).all()
    u = nabla.zeros(2, 3, dtype=nabla.int32)
    arr = u.numpy()
    arr[1, 1] = 4
    assert u[1, 1].item() == 4
    u.fill_(2)
    assert (arr == 2).all()


def test_from_numpy_keeps_the_array_alive():
    a = np.arange(1000, dtype=np.float64)
    ref = sys.getrefcount(a)
    t = nabla.from_numpy(a[::-1])
    del a
    gc.collect()
    assert t[0].item() == 999.0 and t.sum().item() == sum(range(1000))
    a = np.arange(10.0)
    ref = sys.getrefcount(a)
    t = nabla.from_numpy(a)
    assert sys.getrefcount(a) == ref + 1
    views = [t[2:], t.view(2, 5)]
    del t
    gc.collect()
    assert sys.getrefcount(a) == ref + 1  # the views hold the storage, which holds the array
    del views
    gc.collect()
    assert sys.getrefcount(a) == ref  # released with the last tensor


def test_numpy_keeps_the_storage_alive():
    t = nabla.arange(100000, dtype=nabla.float32)
    arr = t.numpy()
    assert arr.base is not None and address(arr) == t.data_ptr()
    before = t._storage_use_count()
    del t
    gc.collect()
    filler = [nabla.ones(100000) for _ in range(5)]  # would reuse freed memory
    assert arr[99999] == 99999.0 and arr.sum() == np.arange(100000, dtype=np.float32).sum()
    del filler, arr
    gc.collect()
    u = nabla.zeros(4)
    a = u.numpy()
    assert u._storage_use_count() == 2
    del a
    gc.collect()
    assert u._storage_use_count() == 1
    assert before >= 2


def test_numpy_every_dtype_and_stride():
    for dtype in ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]:
        n = nabla.arange(24).view(4, 6).to(getattr(nabla, dtype))
        t = torch.arange(24).view(4, 6).to(getattr(torch, dtype))
        for view_n, view_t in [(n, t), (n.T, t.T), (n[1:, ::2], t[1:, ::2]), (n[0].expand(3, 6), t[0].expand(3, 6))]:
            a, b = view_n.numpy(), view_t.numpy()
            assert a.dtype == b.dtype and a.strides == b.strides
            np.testing.assert_array_equal(a, b)
            assert address(a) == view_n.data_ptr()
    for dtype in ["uint16", "uint32", "uint64"]:
        a = nabla.arange(5).to(getattr(nabla, dtype)).numpy()
        assert a.dtype == np.dtype(dtype) and a.tolist() == [0, 1, 2, 3, 4]


def test_numpy_refusals():
    x = nabla.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"requires grad\. Use tensor\.detach\(\)\.numpy\(\) instead"):
        x.numpy()
    with nabla.no_grad():
        assert x.numpy().tolist() == [1.0, 1.0]  # as in PyTorch: only checked in grad mode
    forced = x.numpy(force=True)
    assert forced.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="BFloat16"):
        nabla.ones(2, dtype=nabla.bfloat16).numpy()
    with pytest.raises(TypeError, match="BFloat16"):
        np.asarray(nabla.ones(2, dtype=nabla.bfloat16))


def test_from_numpy_refusals():
    with pytest.raises(TypeError, match=r"expected np\.ndarray \(got list\)"):
        nabla.from_numpy([1, 2])
    with pytest.raises(TypeError, match="complex64"):
        nabla.from_numpy(np.zeros(2, dtype=np.complex64))
    with pytest.raises(TypeError, match="object"):
        nabla.from_numpy(np.array([1, None], dtype=object))
    big_endian = np.arange(4, dtype=">i4")
    with pytest.raises(ValueError, match=r"a\.astype\(a\.dtype\.newbyteorder\('='\)\)"):
        nabla.from_numpy(big_endian)
    fixed = big_endian.astype(big_endian.dtype.newbyteorder("="))
    assert nabla.from_numpy(fixed).tolist() == [0, 1, 2, 3]
    odd = np.ndarray((2,), np.int32, np.zeros(12, np.uint8), 1, (5,))  # strides of 5 bytes
    with pytest.raises(ValueError, match="multiple of its element size"):
        nabla.from_numpy(odd)


def test_read_only_arrays_give_read_only_tensors():
    a = np.arange(6.0)
    a.setflags(write=False)
    t = nabla.from_numpy(a)
    assert t._is_read_only() and t.sum().item() == 15.0
    for inplace in (lambda: t.add_(1), lambda: t.fill_(0), lambda: t.__setitem__(0, 3.0), lambda: t.zero_(),
                    lambda: t[1:].mul_(2)):
        with pytest.raises(RuntimeError, match="read-only"):
            inplace()
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    back = t.numpy()
    assert not back.flags.writeable and address(back) == address(a)
    assert not np.broadcast_to(np.ones(3), (2, 3)).flags.writeable
    assert nabla.from_numpy(np.broadcast_to(np.ones(3), (2, 3)))._is_read_only()


def test_asarray_array_and_array_interface():
    t = nabla.arange(6, dtype=nabla.float32).view(2, 3).T
    a = np.asarray(t)
    assert address(a) == t.data_ptr() and a.strides == (4, 12)
    a[0, 1] = 42
    assert t[0, 1].item() == 42
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert t.__array_interface__["typestr"] == "<f4" and t.__array_interface__["shape"] == (3, 2)
    x = np.ones(3) + nabla.ones(3)  # NumPy defers to Tensor.__radd__, which copies the array, as PyTorch does
    assert isinstance(x, nabla.Tensor) and x.dtype is nabla.float64 and x.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(nabla.ones(2, requires_grad=True))


def test_tensor_and_as_tensor_copy_or_share():
    a = np.arange(4.0)
    assert nabla.tensor(a).data_ptr() != address(a)
    assert nabla.as_tensor(a).data_ptr() == address(a)
    assert nabla.as_tensor(a, dtype=nabla.float32).dtype is nabla.float32
    assert_same(nabla.tensor(a), torch.tensor(a))
    assert_same(nabla.tensor(np.arange(4, dtype=">i2")), torch.tensor(np.arange(4, dtype="<i2")))
    assert_same(nabla.tensor([np.float32(1.5), 2]), torch.tensor([np.float32(1.5), 2]))


def test_dlpack_with_torch_and_numpy():
    t = nabla.arange(12, dtype=nabla.float32).view(3, 4)[:, 1:]
    assert t.__dlpack_device__() == (1, 0)
    from_nabla = torch.utils.dlpack.from_dlpack(t.__dlpack__())
    assert from_nabla.data_ptr() == t.data_ptr() and from_nabla.stride() == t.stride()
    assert from_nabla.tolist() == t.tolist()
    a = np.from_dlpack(t)
    assert address(a) == t.data_ptr()
    src = torch.arange(10, dtype=torch.int32)[::2]
    u = nabla.from_dlpack(src)
    assert u.data_ptr() == src.data_ptr() and u.tolist() == src.tolist() and u.dtype is nabla.int32
    u[0] = 7
    assert src[0].item() == 7
    b = np.arange(6.0).reshape(2, 3)
    v = nabla.from_dlpack(b)
    assert v.data_ptr() == address(b) and v.tolist() == b.tolist()
    del b
    gc.collect()
    assert v.sum().item() == 15.0
    with pytest.raises(ValueError, match="capsule"):
        cap = t.__dlpack__()
        nabla.from_dlpack(cap)
        nabla.from_dlpack(cap)
    with pytest.raises(RuntimeError, match="detach"):
        nabla.ones(2, requires_grad=True).__dlpack__()
