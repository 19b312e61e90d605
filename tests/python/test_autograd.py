"""Autograd from Python against PyTorch 1.13: gradients of every differentiable op of the op table (random float64
inputs, summed against a random weight), hooks, retain_grad, grad modes, autograd.grad and higher order."""
import numpy as np
import pytest
import torch

import nabla
from conftest import assert_same
from test_ops import OPS, SPELLING, call

# Inputs kept inside each op's domain, so the gradients are finite.
POSITIVE = {"log", "log1p", "log2", "sqrt", "rsqrt", "reciprocal", "pow", "div", "div_floor", "div_trunc",
            "remainder", "fmod", "atan2"}
SKIP = {"round", "floor", "ceil", "trunc", "sign", "div_floor", "div_trunc", "floor_divide", "remainder", "fmod",
        "maximum", "minimum", "max", "min", "amax", "amin", "clamp", "abs", "relu"}  # kinks: compared elsewhere


def pair(rng, shape, positive):
    values = rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)
    return (nabla.tensor(values, dtype=nabla.float64, requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op["differentiable"] and op["kind"] in
                                  ("unary", "binary", "reduction", "scan") and n not in SKIP])
def test_gradients_match_torch(name, rng):
    op = OPS[name]
    shapes = [(3, 4)] * op["arity"]
    inputs = [pair(rng, s, name in POSITIVE) for s in shapes]
    n_out = call(name, nabla, *[p[0] for p in inputs])
    t_out = call(name, torch, *[p[1] for p in inputs])
    weight = rng.standard_normal(tuple(t_out.shape))
    (n_out * nabla.tensor(weight)).sum().backward()
    (t_out * torch.tensor(weight)).sum().backward()
    for n_in, t_in in inputs:
        assert_same(n_in.grad, t_in.grad, rtol=1e-6, atol=1e-8)


def test_piecewise_gradients_match_torch():
    x = [-1.5, -0.5, 0.25, 2.0]
    for expr in ["x.abs()", "x.relu()", "x.clamp(-1, 1)", "x.max()", "x.amax(0)", "x.maximum(x * 0.5)"]:
        n, t = nabla.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        eval(expr, {"x": n}).sum().backward()
        eval(expr, {"x": t}).sum().backward()
        assert_same(n.grad, t.grad)


def test_matmul_and_views_gradients(rng):
    a, ta = pair(rng, (3, 4), False)
    b, tb = pair(rng, (4, 5), False)
    (a.T.T @ b)[1:, ::2].sum().backward()
    (ta.T.T @ tb)[1:, ::2].sum().backward()
    assert_same(a.grad, ta.grad)
    assert_same(b.grad, tb.grad)


@pytest.mark.parametrize("expr", ["x[1:4]", "x[-2]", "x[::2]", "x.view(2, 3)[1]", "x.view(2, 3).t()[1:, :1]",
                                  "x.narrow(0, 1, 3)", "x.unfold(0, 2, 1)", "x.view(2, 3).select(1, 2)"])
def test_views_of_reversed_numpy_arrays_backpropagate(expr):
    """from_numpy keeps a reversed array's negative stride (torch refuses one); the views of such a leaf pass
    their gradient back like the same views of torch's copy."""
    values = np.linspace(-1, 2, 6)[::-1]
    ours = nabla.from_numpy(values).requires_grad_()
    theirs = torch.tensor(values.copy(), requires_grad=True)
    assert ours.stride() == (-1,)
    for m, x in ((nabla, ours), (torch, theirs)):
        view = eval(expr, {"x": x})
        (view * m.tensor(np.arange(view.numel()).reshape(tuple(view.shape)))).sum().backward()
    assert_same(ours.grad, theirs.grad)


def test_leaf_state_grad_fn_and_requires_grad():
    x = nabla.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and x.grad_fn is None
    assert y.grad_fn.name() == "MulBackward0" and y.requires_grad
    assert "MulBackward0" in repr(y.grad_fn)
    z = nabla.ones(2)
    assert not z.requires_grad
    z.requires_grad = True
    assert z.requires_grad and z.requires_grad_(False) is z and not z.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    x.grad = None
    assert x.grad is None
    d = y.detach()
    assert not d.requires_grad and d.data_ptr() == y.data_ptr()


def test_backward_arguments():
    x = nabla.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(nabla.tensor([1.0, 0.5, 0.0]), retain_graph=True)
    assert x.grad.tolist() == [2.0, 2.0, 0.0]
    y.backward(gradient=nabla.ones(3))
    assert x.grad.tolist() == [4.0, 6.0, 6.0]
    with pytest.raises(RuntimeError):
        y.backward(nabla.ones(3))  # the graph was freed
    with pytest.raises(RuntimeError):
        (x * 2).backward()  # not a scalar: needs a gradient


def test_create_graph_and_autograd_grad():
    x = nabla.tensor(3.0, requires_grad=True)
    y = x ** 3
    (dx,) = nabla.autograd.grad(y, x, create_graph=True)
    assert dx.item() == 27.0
    (ddx,) = nabla.autograd.grad(dx, x)
    assert ddx.item() == 18.0
    a, b = nabla.tensor(1.0, requires_grad=True), nabla.tensor(2.0, requires_grad=True)
    ga, gb = nabla.autograd.grad(a * b, [a, b])
    assert (ga.item(), gb.item()) == (2.0, 1.0) and a.grad is None
    unused = nabla.tensor(1.0, requires_grad=True)
    assert nabla.autograd.grad(a * 2, [a, unused], allow_unused=True)[1] is None


def test_hooks_and_retain_grad():
    x = nabla.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 3
    y.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    w = y * 2
    w.retain_grad()
    w.sum().backward()
    assert seen == [[60.0, 60.0]] and x.grad.tolist() == [60.0, 60.0]
    assert w.grad.tolist() == [1.0, 1.0] and w.retains_grad and not y.retains_grad
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert seen == [[60.0, 60.0]]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        nabla.ones(1).register_hook(lambda g: g)


def test_grad_modes_as_context_managers_and_decorators():
    x = nabla.ones(2, requires_grad=True)
    with nabla.no_grad():
        assert not (x * 2).requires_grad and not nabla.is_grad_enabled()
        with nabla.enable_grad():
            assert (x * 2).requires_grad
    assert nabla.is_grad_enabled()

    @nabla.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad and nabla.is_grad_enabled()
    with nabla.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert nabla.is_grad_enabled()
    nabla.set_grad_enabled(False)
    assert not nabla.is_grad_enabled()
    nabla.set_grad_enabled(True)
    with nabla.inference_mode():
        assert not (x * 2).requires_grad


def test_inplace_on_saved_tensor_raises():
    x = nabla.ones(3, requires_grad=True)
    y = x.exp()
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
