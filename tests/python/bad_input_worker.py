"""The process that test_bad_input.py feeds with generated programs, apart from pytest so that a crash
(a signal, an abort) or a hang in nabla kills only this process and the test can name the program.

A program is JSON: {"steps": [{"f": target, "args": [...], "kw": {...}}, ...]}. Values are plain JSON
or one-key objects that build Python values (see `build`). Each program is answered with one line:
{"ok": true} or {"step": i, "type": exception type name, "module": its module, "msg": its message}.

    python3 bad_input_worker.py                 serve programs from stdin (what the test runs)
    python3 bad_input_worker.py '<program>'     run one program in this process, to reproduce a crash
"""
import json
import math
import operator
import os
import resource
import sys
import tempfile

import warnings

import numpy as np

# A memory cap turns huge allocations into errors instead of the machine's OOM killer, and keeps
# a size overflow that slips through from paging in terabytes. Under AddressSanitizer (`make
# check-asan` preloads its runtime) the cap would deny ASan its shadow memory; its allocator refuses
# huge requests itself there (allocator_may_return_null).
_MEMORY_LIMIT = 3 << 30
if "asan" not in os.environ.get("LD_PRELOAD", ""):
    resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, _MEMORY_LIMIT))

warnings.simplefilter("ignore")  # NumPy's cast warnings while filling tensors with extremes are expected
import nabla  # noqa: E402  (after the memory cap: the cap must hold for nabla's own allocations)
import nabla.nn.functional  # noqa: E402,F401

# Files that save/load steps write: the test's tmp dir, or a fresh one when a program is replayed by hand.
_TMP = os.environ.get("NABLA_BAD_INPUT_TMP") or tempfile.mkdtemp(prefix="nabla-bad-input-")
_NP_DTYPES = {"bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32,
              "int64": np.int64, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
              "float16": np.float16, "float32": np.float32, "float64": np.float64}


def values(shape, dtype, fill, seed):
    """A NumPy array of `shape` for a nabla dtype (bfloat16 as float32), filled as `fill` says."""
    rng = np.random.default_rng(seed)
    n = math.prod(shape)
    np_dtype = _NP_DTYPES.get(dtype, np.float32)
    if fill == "special":  # the values that break naive kernels: NaN, infinities, extremes, 0, -1
        if np.issubdtype(np_dtype, np.floating):
            pool = [np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, 1e30, -1e-30]
        elif np_dtype == np.bool_:
            pool = [False, True]
        else:
            info = np.iinfo(np_dtype)
            pool = [int(info.min), int(info.max), 0, 1, -1 if info.min < 0 else 2]
        flat = np.array(pool, dtype=np_dtype)[rng.integers(len(pool), size=n)]
    elif fill == "small_ints":  # usable as indices, and zeros for divisions
        flat = rng.integers(-3, 4, size=n)
    else:
        flat = rng.standard_normal(n) * 3
    if fill != "special":
        unsigned = np.issubdtype(np_dtype, np.unsignedinteger) or np_dtype == np.bool_
        flat = (np.abs(flat) if unsigned else flat).astype(np_dtype)
    return flat.reshape(shape)


def make_tensor(shape, dtype="float32", fill="normal", seed=0, layout="contiguous", requires_grad=False):
    """A tensor of `shape` and `dtype` whose memory has the given layout: contiguous, transposed
    (the last two dims swapped in memory), strided (every other element), expanded (stride 0 in dim 0)
    or offset (a view that starts inside its storage)."""
    shape = list(shape)
    if layout == "transposed" and len(shape) >= 2:
        base_shape = shape[:-2] + [shape[-1], shape[-2]]
        t = nabla.tensor(values(base_shape, dtype, fill, seed)).transpose(-1, -2)
    elif layout == "strided" and shape:
        t = nabla.tensor(values(shape[:-1] + [2 * shape[-1]], dtype, fill, seed))[..., ::2]
    elif layout == "expanded" and shape:
        t = nabla.tensor(values([1] + shape[1:], dtype, fill, seed)).expand(*shape)
    elif layout == "offset":
        n = math.prod(shape)
        t = nabla.tensor(values([n + 3], dtype, fill, seed))[3:].view(*shape)
    else:
        t = nabla.tensor(values(shape, dtype, fill, seed))
    t = t.to(getattr(nabla, dtype))
    if requires_grad:
        t.requires_grad_()
    return t


def make_ndarray(shape, dtype="float32", seed=0, layout="contiguous", byteorder="="):
    """A NumPy array with the given dtype (NumPy's name: complex and object arrays too), layout
    (negative strides, zero strides, misaligned, read-only) and byte order."""
    n = math.prod(shape)
    if dtype == "object":
        a = np.array([object() for _ in range(n)] + [None], dtype=object)[:n].reshape(shape)
    else:
        a = (np.random.default_rng(seed).standard_normal(n) * 3).astype(dtype).reshape(shape)
    if byteorder != "=" and a.dtype.itemsize > 1 and dtype != "object":
        a = a.astype(a.dtype.newbyteorder(byteorder))
    if layout == "reversed" and a.ndim:
        a = a[::-1]
    elif layout == "broadcast" and a.ndim:
        a = np.broadcast_to(a[:1], a.shape)
    elif layout == "misaligned" and dtype != "object":
        raw = np.zeros(a.nbytes + 1, dtype=np.uint8)[1:]
        a = raw.view(a.dtype).reshape(a.shape) if a.nbytes else a
    elif layout == "readonly":
        a.setflags(write=False)
    return a


def mutated_file(spec):
    """The bytes of a file nabla.save wrote, then truncated and overwritten as the program says."""
    path = os.path.join(_TMP, "mutated.safetensors")
    nabla.save({"w": make_tensor(**spec["tensor"]), "n": 3}, path)
    with open(path, "rb") as f:
        data = bytearray(f.read())
    for position, byte in spec["writes"]:
        if data:
            data[position % len(data)] = byte
    if spec.get("truncate") is not None:
        data = data[:spec["truncate"]]
    with open(path, "wb") as f:
        f.write(bytes(data))
    return path


def build(v, results):
    """The Python value a JSON value of a program stands for."""
    if isinstance(v, list):
        return [build(x, results) for x in v]
    if not isinstance(v, dict):
        return v
    (kind, arg), = v.items()
    if kind == "tensor":
        return make_tensor(**arg)
    if kind == "ndarray":
        return make_ndarray(**arg)
    if kind == "tuple":
        return tuple(build(x, results) for x in arg)
    if kind == "dict":
        return {k: build(x, results) for k, x in arg.items()}
    if kind == "dtype":
        return {"float": float, "int": int, "bool": bool}.get(arg) or getattr(nabla, arg)
    if kind == "np_dtype":
        return np.dtype(arg)
    if kind == "device":
        return nabla.device(*arg)
    if kind == "slice":
        return slice(*build(arg, results))
    if kind == "ellipsis":
        return Ellipsis
    if kind == "object":
        return object()
    if kind == "bytes":
        return bytes.fromhex(arg)
    if kind == "prev":
        return results[arg]
    if kind == "generator":
        return nabla.Generator().manual_seed(arg)
    if kind == "mutated_file":
        return mutated_file(arg)
    raise ValueError(f"unknown value kind {kind!r}")


def save_load(obj):
    path = os.path.join(_TMP, "roundtrip.safetensors")
    nabla.save(obj, path)
    return nabla.load(path)


def optimizer_step(name, params, **options):
    """One optimizer step over `params` after a backward pass, the way a training loop runs it."""
    optimizer = getattr(nabla.optim, name)(params, **options)
    optimizer.zero_grad()
    losses = [p.square().sum() for p in params if p.requires_grad]
    if losses:  # with no parameter that requires grad, the step has no gradient to apply
        sum(losses[1:], losses[0]).backward()
    optimizer.step()
    return params


def first_batch(dataset_tensors, **options):
    """The loader's first batch; None when it has none (an empty dataset, as in torch, yields no batch)."""
    loader = nabla.utils.data.DataLoader(nabla.utils.data.TensorDataset(*dataset_tensors), **options)
    return next(iter(loader), None)


def require_tensor(x, helper):
    """The composite helpers below take a tensor; anything else is a malformed program, not a nabla error."""
    if not isinstance(x, nabla.Tensor):
        raise TypeError(f"bad program: {helper} needs a tensor, got {type(x).__name__}")


def backward_through(method, x, *args, **kwargs):
    """x.<method>(*args) on a leaf that requires grad, then backward from every output that has a graph:
    the gradient formulas meet the same odd shapes, dtypes and layouts as the forward."""
    require_tensor(x, "grad." + method)
    if x.is_floating_point():
        x = x.detach().requires_grad_()
    outputs = getattr(x, method)(*args, **kwargs)
    outputs = outputs if isinstance(outputs, (tuple, list)) else [outputs]
    for out in outputs:
        if isinstance(out, nabla.Tensor) and out.requires_grad:
            out.backward(nabla.ones_like(out), retain_graph=True)
    return x.grad


def hooked_backward(x, hook_result):
    """A backward pass through a hook that returns `hook_result` (a tensor of any shape, or junk)."""
    require_tensor(x, "hooked_backward")
    x = x.detach().requires_grad_()
    x.register_hook(lambda grad: hook_result)
    (x * 2).sum().backward()
    return x.grad


def set_grad(x, grad):
    require_tensor(x, "set_grad")
    if x.is_floating_point():
        x.requires_grad_()
    x.grad = grad
    return x.grad


def self_containing_list():
    """nabla.tensor of a list that holds itself: nesting without end."""
    looped = [1.0]
    looped.append(looped)
    return nabla.tensor(looped)


# Targets that are not an attribute path: Python's protocols and composite actions.
_SPECIAL = {
    "py.len": len, "py.list": list, "py.bool": bool, "py.int": int, "py.float": float, "py.repr": repr,
    "py.format": format, "py.getitem": operator.getitem, "py.setitem": operator.setitem,
    "py.array": np.asarray, "io.save_load": save_load, "io.load": lambda path: nabla.load(path),
    "io.optimizer_step": optimizer_step, "io.first_batch": first_batch,
    "py.attr": getattr, "io.hooked_backward": hooked_backward, "io.set_grad": set_grad,
    "io.self_containing_list": self_containing_list,
}


def resolve(target, args):
    """The callable a step names, and its positional arguments."""
    if target in _SPECIAL:
        return _SPECIAL[target], args
    if target.startswith("grad."):
        return (lambda *a, **k: backward_through(target[len("grad."):], *a, **k)), args
    if target.startswith("Tensor."):
        require_tensor(args[0], target)
        return getattr(args[0], target[len("Tensor."):]), args[1:]
    if target.startswith("operator."):
        return getattr(operator, target[len("operator."):]), args
    obj = nabla
    for part in target.split(".")[1:]:
        obj = getattr(obj, part)
    return obj, args


def consume(result):
    """Reads every part of a result, so that a result with broken geometry fails here and not later."""
    if isinstance(result, nabla.Tensor):
        repr(result)
        result.contiguous()
    elif isinstance(result, (tuple, list)):
        for r in result:
            consume(r)
    elif isinstance(result, dict):
        for r in result.values():
            consume(r)


def run(program):
    """Runs a program's steps in order; the first Exception ends it and is described."""
    results = []
    for i, step in enumerate(program["steps"]):
        try:
            args = build(step.get("args", []), results)
            kwargs = build({"dict": step.get("kw", {})}, results)
            fn, args = resolve(step["f"], args)
            result = fn(*args, **kwargs)
            consume(result)
        except Exception as e:  # noqa: BLE001 -- every exception is an answer; the test judges its kind
            return {"step": i, "type": type(e).__name__, "module": type(e).__module__, "msg": str(e)}
        results.append(result)
    return {"ok": True}


def serve():
    for line in sys.stdin:
        reply = run(json.loads(line))
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(run(json.loads(sys.argv[1]))))
    else:
        serve()
