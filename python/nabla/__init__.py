"""nabla: tensors with PyTorch's semantics and names, on a C++ core.

``import nabla as torch`` runs PyTorch code that stays inside the supported set.
"""
import builtins as _builtins

from . import _C
from ._C import (Tensor, dtype, device, Generator, default_generator, manual_seed, initial_seed,
                 from_numpy, tensor, full, zeros_like, ones_like, empty_like, full_like,
                 rand_like, randn_like, randperm, bernoulli, arange, linspace, eye,
                 cat, concat, stack, where, addmm, unique, result_type, promote_types, can_cast, broadcast_shapes,
                 is_grad_enabled, read_idx, op_table, set_float32_matmul_precision, get_float32_matmul_precision)
from ._size import Size
from ._creation import zeros, ones, empty, rand, randn, randint
from . import _tensor
from ._tensor import return_types
from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode
from . import autograd, nn, optim, utils, cuda
from .serialization import save, load
from ._dlpack import from_dlpack

__version__ = "0.1.0"

bool = _C.bool
uint8, int8, int16, int32, int64 = _C.uint8, _C.int8, _C.int16, _C.int32, _C.int64
uint16, uint32, uint64 = _C.uint16, _C.uint32, _C.uint64
float16, bfloat16, float32, float64 = _C.float16, _C.bfloat16, _C.float32, _C.float64
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def get_default_dtype():
    return float32


def as_tensor(data, dtype=None, device=None):
    """Shares memory with `data` where it can (a Tensor or NumPy array of the requested dtype)."""
    if isinstance(data, Tensor):
        result = data
    elif type(data).__module__ == "numpy" and type(data).__name__ == "ndarray":
        try:
            result = from_numpy(data)
        except (TypeError, ValueError):
            result = tensor(data)
    else:
        return tensor(data, dtype=dtype, device=device)
    return result.to(device=device, dtype=dtype)


# torch.<op>(input, ...) for every Tensor method of the op table and the usual extras.
def _forwarder(name):
    method = getattr(Tensor, name)

    def op(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            input = tensor(input)
        return method(input, *args, **kwargs)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"nabla.{name}(input, ...) is input.{name}(...)"
    return op


_EXTRA_FUNCTIONS = [
    "add", "sub", "mul", "div", "true_divide", "clamp", "clip", "reshape", "transpose", "permute", "squeeze",
    "unsqueeze", "flatten", "split", "chunk", "narrow", "select", "t", "masked_select", "nonzero", "isnan", "isinf",
    "allclose", "equal", "logsumexp", "argsort", "sort", "topk", "max", "min", "var", "std", "norm", "cumsum",
    "cumprod", "softmax", "log_softmax", "gelu", "index_select", "gather", "scatter", "scatter_add", "masked_fill",
    "flip", "roll", "unbind", "diagonal", "detach", "clone", "dot", "outer", "matmul", "mm", "bmm", "mean", "sum",
    "prod", "argmax", "argmin", "amax", "amin", "all", "any", "neg", "abs", "exp", "log", "sqrt", "square",
    "multiply", "divide", "subtract", "negative", "greater", "less", "greater_equal", "less_equal", "not_equal",
    "absolute",
]
for _entry in _C.op_table():
    _name = _entry["name"]
    if hasattr(Tensor, _name) and _name not in globals():
        globals()[_name] = _forwarder(_name)
for _name in _EXTRA_FUNCTIONS:
    if hasattr(Tensor, _name) and _name not in globals():
        globals()[_name] = _forwarder(_name)
del _entry, _name
