#!/usr/bin/env python3
"""`make bench`: nabla's timings beside PyTorch, NumPy, OpenBLAS and LibTorch, printed as one table of ratios.

Runs build/bench/nabla_bench (bench/bench_ops.cpp, bench/bench_training.cpp) and build/bench-libtorch/libtorch_add
and libtorch_training (Google Benchmark, JSON output, median of the repetitions), times the same ops and training
workloads in PyTorch (its default thread count, one thread, one per CPU; bench/training.py) and the ops in NumPy
in this process, times compiling a small program against each library's header, and compares library sizes.
All the numbers are also written to <build>/bench/compare.json.

Usage: /usr/bin/python3 bench/compare.py [--build-dir build] [--repetitions 5]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import torch

import python_api
import training

LARGE = 1 << 24
MATMUL_SIZES = (64, 256, 1024, 2048)
MIN_BATCH_SECONDS = 0.2
UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
SOURCE_DIR = Path(__file__).resolve().parent.parent

# The same 20 lines compile against either library: both spell these calls alike.
COMPILE_PROGRAM = """\
#include <{header}>
#include <iostream>

namespace nb = {namespace};

nb::Tensor affine(const nb::Tensor& x, const nb::Tensor& w, const nb::Tensor& b) {{
  return nb::matmul(x, w) + b;
}}

int main() {{
  nb::Tensor x = nb::ones({{4, 3}});
  nb::Tensor w = nb::ones({{3, 2}});
  nb::Tensor b = nb::zeros({{2}});
  nb::Tensor y = affine(x, w, b);
  nb::Tensor z = nb::exp(y) * y - 1;
  std::cout << y << "\\n";
  std::cout << z.sum() << "\\n";
  std::cout << y.dim() << "\\n";
  return 0;
}}
"""


def run_google_benchmark(executable, repetitions):
    """Median wall time in seconds and bytes/s of each benchmark, keyed by name and arguments (without
    '/real_time', '/iterations:1', ...)."""
    output = subprocess.run(
        [str(executable), "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
         "--benchmark_report_aggregates_only=true"],
        check=True, stdout=subprocess.PIPE, text=True).stdout
    results = {}
    for entry in json.loads(output)["benchmarks"]:
        if entry.get("aggregate_name") != "median":
            continue
        name = "/".join(part for part in entry["run_name"].split("/") if part != "real_time" and ":" not in part)
        results[name] = {"seconds": entry["real_time"] * UNIT_SECONDS[entry["time_unit"]],
                         "bytes_per_second": entry.get("bytes_per_second")}
    return results


def median_seconds(fn, repetitions):
    """Median time of one call of fn, each repetition a batch of calls lasting at least MIN_BATCH_SECONDS."""
    fn()
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= MIN_BATCH_SECONDS:
            break
        calls = 10 * calls if elapsed <= 0 else max(2 * calls, int(calls * MIN_BATCH_SECONDS / elapsed * 1.1) + 1)
    samples = [elapsed / calls]
    for _ in range(repetitions - 1):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def python_workloads(lib):
    """name -> zero-argument callable, for lib in {torch, numpy}, on uniform [0, 1) float32 data."""
    if lib is torch:
        rand = lambda *shape: torch.rand(*shape, dtype=torch.float32)
        exp, clone = torch.exp, lambda x: x.clone()
    else:
        rng = np.random.default_rng(0)
        rand = lambda *shape: rng.random(shape, dtype=np.float32)
        exp, clone = np.exp, lambda x: x.copy()
    a, b = rand(LARGE), rand(LARGE)
    small_a, small_b = rand(4), rand(4)
    workloads = {
        "BM_clone": lambda: clone(a),
        "BM_add": lambda: a + b,
        "BM_mul": lambda: a * b,
        "BM_exp": lambda: exp(a),
        "BM_sum": lambda: a.sum(),
        "BM_add_small": lambda: small_a + small_b,
    }
    for n in MATMUL_SIZES:
        x, y = rand(n, n), rand(n, n)
        workloads[f"BM_matmul/{n}"] = lambda x=x, y=y: x @ y
    if lib is torch:
        workloads["BM_seed_epoch"] = training.seed_epoch()
        workloads["BM_chain100"] = training.chain()
    return workloads


def time_python(lib, repetitions):
    return {name: median_seconds(fn, repetitions) for name, fn in python_workloads(lib).items()}


def compile_seconds(header, namespace, flags, runs):
    """Median time of `g++ -O0 -c` on COMPILE_PROGRAM; ccache is bypassed."""
    compiler = shutil.which("g++")
    env = dict(os.environ, CCACHE_DISABLE="1")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "program.cpp"
        source.write_text(COMPILE_PROGRAM.format(header=header, namespace=namespace))
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([compiler, *flags, "-O0", "-c", str(source), "-o", str(Path(tmp) / "program.o")],
                           check=True, env=env)
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def stripped_size(library):
    """Bytes of the shared library without symbols a loader does not need (Debian ships libtorch so)."""
    with tempfile.TemporaryDirectory() as tmp:
        stripped = Path(tmp) / "lib.so"
        subprocess.run(["strip", "--strip-unneeded", "-o", str(stripped), str(library)], check=True)
        return stripped.stat().st_size


def cuda_kernel_bytes(library):
    """Bytes of the library's .nv_fatbin section: the CUDA kernels a build with nvcc carries (0 without)."""
    sections = subprocess.run(["readelf", "-SW", str(library)], check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in sections.splitlines():
        fields = line.replace("]", "] ").split()
        if ".nv_fatbin" in fields:
            at = fields.index(".nv_fatbin")
            return int(fields[at + 4], 16)  # Name Type Address Off Size
    return 0


def mlp_seconds_by_threads(results):
    """{threads: seconds} of the BM_mlp_epoch/<threads> entries of a Google Benchmark run."""
    prefix = "BM_mlp_epoch/"
    return {int(name[len(prefix):]): r["seconds"] for name, r in results.items() if name.startswith(prefix)}


def format_seconds(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def ratio(reference, value):
    return "-" if reference is None or value is None else f"{reference / value:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=SOURCE_DIR / "build")
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    build = args.build_dir.resolve()
    reps = args.repetitions

    print("timing nabla (bench/bench_ops.cpp, bench/bench_training.cpp) ...", flush=True)
    nabla = run_google_benchmark(build / "bench" / "nabla_bench", reps)
    print("timing LibTorch (bench/libtorch) ...", flush=True)
    libtorch = {**run_google_benchmark(build / "bench-libtorch" / "libtorch_add", reps),
                **run_google_benchmark(build / "bench-libtorch" / "libtorch_training", reps)}
    # PyTorch's default thread count, one thread, and as many as nabla uses (one per CPU).
    torch_default_threads = torch.get_num_threads()
    thread_counts = sorted({torch_default_threads, 1, os.cpu_count()}, reverse=True)
    print(f"timing PyTorch {torch.__version__} ({', '.join(map(str, thread_counts))} threads) and "
          f"NumPy {np.__version__} ...", flush=True)
    torch_seconds = {}
    for threads in thread_counts:
        torch.set_num_threads(threads)
        torch_seconds[threads] = time_python(torch, reps)
    torch.set_num_threads(torch_default_threads)
    numpy = time_python(np, reps)
    print(f"timing PyTorch's Fashion-MNIST MLP epoch ({', '.join(map(str, sorted(thread_counts)))} threads) ...",
          flush=True)
    mlp_seconds = {"nabla": mlp_seconds_by_threads(nabla), "libtorch": mlp_seconds_by_threads(libtorch),
                   "pytorch": training.mlp_epoch_seconds(sorted(thread_counts))}
    # (threads, seconds) of each library's fastest thread count.
    mlp_best = {library: min(by_threads.items(), key=lambda item: item[1])
                for library, by_threads in mlp_seconds.items()}
    mlp_flops = training.mlp_gemm_flops(training.fashion_mnist_train()[0].shape[0])
    gemm_2048_seconds = min(nabla["BM_matmul/2048"]["seconds"], nabla["BM_sgemm/2048"]["seconds"])
    gemm_limit_flops_per_second = 2 * 2048**3 / gemm_2048_seconds
    nabla_mlp_flops_per_second = mlp_flops / mlp_best["nabla"][1]

    print("timing nabla's Python package against PyTorch (1 thread each) ...", flush=True)
    nabla_py = python_api.import_nabla(build)
    torch.set_num_threads(1)
    python_seconds = {lib.__name__: {name: median_seconds(fn, reps) for name, fn in python_api.workloads(lib).items()}
                      for lib in (nabla_py, torch)}
    torch.set_num_threads(torch_default_threads)
    mlp_epoch = training.mlp_epoch(nabla_py)
    mlp_epoch()
    mlp_row = "MLP epoch Fashion-MNIST"
    python_seconds["nabla"][mlp_row] = training.median_epoch_seconds(mlp_epoch)
    python_seconds["torch"][mlp_row] = mlp_best["pytorch"][1]

    print("timing compilation and sizing the libraries ...", flush=True)
    torch_build = json.loads((build / "bench-libtorch" / "torch.json").read_text())
    compile_nabla = compile_seconds("nabla/nabla.hpp", "nabla", ["-std=c++20", f"-I{SOURCE_DIR / 'include'}"], 3)
    torch_flags = ["-std=c++17", *torch_build["cxx_flags"].split(), *(f"-I{d}" for d in torch_build["include_dirs"])]
    compile_torch = compile_seconds("torch/torch.h", "torch", torch_flags, 1)
    library_nabla = (build / "install" / "lib" / "libnabla.so").resolve()
    size_nabla = stripped_size(library_nabla)
    size_nabla_cuda = cuda_kernel_bytes(library_nabla)
    size_torch = stripped_size(torch_build["torch_cpu_library"])

    memcpy_bandwidth = nabla["BM_memcpy"]["bytes_per_second"]
    columns = ["op", "nabla", "vs memcpy", *(f"PyTorch {t}t" for t in thread_counts), "NumPy", "OpenBLAS", "LibTorch"]
    rows = []

    def add_row(label, seconds, shown=None, bandwidth="-", torch_by_threads=None, numpy_seconds=None,
                blas_seconds=None, libtorch_seconds=None):
        rows.append([label, shown or format_seconds(seconds), bandwidth,
                     *(ratio((torch_by_threads or {}).get(t), seconds) for t in thread_counts),
                     ratio(numpy_seconds, seconds), ratio(blas_seconds, seconds), ratio(libtorch_seconds, seconds)])

    def time_row(label, name, blas=None, libtorch_name=None):
        mine = nabla[name]
        bandwidth = "-" if mine["bytes_per_second"] is None else f"{mine['bytes_per_second'] / memcpy_bandwidth:.2f}"
        add_row(label, mine["seconds"], bandwidth=bandwidth,
                torch_by_threads={t: torch_seconds[t].get(name) for t in thread_counts}, numpy_seconds=numpy.get(name),
                blas_seconds=nabla[blas]["seconds"] if blas else None,
                libtorch_seconds=libtorch[libtorch_name]["seconds"] if libtorch_name else None)

    time_row("copy f32 [2^24]", "BM_clone")
    time_row("add f32 [2^24]", "BM_add")
    time_row("mul f32 [2^24]", "BM_mul")
    time_row("exp f32 [2^24]", "BM_exp")
    time_row("sum f32 [2^24]", "BM_sum")
    for n in MATMUL_SIZES:
        time_row(f"matmul f32 {n}x{n}", f"BM_matmul/{n}", blas=f"BM_sgemm/{n}")
    time_row("a + b f32 [4]", "BM_add_small", libtorch_name="BM_libtorch_add_small")
    time_row("seed epoch Linear(1,1)", "BM_seed_epoch", libtorch_name="BM_seed_epoch")
    time_row("100-op chain fwd+bwd", "BM_chain100", libtorch_name="BM_chain100")
    nabla_threads, nabla_mlp = mlp_best["nabla"]
    add_row("MLP epoch Fashion-MNIST", nabla_mlp, shown=f"{format_seconds(nabla_mlp)} ({nabla_threads}t)",
            torch_by_threads=mlp_seconds["pytorch"], blas_seconds=mlp_flops / gemm_limit_flops_per_second,
            libtorch_seconds=mlp_best["libtorch"][1])
    no_ratios = ["-"] * (len(columns) - 3)
    rows.append(["compile 20 lines -O0", format_seconds(compile_nabla), *no_ratios, ratio(compile_torch, compile_nabla)])
    rows.append(["library size (CPU part)", f"{(size_nabla - size_nabla_cuda) / 2**20:.1f} MiB", *no_ratios,
                 ratio(size_torch, size_nabla - size_nabla_cuda)])

    widths = [max(len(str(row[i])) for row in [columns, *rows]) for i in range(len(columns))]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    print()
    print(line(columns))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))
    print()
    print(textwrap.fill(
        f"nabla: median time; for library size, libnabla.so stripped ({size_nabla / 2**20:.1f} MiB), less the "
        f"CUDA kernels it carries when built with nvcc ({size_nabla_cuda / 2**20:.1f} MiB). vs memcpy: nabla's bandwidth (bytes read + "
        f"written per second) over std::memcpy's on one thread ({memcpy_bandwidth / 1e9:.1f} GB/s); 1.00 = memcpy "
        f"speed. Other columns: their time / nabla's time; above 1 = nabla faster. PyTorch {torch.__version__} "
        f"(Nt: N threads, its default here {torch_default_threads}) and NumPy {np.__version__} are timed from "
        f"Python, so their per-call overhead counts; OpenBLAS (cblas_sgemm into a preallocated buffer) and LibTorch "
        f"from C++. LibTorch column for compile time: the same program against <torch/torch.h>; for library size: "
        f"libtorch_cpu.so, stripped.", width=110))
    print()
    by_threads = lambda library: ", ".join(f"{t}t {format_seconds(s)}" for t, s in sorted(mlp_seconds[library].items()))
    print(textwrap.fill(
        f"Training (bench/bench_training.cpp, bench/libtorch/libtorch_training.cpp, bench/training.py; each "
        f"library's own zero_grad default). Seed epoch: forward, MSE loss, zero_grad, backward and SGD step of "
        f"Linear(1,1) on the seed's 15 points. Chain: {training.CHAIN_ROUNDS} x (mul, add, tanh, sub) on "
        f"{training.CHAIN_NUMEL} float32 elements, then sum().backward(). MLP epoch: 784-256-128-10, ReLU, "
        f"cross-entropy, SGD momentum {training.MLP_MOMENTUM}, batches of {training.MLP_BATCH_SIZE} by index_select "
        f"from a randperm, median of {training.MLP_TIMED_EPOCHS} epochs per thread count after one warm-up epoch; "
        f"nabla and LibTorch at their best thread count, PyTorch per column. By thread count: nabla "
        f"{by_threads('nabla')}; LibTorch {by_threads('libtorch')}; PyTorch {by_threads('pytorch')}. OpenBLAS "
        f"column of the MLP: the time the epoch's GEMM work (6 x examples x sum(in x out) = {mlp_flops / 1e9:.1f} "
        f"GFLOP) takes at the machine's GEMM limit (2048x2048 sgemm on all threads, "
        f"{gemm_limit_flops_per_second / 1e9:.0f} GFLOP/s) over nabla's time: nabla reaches "
        f"{nabla_mlp_flops_per_second / 1e9:.1f} GFLOP/s, "
        f"{100 * nabla_mlp_flops_per_second / gemm_limit_flops_per_second:.0f}% of it.", width=110))

    print()
    python_rows = [["from Python", "nabla", "PyTorch", "PyTorch / nabla"]]
    for name, mine in python_seconds["nabla"].items():
        theirs = python_seconds["torch"][name]
        python_rows.append([name, format_seconds(mine), format_seconds(theirs), ratio(theirs, mine)])
    widths = [max(len(row[i]) for row in python_rows) for i in range(4)]
    for i, row in enumerate(python_rows):
        print("  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    print(textwrap.fill(
        "From Python: `import nabla` (the package in <build>/python) and `import torch` in this interpreter, one "
        "thread each, median per call; the seed epoch is bench/training.py's seed_epoch run on either library. "
        "The MLP epoch is bench/training.py's mlp_epoch on either library: nabla on its default thread count (one per "
        "CPU), PyTorch at its fastest thread count of the table above.",
        width=110))

    (build / "bench").mkdir(exist_ok=True)
    (build / "bench" / "compare.json").write_text(json.dumps({
        "nabla": nabla, "libtorch": libtorch, "torch_default_threads": torch_default_threads,
        "torch_seconds_by_threads": torch_seconds, "numpy_seconds": numpy,
        "training": {"mlp_epoch_seconds_by_threads": mlp_seconds, "mlp_gemm_flops_per_epoch": mlp_flops,
                     "nabla_mlp_gemm_flops_per_second": nabla_mlp_flops_per_second,
                     "gemm_limit_flops_per_second": gemm_limit_flops_per_second},
        "python_seconds": python_seconds,
        "compile_seconds": {"nabla": compile_nabla, "torch": compile_torch},
        "stripped_bytes": {"libnabla": size_nabla, "libnabla_cuda_kernels": size_nabla_cuda,
                           "libtorch_cpu": size_torch}}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
