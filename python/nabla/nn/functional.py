"""nabla.nn.functional: the stateless forms of the layers and losses (torch.nn.functional)."""
from .. import _C, _creation

_F = _C._nn
gelu, sigmoid, tanh, linear, flatten, embedding, layer_norm, batch_norm, pad = (
    _F.gelu, _F.sigmoid, _F.tanh, _F.linear, _F.flatten, _F.embedding, _F.layer_norm, _F.batch_norm, _F.pad)
conv2d, max_pool2d, l1_loss, mse_loss, nll_loss, cross_entropy = (
    _F.conv2d, _F.max_pool2d, _F.l1_loss, _F.mse_loss, _F.nll_loss, _F.cross_entropy)
binary_cross_entropy, binary_cross_entropy_with_logits = _F.binary_cross_entropy, _F.binary_cross_entropy_with_logits


def relu(input, inplace=False):
    return input.relu_() if inplace else _F.relu(input)


def silu(input, inplace=False):
    return input.silu_() if inplace else input.silu()


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return _F.dropout(input, p, training)


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _F.softmax(input, _softmax_dim(input.dim()) if dim is None else dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _F.log_softmax(input, _softmax_dim(input.dim()) if dim is None else dim, dtype=dtype)


def one_hot(tensor, num_classes=-1):
    if not isinstance(tensor, _C.Tensor):
        raise TypeError(f"one_hot(): argument 'tensor' must be a Tensor of class indices, not {type(tensor).__name__}")
    if num_classes < 0:
        num_classes = int(tensor.max().item()) + 1
    out = _creation.zeros(*tensor.shape, num_classes, dtype=_C.int64)
    return out.scatter_(-1, tensor.unsqueeze(-1), 1)
