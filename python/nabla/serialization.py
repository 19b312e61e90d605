"""nabla.save / nabla.load: safetensors files (readable by nabla::load in C++ and by any safetensors
reader). The tensors of the saved object go in the file's tensors; its structure (nested dicts and
lists) and plain values (numbers, strings, None) go in the metadata as JSON."""
import collections
import json
import os

from . import _C
from ._C import Tensor

_LAYOUT_KEY = "nabla.python"


def _flatten(obj, path, tensors):
    if isinstance(obj, Tensor):
        key = "/".join(path) if path else "tensor"
        if key in tensors:
            raise ValueError(f"save: two tensors would be stored as '{key}' (a dict with both 1 and '1' as keys?)")
        tensors[key] = obj.detach()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        for name in obj:
            if not isinstance(name, (str, int)) or isinstance(name, bool):
                raise TypeError(f"save: dict keys must be strings or ints (got {type(name).__name__})")
        if all(isinstance(name, str) for name in obj):
            return {"__dict__": {name: _flatten(value, path + [name], tensors) for name, value in obj.items()}}
        # Int keys (an optimizer's state): (key, value) pairs, as JSON objects only have string keys.
        return {"__items__": [[name, _flatten(value, path + [str(name)], tensors)] for name, value in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"__list__": [_flatten(v, path + [str(i)], tensors) for i, v in enumerate(obj)],
                "tuple": isinstance(obj, tuple)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"__value__": obj}
    raise TypeError(f"save: cannot save an object of type {type(obj).__name__}; nabla.save takes tensors, "
                    "dicts, lists, tuples, numbers and strings")


def _unflatten(layout, tensors):
    if "__tensor__" in layout:
        return tensors[layout["__tensor__"]]
    if "__dict__" in layout:
        return collections.OrderedDict((k, _unflatten(v, tensors)) for k, v in layout["__dict__"].items())
    if "__items__" in layout:
        return collections.OrderedDict((k, _unflatten(v, tensors)) for k, v in layout["__items__"])
    if "__list__" in layout:
        items = [_unflatten(v, tensors) for v in layout["__list__"]]
        return tuple(items) if layout.get("tuple") else items
    return layout["__value__"]


def save(obj, f):
    """Saves a state dict (or any nesting of dicts/lists of tensors and plain values) to the path f."""
    tensors = {}
    layout = _flatten(obj, [], tensors)
    _C._save(tensors, os.fspath(f), {_LAYOUT_KEY: json.dumps(layout)})


def load(f, map_location=None, weights_only=False):
    """Loads what save() wrote; a safetensors file from elsewhere loads as an OrderedDict of tensors."""
    tensors, metadata = _C._load(os.fspath(f))
    if _LAYOUT_KEY in metadata:
        return _unflatten(json.loads(metadata[_LAYOUT_KEY]), tensors)
    return collections.OrderedDict(tensors)
