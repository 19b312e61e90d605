"""Bad input never crashes (issue 6): hypothesis drives the Python API with random ops, shapes, dtypes,
devices and out-of-range or wrong-type arguments. Every call must either succeed or raise a Python
exception of a kind a user can act on (TypeError, ValueError, IndexError, RuntimeError,
NotImplementedError, and MemoryError for sizes that do not fit) with a message; a signal, an abort or
a hang fails the test with the program that caused it.

The calls run in a worker process (bad_input_worker.py), so a crash kills only the worker; the test
names the program and starts a fresh worker. A failure prints the program as JSON; reproduce it with
    PYTHONPATH=<build>/python /usr/bin/python3 tests/python/bad_input_worker.py '<program>'

The ops of nabla's op table are fuzzed through the signatures below, by name, or by a default for
their kind, so a new op is fuzzed as soon as it is in the table (test_every_op_table_entry_is_fuzzed).
"""
import json
import os
import select
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import nabla

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bad_input_worker.py")
ANSWER_TIMEOUT_S = 20
# MemoryError: a size that does not fit in memory. BufferError: what the DLPack protocol raises (NumPy
# itself, for a read-only array). RecursionError: nesting without end (a list that holds itself).
KIND_EXCEPTIONS = {"TypeError", "ValueError", "IndexError", "RuntimeError", "NotImplementedError", "MemoryError",
                   "BufferError", "RecursionError"}
# What a C++ exception that escaped nabla's checks says: the standard library's or pybind11's words
# instead of the op's. Such a message names neither the op nor the fix.
LEAKED_CXX_MESSAGES = ["Unable to cast", "_M_", "std::", "bad_alloc", "bad_optional_access", "bad_variant_access",
                       "basic_string", "vector::", "map::at", "stoi", "stol", "stod", "unordered_map"]

DTYPES = ["float32", "int64", "bool", "uint8", "int8", "int16", "int32", "uint16", "uint32", "uint64", "float16", "bfloat16",
          "float64"]
FLOAT_DTYPES = ["float16", "bfloat16", "float32", "float64"]
HUGE = [2**31, 2**32, 2**62, 2**63 - 1, 2**63, 2**64, -2**62, -2**63, -2**63 - 1]
NAN, INF = float("nan"), float("inf")
OBJECT = {"object": 0}
DEVICES = ["cpu", "cuda", "cuda:0", "cuda:1", "cuda:-1", "cpu:0", "cuda:99999", "meta", "", "tpu", "cuda:x",
           {"device": ["cuda", 0]}, {"device": ["cuda", 1000]}, {"device": ["cpu"]}, {"device": ["cuda", -5]}]


# ---------------------------------------------------------------------------------------------- values

def shapes(min_dims=0, max_dims=4):
    """Mostly small shapes (zero-size and 0-d included), some with many dims, some with one long dim."""
    small = st.lists(st.integers(0, 4), min_size=min_dims, max_size=max_dims)
    many_dims = st.lists(st.integers(1, 2), min_size=max(min_dims, 6), max_size=10)
    long_dim = st.lists(st.sampled_from([1, 3, 5000, 70000]), min_size=max(min_dims, 1), max_size=2).filter(
        lambda s: _numel(s) <= 100_000)
    return st.one_of(small, small, small, many_dims, long_dim)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


@st.composite
def tensors(draw, shape=None, dtypes=DTYPES, fills=("normal", "special", "small_ints")):
    shape = draw(shapes()) if shape is None else list(shape)
    dtype = draw(st.sampled_from(dtypes))
    spec = {"shape": shape, "dtype": dtype, "fill": draw(st.sampled_from(fills)), "seed": draw(st.integers(0, 3)),
            "layout": draw(st.sampled_from(["contiguous", "contiguous", "transposed", "strided", "expanded",
                                            "offset"]))}
    if dtype in FLOAT_DTYPES and draw(st.integers(0, 4)) == 0:
        spec["requires_grad"] = True
    return {"tensor": spec}


def broadcastable_shapes(shape):
    """A shape that broadcasts with `shape` (a suffix, 1s in places), or an arbitrary one."""
    def suffix_with_ones(draw_start, ones):
        tail = list(shape[draw_start:])
        return [1 if i in ones else s for i, s in enumerate(tail)]

    return st.one_of(
        st.just(list(shape)),
        st.builds(suffix_with_ones, st.integers(0, len(shape)), st.sets(st.integers(0, 4), max_size=2)),
        shapes())


def ints_near(n):
    """An int around the interesting range [-n, n] of an argument, or a huge one."""
    return st.one_of(st.integers(-n - 2, n + 2), st.integers(-n - 2, n + 2), st.sampled_from(HUGE))


JUNK = st.sampled_from([None, "x", "", OBJECT, 1.5, NAN, -INF, -1, 2**64, [], [[1], [2, 3]], {"dtype": "int64"},
                        {"tuple": []}, True, {"bytes": "00ff"}, {"slice": [None, None, None]}])

NUMBERS = st.one_of(st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=True, width=64),
                    st.sampled_from([0, 0.0, -1, True, False, NAN, INF, -INF, 1e300, 2**63, 2**64, -2**63 - 1,
                                     2**1000]))

NESTED_ELEMENTS = st.one_of(st.integers(-5, 5), st.floats(width=64), st.booleans(), st.sampled_from(HUGE),
                            st.sampled_from([None, "a", OBJECT]))


@st.composite
def nested_data(draw):
    """What nabla.tensor(data) gets: regular, ragged, empty, deep or mixed nested lists, arrays, tensors."""
    choice = draw(st.integers(0, 7))
    if choice == 0:  # regular nested lists of one element type
        shape = draw(st.lists(st.integers(0, 3), max_size=3))
        pool = draw(st.sampled_from([st.integers(-5, 5), st.floats(width=64), st.booleans(),
                                     st.sampled_from(HUGE), NESTED_ELEMENTS]))
        def fill(dims):
            return draw(pool) if not dims else [fill(dims[1:]) for _ in range(dims[0])]
        return fill(shape)
    if choice == 1:  # ragged or mixed
        return draw(st.recursive(NESTED_ELEMENTS, lambda inner: st.lists(inner, max_size=3), max_leaves=8))
    if choice == 2:  # deep
        depth = draw(st.sampled_from([1, 8, 65, 200]))
        data = draw(st.sampled_from([1, [], [1, 2]]))
        for _ in range(depth):
            data = [data]
        return data
    if choice == 3:
        return draw(ndarrays())
    if choice == 4:
        return draw(tensors())
    if choice == 5:  # tensors as elements (0-d ones are numbers, others are sequences)
        shape = draw(shapes(max_dims=2))
        return [draw(tensors(shape=shape)) for _ in range(draw(st.integers(0, 3)))]
    if choice == 6:
        return {"tuple": [[1, 2], {"tuple": [3, 4]}]}
    return draw(st.one_of(NUMBERS, JUNK))


@st.composite
def ndarrays(draw):
    dtype = draw(st.sampled_from(["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64",
                                  "float16", "float32", "float64", "complex64", "complex128", "object", "<U3",
                                  "datetime64[s]", "longdouble"]))
    return {"ndarray": {"shape": draw(shapes(max_dims=3)), "dtype": dtype, "seed": 0,
                        "layout": draw(st.sampled_from(["contiguous", "reversed", "broadcast", "misaligned",
                                                        "readonly"])),
                        "byteorder": draw(st.sampled_from(["=", "=", ">", "<"]))}}


def dims_of(ndim):
    return st.one_of(ints_near(max(ndim, 1)), ints_near(max(ndim, 1)), st.none(),
                     st.lists(st.integers(-ndim - 1, ndim + 1), max_size=3).map(lambda d: {"tuple": d}))


def sizes_for(shape):
    """A target shape for view/reshape/expand: the same numel rearranged, with -1s, or anything."""
    n = _numel(shape)
    factors = [d for d in range(1, 7) if n % d == 0] if n else [0]
    return st.one_of(
        st.sampled_from(factors).map(lambda f: [f, -1]),
        st.just([-1]),
        st.permutations(list(shape)) if shape else st.just([]),
        st.lists(st.sampled_from([0, 1, 2, 3, -1, -2] + HUGE), max_size=4),
        st.lists(st.integers(0, 4), max_size=4))


def index_tensors(shape, dims=(0,)):
    extent = max([shape[d] for d in dims if -len(shape) <= d < len(shape)] + [1]) if shape else 1
    values_shape = st.one_of(st.just(list(shape)), st.lists(st.integers(0, 3), max_size=3))
    return st.builds(
        lambda s, dtype, fill, seed: {"tensor": {"shape": s, "dtype": dtype, "fill": fill, "seed": seed}},
        values_shape, st.sampled_from(["int64", "int64", "int32", "uint8", "bool", "float32"]),
        st.sampled_from(["small_ints", "special"] if extent < 4 else ["small_ints", "special", "normal"]),
        st.integers(0, 3))


def index_items(shape):
    n = max(shape) if shape else 1
    item = st.one_of(
        ints_near(n),
        st.builds(lambda a, b, c: {"slice": [a, b, c]}, st.none() | ints_near(n), st.none() | ints_near(n),
                  st.none() | st.sampled_from([1, 2, -1, 0, 3, 2**63 - 1, -2**63])),
        st.just(None), st.just({"ellipsis": 0}), st.booleans(),
        index_tensors(shape), st.lists(ints_near(n), max_size=3), JUNK)
    return st.one_of(item, st.lists(item, max_size=len(shape) + 2).map(lambda items: {"tuple": items}))


# ---------------------------------------------------------------------------------------------- calls

def slot(kind, shape):
    """A strategy for one argument of kind `kind`, given the receiver's shape."""
    ndim = len(shape)
    strategies = {
        "T": lambda: st.one_of(broadcastable_shapes(shape).flatmap(lambda s: tensors(shape=s)),
                               broadcastable_shapes(shape).flatmap(lambda s: tensors(shape=s)), NUMBERS, ndarrays()),
        "Tensor": lambda: broadcastable_shapes(shape).flatmap(lambda s: tensors(shape=s)),
        "Tany": lambda: tensors(),
        "Tmat": lambda: st.lists(st.integers(0, 4), max_size=4).map(
            lambda s: (s[:-2] + [shape[-1]] + s[-1:]) if len(s) >= 2 and shape else s).flatmap(
            lambda s: tensors(shape=s)),
        "idx": lambda: index_tensors(shape, dims=range(ndim)),
        "mask": lambda: broadcastable_shapes(shape).flatmap(lambda s: tensors(shape=s, dtypes=["bool", "bool",
                                                                                              "uint8"])),
        "num": lambda: NUMBERS,
        "int": lambda: ints_near(max(shape) if shape else 3),
        "dim": lambda: ints_near(max(ndim, 1)),
        "dims": lambda: dims_of(ndim),
        "size": lambda: sizes_for(shape),
        "perm": lambda: st.one_of(st.permutations(list(range(ndim))),
                                  st.lists(st.integers(-ndim - 1, ndim + 1), max_size=ndim + 1)),
        "bool": lambda: st.booleans(),
        "dtype": lambda: st.one_of(st.sampled_from(DTYPES).map(lambda d: {"dtype": d}),
                                   st.sampled_from([{"dtype": "float"}, {"dtype": "int"}, {"dtype": "bool"},
                                                    "float32", None])),
        "device": lambda: st.sampled_from(DEVICES),
        "index": lambda: index_items(shape),
        "data": lambda: nested_data(),
        "pair": lambda: st.one_of(st.integers(-1, 4), st.lists(st.integers(-1, 4), max_size=3),
                                  st.sampled_from(HUGE)),
        "p": lambda: st.one_of(st.floats(-0.5, 1.5), st.sampled_from([0.0, 1.0, NAN, INF])),
        "Tlist": lambda: st.lists(st.one_of(tensors(shape=shape), tensors()), max_size=4),
        "ndarray": lambda: ndarrays(),
        "shape": lambda: st.one_of(shapes(), st.lists(st.sampled_from([0, 1, 3, -1] + HUGE), max_size=3)),
        "str": lambda: st.sampled_from(["none", "tanh", "floor", "trunc", "mean", "sum", "constant", "reflect",
                                        "fan_in", "fan_out", "relu", "leaky_relu", "", "bogus"]),
        "seed": lambda: st.one_of(st.integers(-2, 2**64 + 1), st.sampled_from(HUGE)),
        "attr": lambda: st.sampled_from(["T", "mT", "shape", "data", "grad", "grad_fn", "is_leaf", "nbytes",
                                         "itemsize", "device", "dtype", "ndim", "is_cuda"]),
        "path": lambda: st.sampled_from(["/", "", "/nonexistent/file", "/dev/null", "/dev/zero", "/proc/self/maps",
                                         "relative/missing.safetensors", "\0"]),
        "junk": lambda: JUNK,
    }
    if kind.startswith("?"):  # optional: None or the kind
        return st.one_of(st.none(), slot(kind[1:], shape))
    return strategies[kind]()


def argument(kind, shape):
    """Mostly the argument a slot expects, sometimes something of the wrong kind."""
    return st.one_of(slot(kind, shape), slot(kind, shape), slot(kind, shape), slot(kind, shape),
                     slot(kind, shape), slot(kind, shape), JUNK, NUMBERS, slot("Tany", shape))


def sig(target, *slots, kw=None, ndim=None):
    """One call: target (Tensor.<method> takes the receiver first), positional slot kinds, keyword
    slots, and the receiver's preferred number of dims."""
    return {"f": target, "slots": list(slots), "kw": kw or {}, "ndim": ndim}


REDUCE_KW = {"dtype": "dtype"}
# Signatures of the op table's entries, by name (the others use their kind's default below).
OP_SIGNATURES = {
    "gelu": [sig("Tensor.gelu", "str"), sig("nabla.nn.functional.gelu", "Tensor", kw={"approximate": "str"})],
    "gelu_tanh": [sig("Tensor.gelu", kw={"approximate": "str"})],
    "clamp": [sig("Tensor.clamp", "?num", "?num"), sig("Tensor.clamp_", "?num", "?num")],
    "add": [sig("Tensor.add", "T", kw={"alpha": "num"}), sig("Tensor.add_", "T", kw={"alpha": "num"}),
            sig("operator.add", "Tensor", "T"), sig("operator.iadd", "Tensor", "T"), sig("operator.add", "num", "Tensor")],
    "sub": [sig("Tensor.sub", "T", kw={"alpha": "num"}), sig("operator.sub", "num", "Tensor"),
            sig("operator.isub", "Tensor", "T")],
    "div": [sig("Tensor.div", "T", kw={"rounding_mode": "?str"}), sig("Tensor.div_", "T"),
            sig("operator.truediv", "num", "Tensor")],
    "div_floor": [sig("Tensor.div", "T", kw={"rounding_mode": "str"}), sig("operator.floordiv", "Tensor", "T"),
                  sig("operator.floordiv", "num", "Tensor"), sig("operator.ifloordiv", "Tensor", "T")],
    "div_trunc": [sig("Tensor.div_", "T", kw={"rounding_mode": "str"})],
    "remainder": [sig("Tensor.remainder", "T"), sig("operator.mod", "num", "Tensor"),
                  sig("operator.imod", "Tensor", "T")],
    "pow": [sig("Tensor.pow", "T"), sig("operator.pow", "num", "Tensor"), sig("Tensor.pow_", "T")],
    "bitwise_left_shift": [sig("operator.lshift", "Tensor", "T"), sig("operator.lshift", "num", "Tensor"),
                           sig("Tensor.bitwise_left_shift_", "T")],
    "bitwise_right_shift": [sig("operator.rshift", "Tensor", "T"), sig("operator.rshift", "num", "Tensor")],
    "bitwise_not": [sig("operator.invert", "Tensor"), sig("Tensor.bitwise_not_")],
    "sum": [sig("Tensor.sum", "dims", "bool", kw=REDUCE_KW)],
    "mean": [sig("Tensor.mean", "dims", "bool", kw=REDUCE_KW)],
    "prod": [sig("Tensor.prod", "?dim", "bool", kw=REDUCE_KW)],
    "max": [sig("Tensor.max", "dim", "bool"), sig("Tensor.max", "Tensor"), sig("Tensor.max")],
    "min": [sig("Tensor.min", "dim", "bool"), sig("Tensor.min")],
    "argmax": [sig("Tensor.argmax", "?dim", "bool")],
    "argmin": [sig("Tensor.argmin", "?dim", "bool")],
    "var": [sig("Tensor.var", "dims", "?bool", "bool", kw={"correction": "?num"})],
    "std": [sig("Tensor.std", "dims", "?bool", "bool", kw={"correction": "?num"})],
    "norm": [sig("Tensor.norm", "num", "dims", "bool")],
    "all": [sig("Tensor.all", "?dim", "bool")],
    "any": [sig("Tensor.any", "?dim", "bool")],
    "cumsum": [sig("Tensor.cumsum", "dim", kw={"dtype": "?dtype"})],
    "cumprod": [sig("Tensor.cumprod", "dim", kw={"dtype": "?dtype"})],
    "softmax": [sig("Tensor.softmax", "dim", "?dtype"), sig("nabla.nn.functional.softmax", "Tensor", "?dim")],
    "log_softmax": [sig("Tensor.log_softmax", "dim", "?dtype"),
                    sig("nabla.nn.functional.log_softmax", "Tensor", "?dim")],
    "addmm": [sig("nabla.addmm", "Tensor", "Tmat", "Tmat", kw={"beta": "num", "alpha": "num"}, ndim=2)],
    "bmm": [sig("Tensor.bmm", "Tmat", ndim=3)],
    "mm": [sig("Tensor.mm", "Tmat", ndim=2)],
    "dot": [sig("Tensor.dot", "Tmat", ndim=1)],
    "matmul": [sig("Tensor.matmul", "Tmat"), sig("operator.matmul", "Tensor", "Tmat")],
    "index_select": [sig("Tensor.index_select", "dim", "idx")],
    "gather": [sig("Tensor.gather", "dim", "idx")],
    "scatter": [sig("Tensor.scatter", "dim", "idx", "T"), sig("Tensor.scatter_", "dim", "idx", "T")],
    "scatter_add": [sig("Tensor.scatter_add", "dim", "idx", "Tensor"), sig("Tensor.scatter_add_", "dim", "idx", "Tensor")],
    "masked_fill": [sig("Tensor.masked_fill", "mask", "T"), sig("Tensor.masked_fill_", "mask", "T")],
    "where": [sig("nabla.where", "mask", "T", "T")],
    "index": [sig("py.getitem", "Tensor", "index"), sig("py.setitem", "Tensor", "index", "T"),
              sig("py.setitem", "Tensor", "index", "data")],
    "cat": [sig("nabla.cat", "Tlist", "dim")],
    "stack": [sig("nabla.stack", "Tlist", "dim")],
    "flip": [sig("Tensor.flip", "perm")],
    "roll": [sig("Tensor.roll", "int", "?dims")],
    "sort": [sig("Tensor.sort", "dim", "bool", kw={"stable": "bool"})],
    "argsort": [sig("Tensor.argsort", "dim", "bool")],
    "topk": [sig("Tensor.topk", "int", "dim", "bool", "bool")],
    "unique": [sig("nabla.unique", "Tensor", "bool", "bool", "bool", "?dim")],
    "transpose": [sig("Tensor.transpose", "dim", "dim")],
    "permute": [sig("Tensor.permute", "perm")],
    "reshape": [sig("Tensor.reshape", "size"), sig("Tensor.view", "size")],
    "flatten": [sig("Tensor.flatten", "dim", "dim")],
    "unsqueeze": [sig("Tensor.unsqueeze", "dim")],
    "squeeze": [sig("Tensor.squeeze", "?dim")],
    "contiguous": [sig("Tensor.contiguous")],
}
KIND_DEFAULTS = {
    "unary": lambda name: [sig(f"Tensor.{name}"), sig(f"Tensor.{name}_")],
    "binary": lambda name: [sig(f"Tensor.{name}", "T"), sig(f"Tensor.{name}_", "T")],
    "reduction": lambda name: [sig(f"Tensor.{name}", "dims", "bool")],
    "scan": lambda name: [sig(f"Tensor.{name}", "dim")],
    "linalg": lambda name: [sig(f"Tensor.{name}", "Tmat")],
}


def op_table_signatures():
    """The calls that fuzz each op table entry, and the names of the entries nothing fuzzes."""
    calls, unfuzzed = [], []
    for entry in nabla.op_table():
        name, kind = entry["name"], entry["kind"]
        if name in OP_SIGNATURES:
            calls += OP_SIGNATURES[name]
        elif kind in KIND_DEFAULTS and hasattr(nabla.Tensor, name):
            calls += [s for s in KIND_DEFAULTS[kind](name) if hasattr(nabla.Tensor, s["f"][len("Tensor."):])]
        else:
            unfuzzed.append(name)
    return calls, unfuzzed


def gradient_signatures(signatures):
    """Each out-of-place Tensor method of `signatures` again, followed by a backward pass."""
    return [dict(s, f="grad." + s["f"][len("Tensor."):]) for s in signatures
            if s["f"].startswith("Tensor.") and not s["f"].endswith("_")]


VIEWS = [
    sig("Tensor.expand", "size"), sig("Tensor.expand_as", "Tany"), sig("Tensor.view_as", "Tany"),
    sig("Tensor.reshape_as", "Tany"), sig("Tensor.narrow", "dim", "int", "int"), sig("Tensor.select", "dim", "int"),
    sig("Tensor.unfold", "dim", "int", "int"), sig("Tensor.diagonal", "int", "dim", "dim"),
    sig("Tensor.as_strided", "size", "size", "?int"), sig("Tensor.unbind", "dim"), sig("Tensor.split", "int", "dim"),
    sig("Tensor.split", "size", "dim"), sig("Tensor.chunk", "int", "dim"), sig("Tensor.t"), sig("py.attr", "Tensor", "attr"),
    sig("Tensor.swapaxes", "dim", "dim"), sig("Tensor.size", "dim"), sig("Tensor.stride", "dim"),
    sig("nabla.flatten", "Tensor", "dim", "dim"), sig("nabla.broadcast_shapes", "shape", "shape"),
]
CONVERSIONS = [
    sig("Tensor.to", "dtype"), sig("Tensor.to", "device"), sig("Tensor.to", "device", "dtype"),
    sig("Tensor.to", "Tany", kw={"copy": "bool"}), sig("Tensor.type", "dtype"), sig("Tensor.cuda"), sig("Tensor.cpu"),
    sig("Tensor.float"), sig("Tensor.half"), sig("Tensor.bfloat16"), sig("Tensor.long"), sig("Tensor.bool"),
    sig("Tensor.byte"), sig("Tensor.item"), sig("Tensor.tolist"), sig("Tensor.numpy", kw={"force": "bool"}),
    sig("Tensor.__array__", "?dtype"), sig("Tensor.__dlpack__"), sig("Tensor.__dlpack_device__"),
    sig("nabla.from_dlpack", "Tany"), sig("nabla.from_dlpack", "ndarray"), sig("nabla.from_numpy", "ndarray"),
    sig("nabla.from_numpy", "junk"), sig("nabla.tensor", "data", kw={"dtype": "?dtype", "device": "device"}),
    sig("nabla.as_tensor", "data", "?dtype"), sig("nabla.as_tensor", "ndarray", "?dtype", "device"),
    sig("py.array", "Tensor"), sig("py.len", "Tensor"), sig("py.list", "Tensor"), sig("py.bool", "Tensor"),
    sig("py.int", "Tensor"), sig("py.float", "Tensor"), sig("py.format", "Tensor", "str"),
    sig("operator.index", "Tensor"), sig("Tensor.copy_", "Tany"), sig("Tensor.type_as", "Tany"),
    sig("io.save_load", "Tensor"), sig("io.save_load", "Tlist"), sig("io.save_load", "junk"),
    sig("Tensor.pin_memory"), sig("Tensor.clone"), sig("Tensor.detach"), sig("Tensor.requires_grad_", "bool"),
    sig("nabla.cuda.set_device", "int"), sig("nabla.cuda.memory_allocated", "int"),
    sig("nabla.device", "device"), sig("nabla.promote_types", "dtype", "dtype"), sig("nabla.can_cast", "dtype", "dtype"),
    sig("nabla.result_type", "Tensor", "T"),
]
CREATION = [
    sig("nabla.zeros", "shape", kw={"dtype": "?dtype", "device": "?device"}),
    sig("nabla.ones", "int", "int", kw={"dtype": "?dtype"}), sig("nabla.empty", "shape", kw={"device": "?device"}),
    sig("nabla.rand", "shape", kw={"dtype": "?dtype", "generator": "?junk"}), sig("nabla.randn", "shape"),
    sig("nabla.full", "shape", "num", kw={"dtype": "?dtype", "device": "?device"}),
    sig("nabla.arange", "num", "?num", "num", kw={"dtype": "?dtype"}), sig("nabla.linspace", "num", "num", "int"),
    sig("nabla.eye", "int", "?int", kw={"dtype": "?dtype"}), sig("nabla.randint", "int", "int", "shape"),
    sig("nabla.randperm", "int", kw={"dtype": "?dtype"}), sig("nabla.zeros_like", "Tensor", kw={"dtype": "?dtype",
                                                                                                "device": "?device"}),
    sig("nabla.full_like", "Tensor", "num", kw={"dtype": "?dtype"}), sig("nabla.rand_like", "Tensor"),
    sig("nabla.bernoulli", "Tensor"), sig("nabla.manual_seed", "seed"), sig("Tensor.new_zeros", "shape"),
    sig("Tensor.new_full", "shape", "num"), sig("Tensor.new_tensor", "data"), sig("Tensor.fill_", "T"),
    sig("Tensor.zero_"), sig("Tensor.uniform_", "num", "num"), sig("Tensor.normal_", "num", "num"),
    sig("Tensor.random_", "?int", "?int"), sig("Tensor.bernoulli_", "p"), sig("Tensor.masked_select", "mask"),
    sig("Tensor.nonzero", kw={"as_tuple": "bool"}), sig("Tensor.equal", "Tany"),
    sig("Tensor.allclose", "Tensor", "num", "num", "bool"), sig("Tensor.outer", "Tany"),
    sig("Tensor.backward", "?Tensor"), sig("nabla.autograd.grad", "Tensor", "Tlist", kw={"allow_unused": "bool"}),
    sig("io.load", "path"), sig("io.load", "junk"), sig("nabla.save", "Tlist", "path"),
    sig("io.hooked_backward", "Tensor", "T"), sig("io.set_grad", "Tensor", "?T"),
]
NN = [
    sig("nabla.nn.functional.relu", "Tensor"), sig("nabla.nn.functional.linear", "Tensor", "Tmat", "?Tany", ndim=2),
    sig("nabla.nn.functional.dropout", "Tensor", "p", "bool"), sig("nabla.nn.functional.embedding", "idx", "Tensor",
                                                                    "?int", ndim=2),
    sig("nabla.nn.functional.layer_norm", "Tensor", "shape", "?Tany", "?Tany", "num"),
    sig("nabla.nn.functional.batch_norm", "Tensor", "?Tany", "?Tany", "?Tany", "?Tany", "bool", "num", "num",
        ndim=2),
    sig("nabla.nn.functional.pad", "Tensor", "shape", "str", "?num"),
    sig("nabla.nn.functional.conv2d", "Tensor", "Tany", "?Tany", "pair", "pair", "pair", "int", ndim=4),
    sig("nabla.nn.functional.max_pool2d", "Tensor", "pair", "?pair", "pair", "pair", ndim=4),
    sig("nabla.nn.functional.mse_loss", "Tensor", "Tensor", "str"),
    sig("nabla.nn.functional.l1_loss", "Tensor", "Tany", "str"),
    sig("nabla.nn.functional.nll_loss", "Tensor", "idx", "?Tany", "int", "str", ndim=2),
    sig("nabla.nn.functional.cross_entropy", "Tensor", "idx", "?Tany", "int", "str", "p", ndim=2),
    sig("nabla.nn.functional.binary_cross_entropy", "Tensor", "Tensor", "?Tensor", "str"),
    sig("nabla.nn.functional.binary_cross_entropy_with_logits", "Tensor", "Tensor", "?Tensor", "str", "?Tensor"),
    sig("nabla.nn.functional.one_hot", "idx", "int"),
    sig("nabla.nn.init.kaiming_uniform_", "Tensor", "num", "str", "str"),
    sig("nabla.nn.init.xavier_normal_", "Tensor", "num"), sig("nabla.nn.init.calculate_gain", "str", "?num"),
    sig("nabla.nn.init.constant_", "Tensor", "num"),
    sig("nabla.nn.utils.clip_grad_norm_", "Tlist", "num", "num", "bool"),
    sig("nabla.nn.Linear", "int", "int", "bool"), sig("nabla.nn.Conv2d", "int", "int", "pair", "pair", "pair"),
    sig("nabla.nn.Embedding", "int", "int", "?int"), sig("nabla.nn.LayerNorm", "shape", "num"),
    sig("nabla.nn.BatchNorm1d", "int"), sig("nabla.nn.MaxPool2d", "pair"),
    sig("io.optimizer_step", "str", "Tlist", kw={"lr": "num", "momentum": "num", "weight_decay": "num"}),
    sig("io.first_batch", "Tlist", kw={"batch_size": "int", "shuffle": "bool", "drop_last": "bool",
                                       "num_workers": "int"}),
]
OPTIMIZERS = st.sampled_from(["SGD", "Adam", "AdamW", "RMSprop"])


@st.composite
def calls(draw, signatures, receiver_shape, previous):
    """One step: a signature's call with arguments drawn for the receiver's shape. The receiver (the
    first argument of a Tensor.<method>, or a first "Tensor" slot) is sometimes a previous step's
    result, so views and in-place writes chain."""
    s = draw(st.sampled_from(signatures))
    shape = receiver_shape
    if s["ndim"] is not None and draw(st.booleans()):
        shape = draw(st.lists(st.integers(0, 4), min_size=s["ndim"], max_size=s["ndim"]))
    dtypes = FLOAT_DTYPES if s["f"].startswith("grad.") and draw(st.integers(0, 4)) else DTYPES
    receiver = ({"prev": previous} if previous is not None and draw(st.booleans())
                else draw(tensors(shape=shape, dtypes=dtypes)))
    slots = s["slots"]
    count = draw(st.integers(0, len(slots))) if draw(st.integers(0, 5)) == 0 else len(slots)
    args = [draw(argument(kind, shape)) for kind in slots[:count]]
    if s["f"] == "io.optimizer_step" and args:
        args[0] = draw(OPTIMIZERS)
    if s["f"].startswith(("Tensor.", "grad.")):
        args.insert(0, receiver)
    elif slots[:1] == ["Tensor"] and args and draw(st.integers(0, 5)) > 0:
        args[0] = receiver
    kw = {k: draw(argument(kind, shape)) for k, kind in s["kw"].items() if draw(st.booleans())}
    return {"f": s["f"], "args": args, "kw": kw}


@st.composite
def programs(draw, signatures):
    shape = draw(shapes())
    steps = []
    for i in range(draw(st.integers(1, 3))):
        steps.append(draw(calls(signatures, shape, i - 1 if i else None)))
    return {"steps": steps}


# ---------------------------------------------------------------------------------------------- the worker

class Worker:
    """A bad_input_worker.py process; run() answers a program's outcome, or None when the worker died
    or hung (the worker is then replaced, and `last_death` says how it went)."""

    def __init__(self, tmp_dir):
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), OMP_NUM_THREADS="1",
                        OPENBLAS_NUM_THREADS="1", NABLA_BAD_INPUT_TMP=str(tmp_dir))
        self.stderr_path = os.path.join(str(tmp_dir), "worker-stderr.txt")
        self.process = None
        self.last_death = ""

    def start(self):
        self.stderr = open(self.stderr_path, "w+")
        self.process = subprocess.Popen([sys.executable, WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.stderr, env=self.env, text=True, bufsize=1)

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process.stdin.close()
            self.process.stdout.close()
            self.stderr.close()
            self.process = None

    def run(self, program):
        if self.process is None:
            self.start()
        try:
            self.process.stdin.write(json.dumps(program) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass
        ready, _, _ = select.select([self.process.stdout], [], [], ANSWER_TIMEOUT_S)
        line = self.process.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        if ready:
            self.process.wait()
            how = f"died with exit status {self.process.returncode}"
        else:
            how = f"gave no answer within {ANSWER_TIMEOUT_S} s (hang)"
        self.stderr.seek(0)
        self.last_death = how + "; its stderr ends with:\n" + self.stderr.read()[-2000:]
        self.stop()
        return None


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    w = Worker(tmp_path_factory.mktemp("bad_input"))
    yield w
    w.stop()


def unkind_reason(answer):
    """Why an exception would leave a user stuck (None when it is a fine error)."""
    if answer["type"] not in KIND_EXCEPTIONS or answer["module"] != "builtins":
        return f"raised {answer['module']}.{answer['type']}, not one of {sorted(KIND_EXCEPTIONS)}"
    if not answer["msg"].strip():
        return f"raised {answer['type']} with an empty message"
    leaked = [m for m in LEAKED_CXX_MESSAGES if m in answer["msg"]]
    if leaked:
        return f"raised {answer['type']} with a C++ message that names neither the op nor the fix ({leaked[0]!r})"
    return None


def check(worker, program):
    answer = worker.run(program)
    replay = f"program: {json.dumps(program)}"
    assert answer is not None, f"the worker {worker.last_death}\n{replay}"
    if "ok" not in answer:
        reason = unkind_reason(answer)
        step = program["steps"][answer["step"]]["f"]
        assert reason is None, f"step {answer['step']} ({step}) {reason}: {answer['msg']!r}\n{replay}"


# NABLA_FUZZ_EXAMPLES lowers the count where each call is slow (`make check-asan` sets 60).
FUZZ_EXAMPLES = int(os.environ.get("NABLA_FUZZ_EXAMPLES", "300"))
FUZZ_SETTINGS = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck), print_blob=False)


# ---------------------------------------------------------------------------------------------- tests

def test_every_op_table_entry_is_fuzzed():
    _, unfuzzed = op_table_signatures()
    assert not unfuzzed, f"op table entries with no fuzz signature: {unfuzzed}; add them to OP_SIGNATURES"


def test_op_table_signatures_name_real_functions():
    calls_, _ = op_table_signatures()
    for s in calls_ + VIEWS + CONVERSIONS + CREATION + NN:
        target = s["f"]
        if target.startswith("Tensor."):
            assert hasattr(nabla.Tensor, target[len("Tensor."):]), target
        elif target.startswith("nabla."):
            obj = nabla
            for part in target.split(".")[1:]:
                obj = getattr(obj, part)


# Each family of calls is fuzzed on its own, so that every family gets FUZZ_EXAMPLES programs.
FUZZED_FAMILIES = {
    "op_table_ops": op_table_signatures()[0],
    "views_and_indexing": VIEWS + op_table_signatures()[0],
    "gradients": gradient_signatures(op_table_signatures()[0] + VIEWS),
    "conversions_devices_and_files": CONVERSIONS,
    "creation_and_in_place_fills": CREATION,
    "nn": NN,
}


@pytest.mark.parametrize("family", FUZZED_FAMILIES)
@FUZZ_SETTINGS
@given(data=st.data())
def test_family_never_crashes(worker, family, data):
    check(worker, data.draw(programs(FUZZED_FAMILIES[family]), label="program"))


@settings(max_examples=min(60, FUZZ_EXAMPLES), deadline=None, derandomize=True, database=None, print_blob=False)
@given(spec=st.fixed_dictionaries({
    "tensor": tensors().map(lambda t: t["tensor"]),
    "writes": st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
    "truncate": st.none() | st.integers(0, 400)}))
def test_hostile_files_never_crash(worker, spec):
    check(worker, {"steps": [{"f": "io.load", "args": [{"mutated_file": spec}]}]})


def _t(shape, dtype="float32", **spec):
    return {"tensor": dict(spec, shape=shape, dtype=dtype)}


def _call(f, *args, **kw):
    return {"steps": [{"f": f, "args": list(args), "kw": kw}]}


# Programs that crashed, or raised pybind11's "Unable to cast" RuntimeError, before python/src/ was
# fixed; they stay as regression tests.
FIXED = {
    # A Tensor given as a size: its rows were read through handles to objects already freed.
    "as_strided sizes from a tensor": _call("Tensor.as_strided", _t([4]), _t([3, 1], "float64"), [-1]),
    "layer_norm shape from a 2-D tensor": _call("nabla.nn.functional.layer_norm", _t([2, 2]), _t([4, 3], "uint8")),
    "size() of a float dim": _call("Tensor.size", _t([2]), 0.0),
    "stride() of a dim beyond int64": _call("Tensor.stride", _t([2]), -2**63 - 1),
    "roll by 2**63": _call("Tensor.roll", _t([]), 2**63),
    "index beyond int64": _call("py.setitem", _t([2]), {"tuple": [-2**63 - 1]}, 1.0),
    "slice bounds beyond int64": _call("py.getitem", _t([3]), {"slice": [2**64, -2**70, None]}),
    "fill_ with a string": _call("Tensor.fill_", _t([2]), "x"),
    "optimizer option of the wrong type": _call("io.optimizer_step", "SGD", [_t([2], requires_grad=True)], lr=0.1,
                                                momentum="x"),
    "hook returning a string": _call("io.hooked_backward", _t([2]), "junk"),
    "grad of another shape": _call("io.set_grad", _t([2]), _t([3])),
    "one_hot of a number": _call("nabla.nn.functional.one_hot", 3),
    # A float bound was truncated by int(), and inf raised OverflowError (torch: TypeError for any float).
    "randint with an infinite high": _call("nabla.randint", 2147483648, INF, []),
    # Every worker thread was started, beyond the number of batches: 2**31 of them went to std::bad_alloc.
    "DataLoader with 2**31 workers": _call("io.first_batch", [_t([1], "int64")], num_workers=2**31),
    # TensorDataset took a string and failed later with AttributeError (torch: TypeError).
    "TensorDataset of a string": _call("io.first_batch", "x"),
    # A message that quotes a value starting with a NUL byte reached Python empty (C strings end there).
    "mse_loss with a NUL-led reduction": _call("nabla.nn.functional.mse_loss", _t([]), _t([]), {"bytes": "00ff"}),
    # The same in tensor(): a list of 1-D tensors, whose rows were freed before they were read.
    "tensor() of a list of 1-D tensors": _call("nabla.tensor", [_t([3]), _t([3])]),
    # A list that contains itself: Python's recursion limit, not the C++ stack.
    "tensor() of a self-containing list": _call("io.self_containing_list"),
}


@pytest.mark.parametrize("program", FIXED.values(), ids=FIXED.keys())
def test_fixed_bad_inputs_raise_cleanly(worker, program):
    check(worker, program)
