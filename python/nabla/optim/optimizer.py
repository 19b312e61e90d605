"""The optimizers of torch.optim over nabla's fused C++ implementations."""
from collections.abc import MutableMapping

from .. import _C
from .._C import Tensor, float64, int64, tensor
from ..autograd import enable_grad

# Options PyTorch's optimizers record that nabla's have no use for (implementation choices).
_TORCH_ONLY_OPTIONS = {"foreach", "differentiable", "capturable", "fused"}


def _nested_state_dict(flat):
    """PyTorch's layout, {"state": {index: {name: tensor}}, "param_groups": [{option: value, "params": [index]}]},
    from the C++ optimizer's flat one ("state.0.momentum_buffer", "param_groups.0.lr": tensors only, so that C++
    saves it as safetensors)."""
    state, groups = {}, []
    for key, value in flat.items():
        section, index, name = key.split(".", 2)
        index = int(index)
        if section == "state":
            state.setdefault(index, {})[name] = value
            continue
        groups.extend({} for _ in range(index + 1 - len(groups)))
        if name == "params":
            groups[index][name] = value.tolist()
        else:
            groups[index][name] = value.item() if value.dim() == 0 else tuple(value.tolist())
    return {"state": state, "param_groups": groups}


def _flat_state_dict(state_dict):
    """The C++ optimizer's flat layout from PyTorch's; a flat dict (nabla's own layout) passes through."""
    if "state" not in state_dict or "param_groups" not in state_dict:
        return state_dict
    flat = {}
    for index, entries in state_dict["state"].items():
        for name, value in entries.items():
            if value is not None:
                flat[f"state.{index}.{name}"] = value if isinstance(value, Tensor) else tensor(value)
    for g, group in enumerate(state_dict["param_groups"]):
        for name, value in group.items():
            if name in _TORCH_ONLY_OPTIONS:
                continue
            if not isinstance(value, Tensor):
                dtype = int64 if name == "params" else None if isinstance(value, bool) else float64
                value = tensor(list(value) if isinstance(value, (list, tuple)) else value, dtype=dtype)
            flat[f"param_groups.{g}.{name}"] = value
    return flat


class _ParamGroup(MutableMapping):
    """One entry of optimizer.param_groups: a dict view whose option values live in the C++ optimizer."""

    def __init__(self, optimizer, index, params):
        self._optimizer, self._index, self._params, self._extra = optimizer, index, params, {}

    def _options(self):
        return self._optimizer._impl.group_options(self._index)

    def __getitem__(self, key):
        if key == "params":
            return self._params
        if key == "initial_lr":
            value = self._optimizer._impl.initial_lr(self._index)
            if value is None:
                raise KeyError(key)
            return value
        options = self._options()
        if key in options:
            return options[key]
        return self._extra[key]

    def __setitem__(self, key, value):
        if key == "params":
            raise KeyError("param_groups[i]['params'] cannot be replaced; use add_param_group")
        if key in self._options():
            self._optimizer._impl.set_group_option(self._index, key, value)
        else:
            self._extra[key] = value

    def __delitem__(self, key):
        del self._extra[key]

    def __iter__(self):
        yield "params"
        yield from self._options()
        yield from self._extra

    def __len__(self):
        return 1 + len(self._options()) + len(self._extra)

    def __repr__(self):
        return repr(dict(self))


def _param_list(params):
    if isinstance(params, Tensor):
        raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                        "a Tensor")
    return list(params)


class Optimizer:
    _factory = None

    def __init__(self, params, defaults):
        groups = _param_list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = dict(defaults)
        built = []
        for group in groups:
            group_params = group["params"]
            group_params = [group_params] if isinstance(group_params, Tensor) else list(group_params)
            built.append((group_params, {k: v for k, v in group.items() if k != "params"}))
        self._impl = type(self)._factory(built, self.defaults)
        self.param_groups = [_ParamGroup(self, i, params) for i, (params, _) in enumerate(built)]
        self.state = {}

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._impl.step()
        return loss

    def zero_grad(self, set_to_none=True):
        self._impl.zero_grad(set_to_none)

    def add_param_group(self, param_group):
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        self._impl.add_param_group(params, {k: v for k, v in param_group.items() if k != "params"})
        self.param_groups.append(_ParamGroup(self, len(self.param_groups), params))

    def state_dict(self):
        return _nested_state_dict(self._impl.state_dict())

    def load_state_dict(self, state_dict):
        self._impl.load_state_dict(_flat_state_dict(state_dict))

    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}"
            for key in sorted(k for k in group if k != "params"):
                text += f"\n    {key}: {group[key]}"
        return text + "\n)"


class SGD(Optimizer):
    _factory = _C._optim.SGD

    def __init__(self, params, lr=None, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False):
        if lr is None:
            raise TypeError("SGD.__init__() missing required argument: 'lr'")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))


class Adam(Optimizer):
    _factory = _C._optim.Adam

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))


class AdamW(Optimizer):
    _factory = _C._optim.AdamW

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))


class RMSprop(Optimizer):
    _factory = _C._optim.RMSprop

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False, foreach=None, differentiable=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))
