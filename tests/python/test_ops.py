"""Every element-wise, reduction, scan and linear-algebra op of nabla's op table against PyTorch 1.13, on random
shapes (with broadcasting), dtypes and strides (contiguous, transposed, sliced with steps): values and result dtypes."""
import numpy as np
import pytest
import torch

import nabla
from conftest import TORCH_DTYPES, assert_same

OPS = {op["name"]: op for op in nabla.op_table()}
# Table entries whose public spelling takes an argument.
SPELLING = {
    "gelu": lambda m, x: m.nn.functional.gelu(x),
    "gelu_tanh": lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda m, x: m.nn.functional.silu(x),
    "clamp": lambda m, x: x.clamp(-0.5, 0.5),
    "div_floor": lambda m, a, b: a.div(b, rounding_mode="floor"),
    "div_trunc": lambda m, a, b: a.div(b, rounding_mode="trunc"),
    "amax": lambda m, x: x.amax(-1), "amin": lambda m, x: x.amin(-1),
    "logsumexp": lambda m, x: x.logsumexp(-1),
    "cumsum": lambda m, x: x.cumsum(-1), "cumprod": lambda m, x: x.cumprod(-1),
    "softmax": lambda m, x: x.softmax(-1), "log_softmax": lambda m, x: x.log_softmax(-1),
    "max": lambda m, x: x.max(), "min": lambda m, x: x.min(),
}
TESTED_DTYPES = [d for d in TORCH_DTYPES if d != "bfloat16"] + ["bfloat16"]


def make_pair(rng, shape, dtype, layout):
    """The same values as a nabla and a torch tensor, laid out contiguous, transposed or strided."""
    full_shape = list(shape)
    if layout == "strided" and shape:
        full_shape[-1] *= 2
    if dtype == "bool":
        base = rng.integers(0, 2, size=full_shape).astype(bool)
    elif dtype.startswith("uint"):
        base = rng.integers(0, 9, size=full_shape).astype(dtype)
    elif dtype.startswith("int"):
        base = rng.integers(-9, 9, size=full_shape).astype(dtype)
    else:
        base = rng.standard_normal(full_shape).astype("float32" if dtype == "bfloat16" else dtype)
    if layout == "transposed" and len(shape) >= 2:
        base = np.ascontiguousarray(np.swapaxes(base, -1, -2))
    n, t = nabla.from_numpy(base.copy()), torch.from_numpy(base.copy())
    if dtype == "bfloat16":
        n, t = n.to(nabla.bfloat16), t.to(torch.bfloat16)
    if layout == "strided" and shape:
        n, t = n[..., ::2], t[..., ::2]
    if layout == "transposed" and len(shape) >= 2:
        n, t = n.transpose(-1, -2), t.transpose(-1, -2)
    return n, t


def call(name, module, *args):
    if name in SPELLING:
        return SPELLING[name](module, *args)
    return getattr(module, name)(*args)


def run_case(op, n_args, t_args):
    try:
        expected = call(op["name"], torch, *t_args)
    except (RuntimeError, TypeError):
        return "torch refuses"  # e.g. an op PyTorch 1.13 lacks for this dtype on the CPU
    actual = call(op["name"], nabla, *n_args)
    assert_same(actual, expected, rtol=max(op["rtol"], 2e-6), atol=max(op["atol"], 1e-5))
    return "ok"


SHAPES = [(), (5,), (3, 4), (2, 3, 4)]
BROADCAST = [((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), ()), ((), (2, 2))]


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op["kind"] == "unary"])
def test_unary_ops(name, rng):
    op = OPS[name]
    dtypes = [d for d in TESTED_DTYPES if getattr(nabla, d) in op["dtypes"]]
    results = []
    for dtype in dtypes:
        for shape, layout in zip(SHAPES, ["contiguous", "strided", "transposed", "transposed"]):
            n, t = make_pair(rng, shape, dtype, layout)
            results.append(run_case(op, [n], [t]))
    assert "ok" in results


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op["kind"] == "binary"])
def test_binary_ops(name, rng):
    op = OPS[name]
    dtypes = [d for d in TESTED_DTYPES if getattr(nabla, d) in op["dtypes"]]
    results = []
    for i, (sa, sb) in enumerate(BROADCAST * 2):
        da, db = dtypes[i % len(dtypes)], dtypes[(3 * i + 1) % len(dtypes)]
        na, ta = make_pair(rng, sa, da, ["contiguous", "strided", "transposed"][i % 3])
        nb, tb = make_pair(rng, sb, db, "contiguous")
        if name in ("div_floor", "div_trunc", "remainder", "fmod", "floor_divide") and not tb.is_floating_point():
            nb, tb = nb.abs() + 1, tb.abs() + 1  # integer division by zero raises in PyTorch
        if "shift" in name:
            nb, tb = nb.abs() % 7, tb.abs() % 7  # shifts by negative or too large counts are undefined in C++
        results.append(run_case(op, [na, nb], [ta, tb]))
        # A Python number as the second operand promotes as a "wrapped number".
        for scalar in (2, 1.5, True):
            results.append(run_case(op, [na, scalar], [ta, scalar]))
    assert "ok" in results


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op["kind"] in ("reduction", "scan")])
def test_reductions_and_scans(name, rng):
    op = OPS[name]
    dtypes = [d for d in TESTED_DTYPES if getattr(nabla, d) in op["dtypes"]]
    results = []
    for dtype in dtypes:
        for shape, layout in [((7,), "contiguous"), ((3, 5), "transposed"), ((2, 3, 4), "strided")]:
            n, t = make_pair(rng, shape, dtype, layout)
            results.append(run_case(op, [n], [t]))
    assert "ok" in results


def test_reduction_arguments(rng):
    n, t = make_pair(rng, (2, 3, 4), "float32", "transposed")
    for args, kwargs in [((1,), {"keepdim": True}), (((0, 2),), {}), ((), {"dtype": nabla.float64}), ((-1,), {})]:
        kw_t = {k: (torch.float64 if v is nabla.float64 else v) for k, v in kwargs.items()}
        assert_same(n.sum(*args, **kwargs), t.sum(*args, **kw_t))
        assert_same(n.mean(*args, **kwargs), t.mean(*args, **kw_t))
    assert_same(n.var(1, keepdim=True), t.var(1, keepdim=True))
    assert_same(n.std(unbiased=False), t.std(unbiased=False))
    assert_same(n.var(0, correction=0), t.var(0, correction=0))
    values, indices = n.max(1)
    expected = t.max(1)
    assert_same(values, expected.values)
    assert_same(indices, expected.indices)
    assert_same(n.max(dim=2, keepdim=True).indices, t.max(dim=2, keepdim=True).indices)
    assert_same(n.argmax(1), t.argmax(1))
    assert_same(n.norm(), t.norm())
    assert_same(n.amax((0, 1)), t.amax((0, 1)))
    ni = nabla.tensor([[1, 2], [3, 4]])
    assert_same(ni.sum(), torch.tensor([[1, 2], [3, 4]]).sum())  # int64


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op["kind"] == "linalg" and op["arity"] == 2])
def test_linalg(name, rng):
    shapes = {"matmul": [((3, 4), (4, 2)), ((2, 3, 4), (4,)), ((5,), (5,)), ((2, 1, 3, 4), (3, 4, 2))],
              "mm": [((3, 4), (4, 2))], "bmm": [((2, 3, 4), (2, 4, 5))], "dot": [((6,), (6,))],
              "outer": [((3,), (4,))]}[name]
    for dtype in ("float32", "float64", "int64"):
        for sa, sb in shapes:
            na, ta = make_pair(rng, sa, dtype, "transposed")
            nb, tb = make_pair(rng, sb, dtype, "strided")
            assert run_case(OPS[name], [na, nb], [ta, tb]) == "ok"


def test_operators_and_reflected(rng):
    na, ta = make_pair(rng, (3, 4), "float32", "strided")
    ni, ti = make_pair(rng, (3, 4), "int32", "contiguous")
    ni, ti = ni.abs() + 1, ti.abs() + 1
    for expr in ["a + b", "a - b", "a * b", "a / b", "a // b", "a % b", "a ** 2", "2 ** b", "a @ a.T", "-a",
                 "abs(a)", "a + 1", "1 + a", "2 - a", "3 * a", "1 / b", "7 // b", "7 % b", "a < b", "a >= 0.5",
                 "a == a", "a != b", "i & 3", "3 | i", "i ^ i", "~i", "i << 1", "i >> 1", "2.5 // i", "i / 2",
                 "i * 1.5", "i + True", "a.__add__(b)", "a.__rsub__(2)", "a.__rtruediv__(2)"]:
        actual = eval(expr, {"a": na, "b": na + 2, "i": ni})
        expected = eval(expr, {"a": ta, "b": ta + 2, "i": ti})
        assert_same(actual, expected)
    for op in ["+=", "-=", "*=", "/=", "**="]:
        n_scope, t_scope = {"x": na.clone(), "y": na}, {"x": ta.clone(), "y": ta}
        before = n_scope["x"]
        for scope in (n_scope, t_scope):
            exec(f"x {op} 1.5", scope)
            exec(f"x {op} y", scope)
        assert n_scope["x"] is before  # in place: the same Python object
        assert_same(n_scope["x"], t_scope["x"])


def test_operator_errors_match_torch(rng):
    # a + b runs through Tensor's number slots, not the __add__ method: errors must still come out as
    # PyTorch's exception types, and an operand of no known kind must give Python's TypeError.
    na, ta = make_pair(rng, (3, 4), "float32", "contiguous")
    for expr, kind in [("a + m.ones(5)", RuntimeError), ("a - m.ones(2, 5)", RuntimeError), ("a * 'x'", TypeError),
                       ("'x' / a", TypeError), ("a + [1]", TypeError), ("None - a", TypeError),
                       ("a - True", RuntimeError), ("True - a", RuntimeError), ("(a > 0) - (a < 1)", RuntimeError)]:
        for lib, a in ((nabla, na), (torch, ta)):
            with pytest.raises(kind):
                eval(expr, {"a": a, "m": lib})


def test_creation_matches_torch():
    cases = [
        ("tensor([[1, 2], [3, 4]])", {}), ("tensor([1.5, 2])", {}), ("tensor([True, False])", {}),
        ("tensor(3)", {}), ("tensor([])", {}), ("tensor([[1, 2]], dtype=m.float64)", {}),
        ("zeros(2, 3)", {}), ("zeros((2, 3), dtype=m.int32)", {}), ("ones([4])", {}), ("full((2, 2), 7)", {}),
        ("full((2,), 1.5)", {}), ("arange(5)", {}), ("arange(1, 4, 0.5)", {}), ("arange(0, 1, 0.1)", {}),
        ("linspace(0, 1, 5)", {}), ("eye(3)", {}), ("eye(2, 3, dtype=m.int64)", {}),
        ("zeros_like(m.ones(2, 3, dtype=m.int8))", {}), ("full_like(m.ones(2), 3)", {}),
    ]
    for expr, _ in cases:
        actual = eval("m." + expr, {"m": nabla})
        expected = eval("m." + expr, {"m": torch})
        assert_same(actual, expected)
        assert repr(actual) == repr(expected), expr


def test_random_streams_match_torch():
    for seed in (0, 7):
        for expr in ["rand(3)", "randn(3)", "randn(17)", "rand(2, 3, dtype=m.float64)", "randint(0, 10, (5,))",
                     "randint(5, (2, 2))", "randperm(6)", "randn(4, generator=m.Generator().manual_seed(3))"]:
            nabla.manual_seed(seed)
            actual = eval("m." + expr, {"m": nabla})
            torch.manual_seed(seed)
            expected = eval("m." + expr, {"m": torch})
            assert_same(actual, expected, rtol=0, atol=0)


def test_printing_matches_torch(rng):
    for value in [[1, 2, 3], [[1.5, -2.25], [3e-5, 4e8]], [True, False], 3.0, [[0.1] * 20] * 3]:
        assert repr(nabla.tensor(value)) == repr(torch.tensor(value))
        assert str(nabla.tensor(value)) == str(torch.tensor(value))
    x = nabla.tensor([1.0, 2.0], requires_grad=True)
    y = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == repr(y)
    assert repr(x * 2) == repr(y * 2)
    assert repr(nabla.float32) == "nabla.float32" and repr(nabla.int64) == "nabla.int64"
    assert repr(nabla.zeros(2, 3).shape) == "nabla.Size([2, 3])"
    assert f"{nabla.tensor(1.23456):.3f}" == "1.235"


def test_geometry_and_conversions():
    t = nabla.arange(24).view(2, 3, 4)
    u = torch.arange(24).view(2, 3, 4)
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple) and t.shape[1:] == (3, 4)
    assert t.stride() == u.stride() and t.stride(1) == 4 and t.ndim == 3 and t.numel() == 24
    assert t.dtype is nabla.int64 and str(t.device) == "cpu" and t.is_contiguous()
    for expr in ["x.transpose(0, 2)", "x.permute(2, 0, 1)", "x.T", "x.unsqueeze(1)", "x[:, :1].squeeze(1)",
                 "x[:1].expand(3, 3, 4)", "x.reshape(-1, 4)", "x.view(6, 4)", "x.flatten(1)", "x.float()",
                 "x.double()", "x.to(m.float16)", "x.long()", "x.bool()", "x.transpose(0, 1).contiguous()",
                 "x.clone()", "x.narrow(2, 1, 2)", "x.select(1, 2)", "x.flip(0)", "x.roll(1, 0)"]:
        assert_same(eval(expr, {"x": t, "m": nabla}), eval(expr, {"x": u, "m": torch}))
        got = eval(expr, {"x": t, "m": nabla})
        assert got.stride() == eval(expr, {"x": u, "m": torch}).stride() or not got.is_contiguous() is False
    assert t.transpose(0, 1).is_contiguous() is False
    assert t.tolist() == u.tolist()
    assert nabla.tensor(2.5).item() == 2.5 and isinstance(nabla.tensor(3).item(), int)
    assert t.to("cpu") is t and t.cpu().data_ptr() == t.data_ptr()
    assert t.to(nabla.int64) is t and t.to(nabla.float32).dtype is nabla.float32
    assert len(t) == 2 and [r.shape for r in t] == [(3, 4), (3, 4)]
    assert float(nabla.tensor([2.5])) == 2.5 and int(nabla.tensor(7)) == 7 and bool(nabla.tensor([1]))
    with pytest.raises(ValueError):
        bool(nabla.ones(2))


def test_indexing_matches_torch(rng):
    base = rng.standard_normal((4, 5, 6)).astype(np.float32)
    n, t = nabla.from_numpy(base.copy()), torch.from_numpy(base.copy())
    idx = [1, (1, 2), (slice(None), 3), (slice(1, None), slice(None, None, 2)), (Ellipsis, 0), (None, 1),
           (slice(None, None, 3), None, Ellipsis),
           (-1, -2, -3), ([0, 2],), ([0, 3], slice(None), [1, 4]), (slice(None), [True, False, True, False, True])]
    for index in idx:
        n_index = tuple(nabla.tensor(i) if isinstance(i, list) else i for i in index) if isinstance(index, tuple) \
            else index
        assert_same(n[n_index], t[index])
        assert_same(n[index], t[index])
    mask_n, mask_t = n > 0, t > 0
    assert_same(n[mask_n], t[mask_t])
    for index, value in [((0,), 1.5), ((slice(None), 1), 2), ((Ellipsis, [0, 2]), -1.0), ((mask_n,), 0.0)]:
        tv = mask_t if index[0] is mask_n else index[0]
        n[index] = value
        t[(tv,) + index[1:]] = value
        assert_same(n, t)
    n[1] = nabla.arange(30, dtype=nabla.float32).view(5, 6)
    t[1] = torch.arange(30, dtype=torch.float32).view(5, 6)
    assert_same(n, t)
    with pytest.raises(IndexError):
        n[4]
    with pytest.raises(IndexError):
        n[0, 0, 0, 0]


def test_functions_match_torch(rng):
    a, ta = make_pair(rng, (2, 3), "float32", "contiguous")
    b, tb = make_pair(rng, (2, 3), "float32", "transposed")
    assert_same(nabla.cat([a, b], 1), torch.cat([ta, tb], 1))
    assert_same(nabla.stack([a, b]), torch.stack([ta, tb]))
    assert_same(nabla.where(a > 0, a, b), torch.where(ta > 0, ta, tb))
    assert_same(nabla.where(a > 0, a, 0.0), torch.where(ta > 0, ta, 0.0))
    assert_same(nabla.exp(a), torch.exp(ta))
    assert_same(nabla.matmul(a, b.T), torch.matmul(ta, tb.T))
    assert_same(nabla.clamp(a, min=0), torch.clamp(ta, min=0))
    v, i = nabla.sort(a, 1)
    assert_same(v, torch.sort(ta, 1).values)
    assert_same(i, torch.sort(ta, 1).indices)
    assert_same(nabla.topk(a.flatten(), 2).values, torch.topk(ta.flatten(), 2).values)
    assert [p.shape for p in a.split(2, 1)] == [p.shape for p in ta.split(2, 1)]
    assert_same(nabla.unique(nabla.tensor([3, 1, 3, 2])), torch.unique(torch.tensor([3, 1, 3, 2])))
    assert nabla.result_type(a, 1) is nabla.float32


def test_errors_map_to_python_exceptions():
    with pytest.raises(RuntimeError, match="matmul"):
        nabla.ones(2, 3) @ nabla.ones(4, 5)
    with pytest.raises((RuntimeError, ValueError), match="view"):
        nabla.ones(2, 3).view(4)
    with pytest.raises(IndexError):
        nabla.ones(2, 3).transpose(0, 5)
    with pytest.raises(TypeError):
        nabla.ones(2) + "a"
    with pytest.raises(ValueError, match="length"):
        nabla.tensor([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="mean"):
        nabla.tensor([1, 2]).mean()
