"""The parts of Tensor written in Python: argument parsing that is not on a hot path, named tuples,
hooks, and aliases. Everything else is bound directly from C++ (python/src/)."""
import builtins
import collections

from . import _C, _creation
from ._C import Tensor

_max, _min, _sort, _topk = Tensor.max, Tensor.min, Tensor.sort, Tensor.topk


class return_types:
    """The named tuples some Tensor methods return (torch.return_types)."""
    max = collections.namedtuple("max", ["values", "indices"])
    min = collections.namedtuple("min", ["values", "indices"])
    sort = collections.namedtuple("sort", ["values", "indices"])
    topk = collections.namedtuple("topk", ["values", "indices"])


def _named(method, kind):
    def wrapper(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        return kind(*result) if type(result) is tuple else result

    wrapper.__name__ = method.__name__
    return wrapper


Tensor.max = _named(_max, return_types.max)
Tensor.min = _named(_min, return_types.min)
Tensor.sort = _named(_sort, return_types.sort)
Tensor.topk = _named(_topk, return_types.topk)


def _is_dtype(x):
    return isinstance(x, _C.dtype) or (isinstance(x, type) and x in (builtins.float, builtins.int, builtins.bool))


def to(self, *args, **kwargs):
    """to(dtype), to(device), to(device, dtype), to(other), with copy= and non_blocking= keywords."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg.device
        elif _is_dtype(arg):
            dtype = arg
        elif isinstance(arg, (str, _C.device)):
            device = arg
        elif arg is not None and not isinstance(arg, builtins.bool):
            raise TypeError(f"to() received an invalid argument of type {type(arg).__name__}")
    result = self
    if device is not None:
        result = result._to_device(_C.device(device) if isinstance(device, str) else device, False)
    if dtype is not None:
        result = result._to_dtype(dtype, False)
    if result.is_same(self):
        return self.clone() if copy else self
    return result


Tensor.to = to


class RemovableHandle:
    """What register_hook returns: remove() unregisters the hook."""

    def __init__(self, remove):
        self._remove = remove

    def remove(self):
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_hook(self, hook):
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    handle = self._register_hook(hook)
    return RemovableHandle(lambda: self._remove_hook(handle))


Tensor.register_hook = register_hook


def _format(self, spec):
    if self.dim() == 0:
        return self.item().__format__(spec)
    return object.__format__(self, spec)


Tensor.__format__ = _format
Tensor.__array_priority__ = 1000  # NumPy defers to Tensor's reflected operators


def _data_get(self):
    return self.detach()


def _data_set(self, value):
    self._set_data(value)


Tensor.data = property(_data_get, _data_set)


def _rebuild_tensor(array, dtype, device, requires_grad):
    """The other half of Tensor.__reduce_ex__: a tensor from the NumPy array of its values."""
    tensor = _C.from_numpy(array).to(device=device, dtype=getattr(_C, dtype))
    return tensor.requires_grad_() if requires_grad else tensor


def _reduce_ex(self, protocol):
    """pickle and copy.copy: the values as a NumPy array of their own (bfloat16, which NumPy lacks, as float32:
    exact), the dtype, the device and requires_grad."""
    values = self.detach().cpu()
    values = values.float() if values.dtype == _C.bfloat16 else values
    return _rebuild_tensor, (values.numpy().copy(), repr(self.dtype).split(".")[-1], str(self.device),
                             self.requires_grad)


def _deepcopy(self, memo):
    """copy.deepcopy, as PyTorch does it: graph leaves only; a clone with requires_grad and a copy of grad."""
    if not self.is_leaf:
        raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                           "protocol at the moment")
    if id(self) in memo:
        return memo[id(self)]
    from .autograd import no_grad
    with no_grad():
        result = self.clone()
    result.requires_grad_(self.requires_grad)
    if self.grad is not None:
        result.grad = _deepcopy(self.grad, memo)
    memo[id(self)] = result
    return result


Tensor.__reduce_ex__ = _reduce_ex
Tensor.__deepcopy__ = _deepcopy


def _size_arg(args):
    return args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def new_zeros(self, *size, dtype=None, requires_grad=False):
    return _creation.zeros(*_size_arg(size), dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, requires_grad=False):
    return _creation.ones(*_size_arg(size), dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, requires_grad=False):
    return _creation.empty(*_size_arg(size), dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_full(self, size, fill_value, dtype=None, requires_grad=False):
    return _C.full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def new_tensor(self, data, dtype=None, requires_grad=False):
    return _C.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


Tensor.new_zeros, Tensor.new_ones, Tensor.new_empty = new_zeros, new_ones, new_empty
Tensor.new_full, Tensor.new_tensor = new_full, new_tensor


_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "bfloat16": "BFloat16Tensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
    "bool": "BoolTensor", "uint16": "UInt16Tensor", "uint32": "UInt32Tensor", "uint64": "UInt64Tensor",
}


def type_(self, dtype=None):
    """t.type() names the tensor type ('nabla.FloatTensor'); t.type(dtype) converts."""
    if dtype is None:
        return "nabla." + _TYPE_NAMES[repr(self.dtype)[len("nabla."):]]
    return self.to(dtype)


Tensor.type = type_


_ALIASES = {
    "multiply": "mul", "multiply_": "mul_", "divide": "div", "divide_": "div_", "true_divide": "div",
    "subtract": "sub", "subtract_": "sub_", "negative": "neg", "negative_": "neg_", "absolute": "abs",
    "greater": "gt", "less": "lt", "greater_equal": "ge", "less_equal": "le", "not_equal": "ne",
    "clip": "clamp", "clip_": "clamp_", "concat": None, "arctan2": "atan2",
}
for _alias, _target in _ALIASES.items():
    if _target is not None:
        setattr(Tensor, _alias, getattr(Tensor, _target))
