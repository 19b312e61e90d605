"""nabla.nn.utils: gradient clipping."""
from .. import _C

clip_grad_norm_ = _C._nn.clip_grad_norm_
clip_grad_value_ = _C._nn.clip_grad_value_
