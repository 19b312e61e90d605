"""nabla.nn.init: in-place initialisation (no graph recorded), with torch's formulas and streams."""
from .. import _C

_init = _C._nn.init
calculate_gain = _init.calculate_gain
_calculate_fan_in_and_fan_out = _init._calculate_fan_in_and_fan_out


def _returning_input(fn):
    def wrapper(tensor, *args, **kwargs):
        fn(tensor, *args, **kwargs)
        return tensor

    wrapper.__name__ = fn.__name__
    return wrapper


uniform_ = _returning_input(_init.uniform_)
normal_ = _returning_input(_init.normal_)
constant_ = _returning_input(_init.constant_)
ones_ = _returning_input(_init.ones_)
zeros_ = _returning_input(_init.zeros_)
kaiming_uniform_ = _returning_input(_init.kaiming_uniform_)
kaiming_normal_ = _returning_input(_init.kaiming_normal_)
xavier_uniform_ = _returning_input(_init.xavier_uniform_)
xavier_normal_ = _returning_input(_init.xavier_normal_)
