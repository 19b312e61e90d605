"""The GPU benchmark of issue 5: nabla against PyTorch on the same GPU, one run, a table printed last.

    PYTHONPATH=build-gpu/python python3 bench/gpu_bench.py [--quick]

Every time is the median of repeated samples, each a loop of calls between two synchronisations, after a
warm-up; inputs are fresh random data (never zeros). Bandwidth goals are against a device-to-device copy of
the same number of bytes (torch's copy_, i.e. cudaMemcpyAsync: the card's practical ceiling).
"""
import argparse
import statistics
import sys
import time

import numpy as np
import torch

import nabla

ROWS = []  # (item, nabla, reference, ratio, goal)


def median_seconds(fn, sync, calls, samples, warmup=2):
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def nb_time(fn, calls=10, samples=7, warmup=2):
    return median_seconds(fn, nabla.cuda.synchronize, calls, samples, warmup)


def torch_time(fn, calls=10, samples=7, warmup=2):
    return median_seconds(fn, torch.cuda.synchronize, calls, samples, warmup)


def row(item, ours, reference, goal, unit="ms", higher_is_better=False):
    """ratio > 1 means nabla is better: reference/ours for times, ours/reference for rates."""
    ratio = ours / reference if higher_is_better else reference / ours
    ROWS.append((item, ours, reference, ratio, goal, unit))
    print(f"  {item}: nabla {ours:.4g} {unit}, reference {reference:.4g} {unit}, ratio {ratio:.3f}", flush=True)


def to_nabla(t):
    """The same GPU memory as a nabla tensor (DLPack), or a copy through the host if that fails."""
    try:
        return nabla.from_dlpack(t)
    except Exception as e:  # noqa: BLE001 - the benchmark must still run; the tests report DLPack
        print(f"  (DLPack import failed: {e}; copying through the host)", flush=True)
        return nabla.from_numpy(t.cpu().numpy()).cuda()


def to_torch(t):
    """A float32 nabla CUDA tensor as a torch one (DLPack, or through the host if that fails)."""
    try:
        return torch.from_dlpack(t)
    except Exception:  # noqa: BLE001
        return torch.from_numpy(t.cpu().numpy()).cuda()


def elementwise_and_sum(n):
    a_t, b_t = torch.rand(n, device="cuda") + 0.5, torch.rand(n, device="cuda") + 0.5
    a, b = to_nabla(a_t), to_nabla(b_t)
    dst = torch.empty_like(a_t)
    copy_s = torch_time(lambda: dst.copy_(a_t))
    copy_bw = 2 * 4 * n / copy_s  # bytes read + written per second
    print(f"  device-to-device copy: {copy_bw / 1e9:.0f} GB/s (read + write)", flush=True)
    check = float((a + b).sum().item()), float((a_t + b_t).sum().item())
    assert abs(check[0] - check[1]) < 1e-3 * abs(check[1]), f"add disagrees with torch: {check}"
    for name, ours, theirs in (("add", lambda: a + b, lambda: a_t + b_t), ("mul", lambda: a * b, lambda: a_t * b_t)):
        t_ours, t_theirs = nb_time(ours), torch_time(theirs)
        row(f"{name} f32 2^28 vs copy (GB/s)", 12 * n / t_ours / 1e9, copy_bw / 1e9, 0.85, "GB/s", True)
        row(f"{name} f32 2^28 vs torch", t_ours * 1e3, t_theirs * 1e3, 1.0)
    total = float(a.sum().item())
    assert abs(total - float(a_t.sum().item())) < 1e-3 * abs(total), "sum disagrees with torch"
    t_sum = nb_time(lambda: a.sum())
    row("sum f32 2^28 vs copy (GB/s)", 4 * n / t_sum / 1e9, copy_bw / 1e9, 0.8, "GB/s", True)
    row("sum f32 2^28 vs torch", t_sum * 1e3, torch_time(lambda: a_t.sum()) * 1e3, None)


def matmuls(sizes):
    for label, dtype, precision in (("f32", torch.float32, "highest"), ("tf32", torch.float32, "high"),
                                    ("bf16", torch.bfloat16, "highest")):
        torch.set_float32_matmul_precision(precision)
        nabla.set_float32_matmul_precision(precision)
        for n in sizes:
            a_t = torch.randn(n, n, device="cuda").to(dtype)
            b_t = torch.randn(n, n, device="cuda").to(dtype)
            a, b = to_nabla(a_t), to_nabla(b_t)
            calls = 3 if n >= 8192 else 10
            t_ours = nb_time(lambda: a @ b, calls, 5)
            t_theirs = torch_time(lambda: a_t @ b_t, calls, 5)
            ours, ref = to_torch((a @ b).float()), (a_t @ b_t).float()
            err = float((ours - ref).norm() / ref.norm())
            assert err < 2e-2, f"matmul {label} {n} differs from torch by {err}"
            tflops = 2 * n ** 3 / 1e12
            row(f"matmul {label} {n} (TFLOP/s)", tflops / t_ours, tflops / t_theirs, 0.95, "TFLOP/s", True)
            del a, b, a_t, b_t
    torch.set_float32_matmul_precision("highest")
    nabla.set_float32_matmul_precision("highest")


def cross_entropy(rows=4096, classes=32000):
    """Cross-entropy forward and backward over language-model-sized logits (the loss of a 32k vocabulary)."""
    x_t = (torch.randn(rows, classes, device="cuda") * 3).requires_grad_()
    y_t = torch.randint(0, classes, (rows,), device="cuda")
    x, y = to_nabla(x_t.detach()).requires_grad_(), to_nabla(y_t)

    def step(m, logits, target):
        def run():
            logits.grad = None
            m.nn.functional.cross_entropy(logits, target).backward()
        return run

    step(nabla, x, y)()
    step(torch, x_t, y_t)()
    grad_err = float((to_torch(x.grad) - x_t.grad).norm() / x_t.grad.norm())
    assert grad_err < 1e-5, f"cross_entropy gradient differs from torch by {grad_err}"
    row(f"cross_entropy fwd+bwd {rows}x{classes}", nb_time(step(nabla, x, y)) * 1e3,
        torch_time(step(torch, x_t, y_t)) * 1e3, 1.0)


def mlp_epoch(m, x, y, batch=128):
    """One epoch of examples/fashion_mnist.cpp's MLP recipe (784-256-128-10, SGD lr 0.1 momentum 0.9)."""
    m.manual_seed(0)
    model = m.nn.Sequential(m.nn.Linear(784, 256), m.nn.ReLU(), m.nn.Linear(256, 128), m.nn.ReLU(),
                            m.nn.Linear(128, 10)).to("cuda")
    opt = m.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    criterion = m.nn.CrossEntropyLoss()

    def epoch():
        for start in range(0, x.shape[0], batch):
            loss = criterion(model(x[start:start + batch]), y[start:start + batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss

    return epoch


def training():
    x_t = torch.rand(60000, 784, device="cuda")
    y_t = torch.randint(0, 10, (60000,), device="cuda")
    x, y = to_nabla(x_t), to_nabla(y_t)
    ours, theirs = mlp_epoch(nabla, x, y), mlp_epoch(torch, x_t, y_t)
    row("Fashion-MNIST MLP epoch vs torch", nb_time(ours, 1, 3, 1) * 1e3, torch_time(theirs, 1, 3, 1) * 1e3, 1.0)

    # The seed's linear regression (examples/seed.py): 15 points, Linear(1, 1), MSE, SGD lr 0.01, full batch.
    xs = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [.168], [9.779], [6.182], [7.59], [2.167], [7.042], [10.791],
                   [5.313], [7.997], [3.1]], dtype=np.float32)
    ys = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573], [3.366], [2.596], [2.53], [1.221], [2.827],
                   [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)

    def seed_loop(m, epochs=1000):
        m.manual_seed(0)
        model = m.nn.Linear(1, 1).to("cuda")
        criterion, opt = m.nn.MSELoss(), m.optim.SGD(model.parameters(), lr=0.01)
        inputs, labels = m.from_numpy(xs).to("cuda"), m.from_numpy(ys).to("cuda")

        def run():
            for epoch in range(epochs):
                loss = criterion(model(inputs), labels)
                opt.zero_grad()
                loss.backward()
                opt.step()
                if (epoch + 1) % 100 == 0:
                    loss.item()
            return loss

        return run

    epochs = 1000
    t_ours = nb_time(seed_loop(nabla, epochs), 1, 3, 1) / epochs
    t_theirs = torch_time(seed_loop(torch, epochs), 1, 3, 1) / epochs
    row("seed linear regression, per epoch (us)", t_ours * 1e6, t_theirs * 1e6, None, "us")


def print_table():
    print()
    print(f"GPU benchmark on {torch.cuda.get_device_name(0)} (torch {torch.__version__}); ratio > 1: nabla better")
    header = ("item", "nabla", "torch/reference", "ratio", "goal", "met")
    lines = [(item, f"{ours:.4g} {unit}", f"{ref:.4g} {unit}", f"{ratio:.3f}",
              "-" if goal is None else f">= {goal}", "-" if goal is None else ("yes" if ratio >= goal else "NO"))
             for item, ours, ref, ratio, goal, unit in ROWS]
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    for r in [header] + lines:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    args = parser.parse_args()
    if not torch.cuda.is_available() or not nabla.cuda.is_available():
        print("gpu_bench: skipped: no CUDA device: " +
              (nabla.cuda.unavailable_reason() or "PyTorch sees no GPU"))
        return 0
    sections = [("element-wise and sum", lambda: elementwise_and_sum(1 << (24 if args.quick else 28))),
                ("matmul", lambda: matmuls([1024] if args.quick else [4096, 8192])),
                ("cross-entropy", cross_entropy if not args.quick else lambda: cross_entropy(256, 1000)),
                ("training", training)]
    failed = False
    for name, section in sections:
        print(f"{name}:", flush=True)
        try:
            section()
        except Exception as e:  # noqa: BLE001 - report and go on to the next section
            failed = True
            print(f"  FAILED: {type(e).__name__}: {e}", flush=True)
        torch.cuda.empty_cache()
        nabla.cuda.empty_cache()
    print_table()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
