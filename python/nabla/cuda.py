"""nabla.cuda: the GPU device API, as torch.cuda spells it. Every function answers on a machine without a
GPU (or a build without CUDA): is_available() is False, device_count() is 0, the memory statistics are 0,
and current_device()/set_device() raise, saying why."""
from . import _C

_cuda = _C._cuda


def _index(device):
    """The device index of an int, "cuda:N", a nabla.device or None (None: the current device, as -1)."""
    if device is None:
        return -1
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _C.device(device)
    if isinstance(device, _C.device):
        if device.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {device}")
        return -1 if device.index is None else device.index
    raise TypeError(f"expected a device index, a device string or a nabla.device, got {type(device).__name__}")


def is_available():
    return _cuda.is_available()


def unavailable_reason():
    """Why is_available() is False ("" when it is True): no CUDA in this build, or no GPU visible."""
    return _cuda.unavailable_reason()


def device_count():
    return _cuda.device_count()


def current_device():
    return _cuda.current_device()


def set_device(device):
    index = _index(device)
    if index >= 0:
        _cuda.set_device(index)


def synchronize(device=None):
    """Waits for all work nabla queued on the GPUs."""
    _index(device)
    _cuda.synchronize()


def manual_seed(seed):
    _cuda.manual_seed(int(seed))


def manual_seed_all(seed):
    _cuda.manual_seed_all(int(seed))


def memory_allocated(device=None):
    return _cuda.memory_allocated(_index(device))


def memory_reserved(device=None):
    return _cuda.memory_reserved(_index(device))


def max_memory_allocated(device=None):
    return _cuda.max_memory_allocated(_index(device))


def reset_peak_memory_stats(device=None):
    _cuda.reset_peak_memory_stats(_index(device))


def empty_cache():
    _cuda.empty_cache()


class device:
    """with nabla.cuda.device(i): makes device i current inside the block."""

    def __init__(self, device):
        self.index = _index(device)
        self.previous = -1

    def __enter__(self):
        if self.index >= 0:
            self.previous = _cuda.current_device()
            _cuda.set_device(self.index)

    def __exit__(self, *exc):
        if self.previous >= 0:
            _cuda.set_device(self.previous)
        return False
