"""nabla.autograd: grad mode (no_grad, enable_grad, set_grad_enabled), backward and grad."""
import functools

from . import _C
from ._C import Tensor, is_grad_enabled


class _GradMode:
    """Sets grad mode for a `with` block, or for every call of a function it decorates."""

    mode = None

    def __enter__(self):
        self._previous = _C.is_grad_enabled()
        _C._set_grad_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._previous)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Ops inside record no graph: `with nabla.no_grad(): ...` or `@nabla.no_grad()`."""

    mode = False


class enable_grad(_GradMode):
    mode = True


class inference_mode(_GradMode):
    def __init__(self, mode=True):
        self.mode = not mode

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(not self.mode):
                return func(*args, **kwargs)

        return wrapper


class set_grad_enabled:
    """Sets grad mode now; used as a context manager, restores the previous mode on exit."""

    def __init__(self, mode):
        self._previous = _C.is_grad_enabled()
        self.mode = bool(mode)
        _C._set_grad_enabled(self.mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._previous)
        return False

    def __call__(self, func):
        _C._set_grad_enabled(self._previous)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return func(*args, **kwargs)

        return wrapper


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    _C._autograd_backward(_as_list(tensors), _as_list(grad_tensors), retain_graph, create_graph, _as_list(inputs))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    return _C._autograd_grad(_as_list(outputs), _as_list(inputs), _as_list(grad_outputs), retain_graph, create_graph,
                             allow_unused)
