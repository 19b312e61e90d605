"""nabla on CUDA from Python: each result against nabla on the CPU and, where torch.cuda is available, against
PyTorch on the GPU; autograd, an nn training step, device moves and objects, DLPack exchange with PyTorch without
copies, memory statistics. Skipped, saying why, where nabla has no GPU."""
import numpy as np
import pytest
import torch

import nabla

pytestmark = pytest.mark.skipif(not nabla.cuda.is_available(),
                                reason="no CUDA device: " + nabla.cuda.unavailable_reason())
torch_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="PyTorch has no CUDA here")


def cpu_np(t):
    return t.detach().cpu().float().numpy() if t.dtype in (nabla.bfloat16, torch.bfloat16) else t.detach().cpu().numpy()


def assert_close(actual, expected, rtol=1.3e-6, atol=1e-5):
    """nabla CUDA tensor `actual` against a nabla CPU tensor or a torch tensor: device, shape, values."""
    assert actual.is_cuda, f"result on {actual.device}"
    assert tuple(actual.shape) == tuple(expected.shape)
    a, e = cpu_np(actual), cpu_np(expected)
    if a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer):
        np.testing.assert_array_equal(a, e)
    else:
        np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)


def data(shape, seed, dtype=np.float32, lo=-3, hi=3):
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


# Expressions both libraries spell the same way: (name, fn(m, a, b)).
EXPRESSIONS = [
    ("add", lambda m, a, b: a + b),
    ("mul broadcast", lambda m, a, b: a * b[0]),
    ("div", lambda m, a, b: a / (b.abs() + 1)),
    ("pow", lambda m, a, b: a.abs() ** 1.5),
    ("exp/tanh", lambda m, a, b: m.exp(a.tanh())),
    ("sigmoid strided", lambda m, a, b: m.sigmoid(a.t())),
    ("where", lambda m, a, b: m.where(a > b, a, b)),
    ("sum", lambda m, a, b: a.sum()),
    ("sum dim", lambda m, a, b: a.sum(0)),
    ("mean keepdim", lambda m, a, b: a.mean(1, keepdim=True)),
    ("amax", lambda m, a, b: a.amax(1)),
    ("argmax", lambda m, a, b: a.argmax(1)),
    ("var", lambda m, a, b: a.var(0)),
    ("softmax", lambda m, a, b: m.softmax(a, -1)),
    ("log_softmax", lambda m, a, b: m.log_softmax(a, 0)),
    ("cumsum", lambda m, a, b: m.cumsum(a, 1)),
    ("matmul", lambda m, a, b: a @ b.t()),
    ("sort", lambda m, a, b: m.sort(a, 1)[0]),
    ("topk", lambda m, a, b: m.topk(a, 3)[0]),
    ("index_select", lambda m, a, b: a.index_select(0, m.tensor([3, 0, 0, 7]).to(a.device))),
    ("gather", lambda m, a, b: a.gather(1, (b.abs() * 3).long() % a.shape[1])),
    ("getitem", lambda m, a, b: a[1:7:2, m.tensor([0, 2]).to(a.device)]),
    ("masked_fill", lambda m, a, b: a.masked_fill(a > 1, 0.5)),
    ("cat", lambda m, a, b: m.cat([a, b], 0)),
    ("int ops", lambda m, a, b: (a * 10).long() // 3 + (b * 10).long() % 7),
    ("comparison", lambda m, a, b: (a >= b) & (a < 1)),
    ("half", lambda m, a, b: (a.half() * b.half()).sum(1)),
    ("bfloat16 matmul", lambda m, a, b: a.bfloat16() @ b.bfloat16().t()),
]


@pytest.mark.parametrize("name,fn", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_ops_match_cpu_and_torch(name, fn):
    a_np, b_np = data((8, 5), 1), data((8, 5), 2)
    a, b = nabla.tensor(a_np), nabla.tensor(b_np)
    got = fn(nabla, a.cuda(), b.cuda())
    low = "half" in name or "bfloat16" in name
    rtol, atol = (2e-2, 5e-2) if low else (1e-5, 1e-5)
    assert_close(got, fn(nabla, a, b), rtol, atol)
    if torch.cuda.is_available():
        expected = fn(torch, torch.tensor(a_np, device="cuda"), torch.tensor(b_np, device="cuda"))
        assert_close(got, expected, rtol, atol)


def test_device_objects_and_moves():
    assert nabla.cuda.device_count() >= 1
    assert nabla.cuda.current_device() == 0
    d = nabla.device("cuda:0")
    assert d.type == "cuda" and d.index == 0 and str(d) == "cuda:0"
    assert nabla.device("cuda").type == "cuda"
    t = nabla.tensor([[1.0, 2.0], [3.0, 4.0]])
    g = t.cuda()
    assert g.is_cuda and not t.is_cuda
    assert g.device == d
    for moved in (t.to("cuda:0"), t.to(nabla.device("cuda")), t.to("cuda"), t.to(device="cuda")):
        assert moved.is_cuda
        assert np.array_equal(moved.cpu().numpy(), t.numpy())
    h = t.to("cuda", nabla.float64)
    assert h.is_cuda and h.dtype == nabla.float64
    assert not g.cpu().is_cuda
    assert g.sum().item() == 10.0
    assert (g * 2).cpu().tolist() == [[2.0, 4.0], [6.0, 8.0]]
    with pytest.raises(RuntimeError, match="same device"):
        t + g
    with pytest.raises(RuntimeError, match="invalid device"):
        t.to("cuda:7")


def test_autograd_matches_cpu_and_torch():
    x_np, w_np = data((6, 4), 3, np.float64), data((4, 3), 4, np.float64)

    def run(m, device):
        x = m.tensor(x_np).to(device).requires_grad_()
        w = m.tensor(w_np).to(device).requires_grad_()
        loss = (m.log_softmax(m.relu(x @ w), 1) * x[:, :3].sigmoid()).sum() + (w.exp() ** 2).mean()
        loss.backward()
        return loss, x.grad, w.grad

    got = run(nabla, "cuda")
    for expected in [run(nabla, "cpu")] + ([run(torch, "cuda")] if torch.cuda.is_available() else []):
        for g, e in zip(got, expected):
            assert_close(g, e, 1e-10, 1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
@pytest.mark.parametrize("shape", [(33, 10), (9, 5000), (4, 7, 3)], ids=str)
def test_fused_cross_entropy_matches_cpu_and_torch(shape, dtype):
    """The fused cross-entropy kernels (a warp per row, a block per 5000-class row, a K-dim input) against the CPU
    kernels, against torch on the GPU, and against float64 on the CPU, for every option that changes the formula."""
    rng = np.random.default_rng(shape[1])
    classes = shape[1]

    def representable(a):  # the float64 reference starts from the values the low-precision runs see
        return torch.tensor(a).to(getattr(torch, dtype)).double().numpy()

    x_np = representable(rng.standard_normal(shape) * 3)
    y_np = rng.integers(0, classes, (shape[0],) + shape[2:])
    y_np.flat[::4] = 1
    w_np = representable(rng.uniform(0.2, 2, classes))
    options = [dict(), dict(weight=True), dict(ignore_index=1, reduction="sum"),
               dict(weight=True, label_smoothing=0.2, reduction="none"), dict(ignore_index=1, label_smoothing=0.1)]

    def run(m, device, dt, option):
        kwargs = dict(option)
        if kwargs.pop("weight", False):
            kwargs["weight"] = m.tensor(w_np).to(dt).to(device)
        x = m.tensor(x_np).to(dt).to(device).requires_grad_()
        loss = m.nn.functional.cross_entropy(x, m.tensor(y_np).to(device), **kwargs)
        upstream = m.tensor(representable(np.linspace(0.5, 1.5, loss.numel()).reshape(tuple(loss.shape))))
        loss.backward(upstream.to(dt).to(device))
        return loss, x.grad

    low = dtype == "bfloat16"
    for option in options:
        got = run(nabla, "cuda", getattr(nabla, dtype), option)
        exact = run(torch, "cpu", torch.float64, option)
        references = [(run(nabla, "cpu", getattr(nabla, dtype), option), 2.0 ** -7 if low else 1e-5)]
        if torch.cuda.is_available() and not low:
            references.append((run(torch, "cuda", getattr(torch, dtype), option), 1e-5))
        for ours, reference, tol in [(g, e, t) for r, t in references for g, e in zip(got, r)] + \
                                    [(g, e.to(getattr(torch, dtype)), 2.0 ** -7 if low else 1e-5)
                                     for g, e in zip(got, exact)]:
            assert_close(ours, reference, rtol=tol, atol=1e-6)


def test_fused_cross_entropy_refuses_bad_targets_on_the_gpu():
    logits = nabla.zeros(4, 3).cuda()
    with pytest.raises(IndexError, match=r"cross_entropy: Target 5 is out of bounds \(3 classes\)"):
        nabla.nn.functional.cross_entropy(logits, nabla.tensor([0, 5, 1, -2]).cuda())
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        nabla.nn.functional.cross_entropy(logits, nabla.tensor([0, 1, 1, 2]))


def test_nn_training_step_matches_torch():
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    model = nabla.nn.Sequential(nabla.nn.Linear(10, 16), nabla.nn.ReLU(), nabla.nn.Linear(16, 3))
    model.load_state_dict({k: nabla.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    cpu_model = nabla.nn.Sequential(nabla.nn.Linear(10, 16), nabla.nn.ReLU(), nabla.nn.Linear(16, 3))
    cpu_model.load_state_dict(model.state_dict())
    model.to("cuda")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    ref.to(device)
    x_np, y_np = data((32, 10), 5), np.random.default_rng(6).integers(0, 3, 32)
    runs = [(model, nabla, "cuda"), (cpu_model, nabla, "cpu"), (ref, torch, device)]
    losses = []
    for net, m, dev in runs:
        opt = m.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        x, y = m.tensor(x_np).to(dev), m.tensor(y_np).to(dev)
        for _ in range(3):
            loss = m.nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        losses.append(loss)
    assert losses[0].is_cuda
    for expected in losses[1:]:
        assert abs(losses[0].item() - expected.item()) < 1e-5
    for p, q in zip(model.parameters(), cpu_model.parameters()):
        assert p.is_cuda
        assert_close(p, q, 1e-5, 1e-6)
    for p, q in zip(model.parameters(), ref.parameters()):
        assert_close(p, q, 1e-4, 1e-5)


@torch_cuda
def test_dlpack_exports_cuda_tensors_without_copies():
    t = nabla.tensor(data((64, 33), 7)).cuda() * 2  # pending work on nabla's stream when exported
    shared = torch.from_dlpack(t)
    assert shared.is_cuda and shared.device.index == 0
    assert shared.data_ptr() == t.data_ptr()
    np.testing.assert_array_equal(shared.cpu().numpy(), t.cpu().numpy())
    shared.add_(1)
    torch.cuda.synchronize()
    np.testing.assert_array_equal(t.cpu().numpy(), shared.cpu().numpy())
    view = torch.from_dlpack(t.t())
    assert view.stride() == (1, 33)
    assert t.__dlpack_device__() == (2, 0)


@torch_cuda
def test_dlpack_imports_cuda_tensors_without_copies():
    src = torch.randn(1000, 17, device="cuda") * 3  # pending work on torch's stream when imported
    t = nabla.from_dlpack(src)
    assert t.is_cuda and t.device == nabla.device("cuda:0")
    assert t.data_ptr() == src.data_ptr()
    np.testing.assert_array_equal(t.cpu().numpy(), src.cpu().numpy())
    t.mul_(2)
    nabla.cuda.synchronize()
    np.testing.assert_array_equal(src.cpu().numpy(), t.cpu().numpy())
    assert_close(nabla.from_dlpack(src[:, 3:9]).sum(1), src[:, 3:9].sum(1), 1e-5, 1e-4)
    for dtype in (torch.float16, torch.bfloat16, torch.int64, torch.bool, torch.uint8):
        s = (src * 10).to(dtype)
        assert_close(nabla.from_dlpack(s), s)
    del src
    assert float(t.sum().item()) == pytest.approx(float(t.cpu().numpy().astype(np.float64).sum()), rel=1e-4)


def test_memory_stats_and_empty_cache():
    nabla.cuda.synchronize()
    before = nabla.cuda.memory_allocated()
    nabla.cuda.reset_peak_memory_stats()
    t = nabla.empty(1 << 26, dtype=nabla.uint8).cuda()
    assert nabla.cuda.memory_allocated() >= before + (1 << 26)
    assert nabla.cuda.memory_reserved() >= nabla.cuda.memory_allocated()
    assert nabla.cuda.memory_allocated("cuda:0") == nabla.cuda.memory_allocated(0)
    del t
    assert nabla.cuda.memory_allocated() == before
    assert nabla.cuda.max_memory_allocated() >= before + (1 << 26)
    nabla.cuda.empty_cache()
    assert nabla.cuda.memory_reserved() >= nabla.cuda.memory_allocated()
    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        nabla.empty(10 << 40, dtype=nabla.uint8, device="cuda")


def test_seeds_and_matmul_precision():
    nabla.manual_seed(5)
    a = nabla.rand(1000, device="cuda")
    nabla.manual_seed(5)
    b = nabla.rand(1000, device="cuda")
    nabla.cuda.manual_seed(6)
    c = nabla.rand(1000, device="cuda")
    assert a.is_cuda and np.array_equal(a.cpu().numpy(), b.cpu().numpy())
    assert not np.array_equal(a.cpu().numpy(), c.cpu().numpy())
    assert nabla.get_float32_matmul_precision() == "highest"
    try:
        nabla.set_float32_matmul_precision("high")
        assert nabla.get_float32_matmul_precision() == "high"
        x = nabla.tensor(data((128, 128), 8)).cuda()
        np.testing.assert_allclose(cpu_np(x @ x), cpu_np(x.cpu() @ x.cpu()), rtol=1e-2, atol=0.1)
    finally:
        nabla.set_float32_matmul_precision("highest")
