"""nn, optim, utils.data and save/load from Python against PyTorch 1.13: Module subclassing semantics, layers with
the same seed (parameters, outputs, gradients, repr), losses, optimizers, DataLoader batches, state dict files."""
import collections
import gc
import itertools

import numpy as np
import pytest
import torch

import nabla
from conftest import assert_same, dtype_name, to_float64


def both(fn):
    return fn(nabla), fn(torch)


class Net:
    """The same model class for both libraries."""

    @staticmethod
    def make(m):
        class Net(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = m.nn.Linear(4, 6)
                self.act = m.nn.ReLU()
                self.fc2 = m.nn.Linear(6, 2, bias=False)
                self.register_buffer("scale", m.ones(2))
                self.plain = 3

            def forward(self, x):
                return self.fc2(self.act(self.fc1(x))) * self.scale

        m.manual_seed(0)
        return Net()


def test_subclassed_module_registers_like_pytorch():
    ours, theirs = both(Net.make)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict().keys()) == list(theirs.state_dict().keys())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [type(c).__name__ for c in ours.children()] == [type(c).__name__ for c in theirs.children()]
    assert repr(ours) == repr(theirs)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert isinstance(p, nabla.nn.Parameter) and p.requires_grad
        assert_same(p, q, rtol=0, atol=0)
    assert ours.plain == 3 and "plain" not in ours.state_dict()
    assert repr(ours.fc1.bias).startswith("Parameter containing:\ntensor(")
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    out_n, out_t = ours(nabla.from_numpy(x)), theirs(torch.from_numpy(x))
    assert_same(out_n, out_t)
    out_n.sum().backward()
    out_t.sum().backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert_same(p.grad, q.grad)
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_module_attribute_rules():
    m = nabla.nn.Module()
    m.w = nabla.nn.Parameter(nabla.ones(2))
    assert "w" in m._parameters
    with pytest.raises(TypeError):
        m.w = nabla.ones(2)  # a plain tensor cannot replace a parameter
    m.w = None
    assert m._parameters["w"] is None and list(m.parameters()) == []
    del m.w
    assert "w" not in m._parameters
    m.sub = nabla.nn.Linear(2, 2)
    m.sub = nabla.nn.Tanh()
    assert list(dict(m.named_children())) == ["sub"] and list(m.parameters()) == []
    with pytest.raises(AttributeError):
        m.missing

    class Early(nabla.nn.Module):
        def __init__(self):
            self.fc = nabla.nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    with pytest.raises(NotImplementedError, match="forward"):
        nabla.nn.Module()(nabla.ones(1))


def test_train_eval_and_hooks():
    model = nabla.nn.Sequential(nabla.nn.Linear(2, 2), nabla.nn.Dropout(0.5))
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    x = nabla.ones(4, 2)
    assert model(x).equal(model[0](x))
    calls = []
    handle = model.register_forward_hook(lambda mod, inp, out: calls.append(out.shape))
    model(x)
    handle.remove()
    model(x)
    assert calls == [(4, 2)] and len(model) == 2 and isinstance(model[0], nabla.nn.Linear)


def test_state_dict_round_trip_and_errors(tmp_path):
    ours, _ = both(Net.make)
    sd = ours.state_dict()
    assert isinstance(sd, collections.OrderedDict) and not sd["fc1.weight"].requires_grad
    assert sd["fc1.weight"].data_ptr() == ours.fc1.weight.data_ptr()
    other = Net.make(nabla)
    with nabla.no_grad():
        for p in other.parameters():
            p.fill_(0)
    result = other.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert other.fc1.weight.equal(ours.fc1.weight)
    bad = dict(sd)
    bad.pop("fc1.bias")
    bad["extra"] = nabla.ones(1)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "fc1.bias"'):
        other.load_state_dict(bad)
    assert other.load_state_dict(bad, strict=False).missing_keys == ["fc1.bias"]
    bad = dict(sd, **{"fc1.weight": nabla.ones(3, 3)})
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight"):
        other.load_state_dict(bad)
    path = tmp_path / "model.safetensors"
    nabla.save(ours.state_dict(), path)
    loaded = nabla.load(path)
    assert list(loaded) == list(sd) and all(loaded[k].equal(sd[k]) for k in sd)
    nabla.save({"model": sd, "epoch": 3, "name": "net", "lrs": [0.1, 0.01]}, tmp_path / "ckpt.safetensors")
    ckpt = nabla.load(tmp_path / "ckpt.safetensors")
    assert ckpt["epoch"] == 3 and ckpt["name"] == "net" and ckpt["lrs"] == [0.1, 0.01]
    assert ckpt["model"]["fc2.weight"].equal(sd["fc2.weight"])


def test_module_to_keeps_parameter_identity():
    model = nabla.nn.Linear(3, 2)
    weight = model.weight
    optimizer = nabla.optim.SGD(model.parameters(), lr=0.1)
    model.to(nabla.float64)
    assert model.weight is weight and weight.dtype is nabla.float64 and model.bias.dtype is nabla.float64
    model(nabla.ones(1, 3, dtype=nabla.float64)).sum().backward()
    optimizer.step()
    model.double().float()
    assert model.weight.dtype is nabla.float32


LAYERS = [
    ("nn.Linear(5, 3)", (2, 5)), ("nn.Conv2d(2, 3, 3, padding=1)", (1, 2, 5, 5)),
    ("nn.Conv2d(2, 4, (3, 2), stride=2, bias=False)", (2, 2, 6, 5)), ("nn.MaxPool2d(2)", (1, 2, 4, 4)),
    ("nn.Embedding(10, 4)", None), ("nn.LayerNorm(5)", (3, 5)), ("nn.BatchNorm1d(5)", (4, 5)), ("nn.GELU()", (3, 4)),
    ("nn.Softmax(dim=1)", (3, 4)), ("nn.LogSoftmax(1)", (3, 4)), ("nn.Flatten()", (2, 3, 4)), ("nn.Sigmoid()", (3,)),
    ("nn.Tanh()", (3,)), ("nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 1))", (3, 5)),
]


@pytest.mark.parametrize("expr,shape", LAYERS)
def test_layers_match_torch(expr, shape, rng):
    def make(m):
        m.manual_seed(5)
        return eval(expr, {"nn": m.nn})

    ours, theirs = both(make)
    assert repr(ours) == repr(theirs)
    for (name, p), (name_t, q) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert name == name_t
        assert_same(p, q, rtol=0, atol=0)
    if shape is None:
        idx = rng.integers(0, 10, (3, 4))
        x_n, x_t = nabla.tensor(idx), torch.tensor(idx)
    else:
        values = rng.standard_normal(shape).astype(np.float32)
        x_n = nabla.tensor(values, requires_grad=True)
        x_t = torch.tensor(values, requires_grad=True)
    out_n, out_t = ours(x_n), theirs(x_t)
    assert_same(out_n, out_t, rtol=1e-5, atol=1e-5)
    weight = rng.standard_normal(tuple(out_t.shape)).astype(np.float32)
    (out_n * nabla.tensor(weight)).sum().backward()
    (out_t * torch.tensor(weight)).sum().backward()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert_same(p.grad, q.grad, rtol=1e-4, atol=1e-5)
    if shape is not None:
        assert_same(x_n.grad, x_t.grad, rtol=1e-4, atol=1e-5)
    for (name, p), q in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert_same(p, q, rtol=1e-6)  # BatchNorm's running statistics


def test_losses_match_torch(rng):
    logits = rng.standard_normal((6, 4)).astype(np.float32)
    target = rng.integers(0, 4, 6)
    probs = 1 / (1 + np.exp(-logits))
    binary = rng.integers(0, 2, (6, 4)).astype(np.float32)
    cases = [
        ("nn.CrossEntropyLoss()", logits, target), ("nn.CrossEntropyLoss(label_smoothing=0.1)", logits, target),
        ("nn.CrossEntropyLoss(reduction='sum', ignore_index=1)", logits, target),
        ("nn.NLLLoss()", np.log(probs / probs.sum(1, keepdims=True)), target), ("nn.MSELoss()", logits, probs),
        ("nn.L1Loss(reduction='none')", logits, probs), ("nn.BCELoss()", probs, binary),
        ("nn.BCEWithLogitsLoss()", logits, binary),
    ]
    for expr, x, y in cases:
        x_n, x_t = nabla.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        loss_n = eval(expr, {"nn": nabla.nn})(x_n, nabla.tensor(y))
        loss_t = eval(expr, {"nn": torch.nn})(x_t, torch.tensor(y))
        assert_same(loss_n, loss_t, rtol=1e-5)
        loss_n.sum().backward()
        loss_t.sum().backward()
        assert_same(x_n.grad, x_t.grad, rtol=1e-5, atol=1e-6)
    assert repr(nabla.nn.MSELoss()) == "MSELoss()"


CROSS_ENTROPY_OPTIONS = [dict(), dict(weight=True), dict(weight=True, reduction="sum"), dict(reduction="none"),
                         dict(ignore_index=2), dict(label_smoothing=0.2),
                         dict(weight=True, ignore_index=1, label_smoothing=0.3, reduction="none")]


def cross_entropy_args(m, rng_seed, shape, dtype, options):
    """(logits, target, kwargs) for F.cross_entropy in library m, the same values for both libraries."""
    rng = np.random.default_rng(rng_seed)
    classes = shape[1] if len(shape) > 1 else shape[0]
    logits = (rng.standard_normal(shape) * 3).astype(np.float64)
    target = rng.integers(0, classes, (shape[0],) + tuple(shape[2:]) if len(shape) > 1 else ())
    kwargs = dict(options)
    if kwargs.pop("weight", False):
        kwargs["weight"] = m.tensor(rng.uniform(0.2, 2, classes)).to(dtype)
    return m.tensor(logits).to(dtype).requires_grad_(), m.tensor(target), kwargs


@pytest.mark.parametrize("options", CROSS_ENTROPY_OPTIONS, ids=str)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2), (7,)], ids=str)
def test_cross_entropy_second_derivatives_match_torch(options, shape):
    """create_graph through the fused cross-entropy: the gradient as a function of the logits and of the loss's
    upstream gradient, differentiated again (a Hessian-vector product), against torch in float64."""
    def hessian_vector(m):
        x, y, kwargs = cross_entropy_args(m, 3, shape, m.float64, options)
        loss = m.nn.functional.cross_entropy(x, y, **kwargs)
        upstream = m.tensor(np.linspace(0.5, 1.5, loss.numel()).reshape(tuple(loss.shape))).requires_grad_()
        (g,) = m.autograd.grad(loss, x, upstream, create_graph=True)
        v = m.tensor(np.cos(np.arange(x.numel())).reshape(tuple(x.shape)))
        hv = m.autograd.grad((g * v).sum(), [x, upstream])
        return g, hv[0], hv[1]

    for ours, theirs in zip(*both(hessian_vector)):
        assert_same(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype,rtol", [("float16", 2.0 ** -10), ("bfloat16", 2.0 ** -7)])
def test_cross_entropy_of_16_bit_logits_is_computed_in_float(dtype, rtol):
    """16-bit logits: loss and gradient within one rounding (and float32's noise) of torch's float32 results on the
    same values; the arithmetic itself is not done in 16 bits."""
    def run(m, compute_dtype):
        x, y, kwargs = cross_entropy_args(m, 4, (6, 300), getattr(m, dtype), dict(weight=True, label_smoothing=0.1))
        x = x.detach().to(compute_dtype).requires_grad_()
        kwargs["weight"] = kwargs["weight"].to(compute_dtype)
        loss = m.nn.functional.cross_entropy(x, y, reduction="none", **kwargs)
        loss.sum().backward()
        return loss, x.grad

    for ours, reference in zip(run(nabla, getattr(nabla, dtype)), run(torch, torch.float32)):
        assert dtype_name(ours.dtype) == dtype
        np.testing.assert_allclose(to_float64(ours), reference.detach().double().numpy(), rtol=rtol, atol=1e-7)


def test_cross_entropy_of_wide_rows_matches_torch():
    """A vocabulary-sized row (the vectorised CPU loops and CUDA's block-per-row kernel) and all-ignored rows."""
    for options in (dict(), dict(label_smoothing=0.1, weight=True), dict(ignore_index=7)):
        def run(m):
            x, y, kwargs = cross_entropy_args(m, 5, (3, 5000), m.float32, options)
            if "ignore_index" in options:
                y = m.full((3,), 7)
            loss = m.nn.functional.cross_entropy(x, y, **kwargs)
            loss.backward()
            return loss, x.grad

        (loss_n, grad_n), (loss_t, grad_t) = both(run)
        assert_same(loss_n, loss_t, rtol=2e-6, atol=1e-6)
        assert_same(grad_n, grad_t, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
                                         ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01)),
                                         ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True))])
def test_optimizers_match_torch(name, kwargs):
    def run(m):
        m.manual_seed(1)
        model = m.nn.Linear(3, 2)
        optimizer = getattr(m.optim, name)(model.parameters(), **kwargs)
        scheduler = m.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
        x = m.randn(8, 3)
        for _ in range(6):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            optimizer.step()
            scheduler.step()
        return model, optimizer, scheduler

    (ours, opt_n, sched_n), (theirs, opt_t, sched_t) = both(run)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert_same(p, q, rtol=1e-5, atol=1e-7)
    assert sched_n.get_last_lr() == pytest.approx(sched_t.get_last_lr())
    assert opt_n.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"])
    opt_n.param_groups[0]["lr"] = 0.5
    assert opt_n.param_groups[0]["lr"] == 0.5 and opt_n.param_groups[0]["params"][0] is ours.weight


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                                         ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True))])
def test_optimizer_state_dict_has_torchs_layout_and_resumes(name, kwargs, tmp_path):
    """state_dict() is PyTorch's {"state": {i: {...}}, "param_groups": [{...}]}; through nabla.save/load and
    load_state_dict (which also takes PyTorch's own dict, its implementation-only options included), a resumed run
    equals an uninterrupted one."""
    def run(m, steps, state=None):
        m.manual_seed(2)
        model = m.nn.Linear(3, 2)
        optimizer = getattr(m.optim, name)(model.parameters(), **kwargs)
        x = m.randn(8, 3)
        if state is not None:
            model.load_state_dict(state[0])
            optimizer.load_state_dict(state[1])
        for _ in range(steps):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            optimizer.step()
        return model, optimizer

    (model_n, opt_n), (model_t, opt_t) = both(lambda m: run(m, 2))
    ours, theirs = opt_n.state_dict(), opt_t.state_dict()
    assert list(ours) == ["state", "param_groups"] and list(ours["state"]) == list(theirs["state"]) == [0, 1]
    for i in (0, 1):
        assert set(ours["state"][i]) == set(theirs["state"][i])
        for key, value in theirs["state"][i].items():
            if isinstance(value, torch.Tensor):
                assert_same(ours["state"][i][key], value, rtol=1e-5, atol=1e-7, check_dtype=False)
            else:
                assert float(ours["state"][i][key]) == value
    for key, value in ours["param_groups"][0].items():
        assert value == pytest.approx(theirs["param_groups"][0][key]), key

    nabla.save([model_n.state_dict(), ours], tmp_path / "checkpoint")
    resumed, _ = run(nabla, 3, nabla.load(tmp_path / "checkpoint"))
    uninterrupted, _ = run(nabla, 5)
    for p, q in zip(resumed.parameters(), uninterrupted.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    from_torch = {"state": {i: {k: nabla.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v
                                for k, v in entries.items()} for i, entries in theirs["state"].items()},
                  "param_groups": theirs["param_groups"]}
    opt_n.load_state_dict(from_torch)
    assert opt_n.param_groups[0]["lr"] == theirs["param_groups"][0]["lr"]


def test_deepcopy_and_pickle_like_torch():
    """copy.deepcopy of a model (an EMA or best-model snapshot) gives independent Parameters with the same values;
    pickle and copy.copy keep dtype, shape, values and requires_grad; deepcopy of a non-leaf raises as in torch."""
    import copy
    import pickle
    for m in (nabla, torch):
        m.manual_seed(0)
        model = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2))
        x = m.randn(5, 3)
        for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
            assert type(clone[0].weight) is type(model[0].weight) and clone[0].weight is not model[0].weight
            assert clone[0].weight.requires_grad
            np.testing.assert_array_equal(clone(x).detach().numpy(), model(x).detach().numpy())
            with m.no_grad():
                clone[0].weight.add_(1)
            assert not np.array_equal(clone(x).detach().numpy(), model(x).detach().numpy())
        leaf = m.ones(2, requires_grad=True)
        (leaf * 3).sum().backward()
        snapshot = copy.deepcopy(leaf)
        assert snapshot.requires_grad and snapshot.grad is not leaf.grad and snapshot.grad.tolist() == [3.0, 3.0]
        with pytest.raises(RuntimeError, match="graph leaves"):
            copy.deepcopy(leaf * 2)
    for dtype in ("float32", "float64", "float16", "bfloat16", "int64", "int8", "uint8", "bool"):
        original = nabla.arange(6).reshape(2, 3)[:, ::2].to(getattr(nabla, dtype))
        for clone in (pickle.loads(pickle.dumps(original)), copy.copy(original)):
            assert clone.dtype == original.dtype and clone.shape == original.shape
            assert clone.tolist() == original.tolist()
        if dtype == "float32":
            clone.add_(1)
            assert clone.tolist() != original.tolist()


def test_optimizer_param_groups_and_errors():
    a, b = nabla.nn.Linear(2, 2), nabla.nn.Linear(2, 1)
    opt = nabla.optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5] and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="empty parameter list"):
        nabla.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError):
        nabla.optim.SGD(a.parameters())


def test_dataloader_batches_match_torch():
    def batches(m, shuffle, drop_last, subset, custom, workers=0):
        m.manual_seed(11)
        x = m.arange(30, dtype=m.float32).view(10, 3)
        y = m.arange(10)
        dataset = m.utils.data.TensorDataset(x, y)
        if subset:
            dataset, _ = m.utils.data.random_split(dataset, [7, 3])
        if custom:
            class Squares(m.utils.data.Dataset):
                def __len__(self):
                    return 9

                def __getitem__(self, i):
                    return m.tensor([float(i * i)]), i

            dataset = Squares()
        # nabla's workers are threads that give the same batches; torch's are processes, so it runs without.
        loader = m.utils.data.DataLoader(dataset, batch_size=3, shuffle=shuffle, drop_last=drop_last,
                                         num_workers=workers)
        out = [[t.tolist() for t in batch] for _ in range(2) for batch in loader]
        return out, len(loader), m.rand(1).item()

    for shuffle, drop_last, workers in itertools.product((False, True), (False, True), (0, 2)):
        for subset, custom in ((False, False), (True, False), (False, True)):
            ours, theirs = batches(nabla, shuffle, drop_last, subset, custom, workers), \
                batches(torch, shuffle, drop_last, subset, custom)
            assert ours == theirs, (shuffle, drop_last, subset, custom, workers)


def test_random_split_fractions_and_errors():
    for m in (nabla, torch):
        m.manual_seed(2)
    a = nabla.utils.data.random_split(list(range(10)), [0.5, 0.3, 0.2])
    b = torch.utils.data.random_split(list(range(10)), [0.5, 0.3, 0.2])
    assert [list(s) for s in a] == [list(s) for s in b]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        nabla.utils.data.random_split(list(range(4)), [1, 2])


def test_functional_and_init():
    nabla.manual_seed(4)
    torch.manual_seed(4)
    w_n, w_t = nabla.empty(3, 5), torch.empty(3, 5)
    for fn, args in [("kaiming_uniform_", {"a": 5 ** 0.5}), ("xavier_uniform_", {}), ("normal_", {"std": 0.02}),
                     ("uniform_", {"a": -1, "b": 1}), ("zeros_", {}), ("ones_", {}), ("constant_", {"val": 0.3})]:
        assert getattr(nabla.nn.init, fn)(w_n, **args) is w_n
        getattr(torch.nn.init, fn)(w_t, **args)
        assert_same(w_n, w_t, rtol=0, atol=0)
    x_n, x_t = nabla.linspace(-2, 2, 8).view(2, 4), torch.linspace(-2, 2, 8).view(2, 4)
    for expr in ["F.relu(x)", "F.softmax(x, dim=1)", "F.log_softmax(x, 1)", "F.gelu(x)", "F.dropout(x, 0.5, False)",
                 "F.pad(x, (1, 2))", "F.linear(x, x)", "F.one_hot(m.tensor([0, 2, 1]), 3)"]:
        assert_same(eval(expr, {"F": nabla.nn.functional, "x": x_n, "m": nabla}),
                    eval(expr, {"F": torch.nn.functional, "x": x_t, "m": torch}))
    grad_n = nabla.nn.Linear(4, 2)
    grad_n(x_n).sum().backward()
    total = nabla.nn.utils.clip_grad_norm_(grad_n.parameters(), 0.1)
    assert total.item() > 0.1 and sum(float((p.grad ** 2).sum()) for p in grad_n.parameters()) ** 0.5 < 0.1001


def test_cuda_and_devices():
    assert nabla.cuda.is_available() is False and nabla.cuda.device_count() == 0
    assert repr(nabla.device("cpu")) == "device(type='cpu')" and nabla.device("cuda:1").index == 1
    assert nabla.ones(2).device == nabla.device("cpu")
    with pytest.raises(RuntimeError, match="CUDA"):
        nabla.ones(2).cuda()
    gc.collect()
