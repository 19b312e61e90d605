"""PyTorch's side of the training benchmarks that bench/compare.py sets against nabla and LibTorch.

The workloads and their figures are those of bench/training_workloads.hpp (keep the two in step): the seed
example's epoch, forward+backward through a chain of 100 small ops, and a Fashion-MNIST MLP epoch with the
batches taken by index_select from a randperm, as the C++ benchmarks do.
"""
import gzip
import statistics
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

SEED_X = [3.3, 4.4, 5.5, 6.71, 6.93, .168, 9.779, 6.182, 7.59, 2.167, 7.042, 10.791, 5.313, 7.997, 3.1]
SEED_Y = [1.7, 2.76, 2.09, 3.19, 1.694, 1.573, 3.366, 2.596, 2.53, 1.221, 2.827, 3.465, 1.65, 2.904, 1.3]
SEED_LEARNING_RATE = 0.01

CHAIN_NUMEL = 16
CHAIN_ROUNDS = 25
CHAIN_SCALE, CHAIN_SHIFT, CHAIN_OFFSET = 0.9, 0.1, 0.05

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
MLP_WIDTHS = (784, 256, 128, 10)
MLP_BATCH_SIZE = 128
MLP_LEARNING_RATE, MLP_MOMENTUM = 0.1, 0.9
MLP_TIMED_EPOCHS = 3


def mlp_gemm_flops(examples):
    """GEMM FLOPs of one epoch: forward, grad of the input and grad of the weight, 2 * in * out each."""
    return 6 * examples * sum(a * b for a, b in zip(MLP_WIDTHS, MLP_WIDTHS[1:]))


def seed_epoch(lib=torch):
    """A callable running one epoch of the seed's linear regression: forward, loss, zero_grad, backward, step.
    `lib` is torch, or nabla from Python (the same code runs on both)."""
    x = lib.tensor(SEED_X, dtype=lib.float32).unsqueeze(1)
    y = lib.tensor(SEED_Y, dtype=lib.float32).unsqueeze(1)
    lib.manual_seed(0)
    model = lib.nn.Linear(1, 1)
    criterion = lib.nn.MSELoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=SEED_LEARNING_RATE)

    def epoch():
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return epoch


def chain():
    """A callable running 4 * CHAIN_ROUNDS small ops forward, then sum().backward()."""
    torch.manual_seed(0)
    source = torch.rand(CHAIN_NUMEL, requires_grad=True)

    def forward_backward():
        x = source
        for _ in range(CHAIN_ROUNDS):
            x = (x * CHAIN_SCALE + CHAIN_SHIFT).tanh() - CHAIN_OFFSET
        x.sum().backward()
    return forward_backward


def read_idx_uint8(path):
    """An IDX file of unsigned bytes (gzip-compressed) as a uint8 array of the file's shape."""
    data = gzip.decompress(path.read_bytes())
    if data[:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of uint8")
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * d:8 + 4 * d], "big") for d in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


@lru_cache(maxsize=1)
def fashion_mnist_train():
    """(inputs float32 (N, 784) in [0, 1], labels int64 (N,))."""
    images = torch.from_numpy(read_idx_uint8(FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz").copy())
    labels = torch.from_numpy(read_idx_uint8(FASHION_MNIST_DIR / "train-labels-idx1-ubyte.gz").copy())
    return (images.to(torch.float32) / 255).reshape(images.shape[0], MLP_WIDTHS[0]), labels.to(torch.int64)


def mlp_epoch(lib=torch):
    """A callable running one Fashion-MNIST MLP epoch; `lib` is torch, or nabla from Python."""
    inputs, labels = fashion_mnist_train()
    if lib is not torch:
        inputs, labels = lib.from_numpy(inputs.numpy()), lib.from_numpy(labels.numpy())
    lib.manual_seed(0)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(MLP_WIDTHS, MLP_WIDTHS[1:])):
        layers += [lib.nn.Linear(fan_in, fan_out)] + ([lib.nn.ReLU()] if i < len(MLP_WIDTHS) - 2 else [])
    model = lib.nn.Sequential(*layers)
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=MLP_LEARNING_RATE, momentum=MLP_MOMENTUM)

    def epoch():
        order = lib.randperm(inputs.shape[0])
        for start in range(0, inputs.shape[0], MLP_BATCH_SIZE):
            indices = order[start:start + MLP_BATCH_SIZE]
            loss = criterion(model(inputs.index_select(0, indices)), labels.index_select(0, indices))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return epoch


def median_epoch_seconds(epoch):
    """Median seconds of MLP_TIMED_EPOCHS calls of epoch()."""
    def timed_epoch():
        start = time.perf_counter()
        epoch()
        return time.perf_counter() - start
    return statistics.median(timed_epoch() for _ in range(MLP_TIMED_EPOCHS))


def mlp_epoch_seconds(thread_counts):
    """{threads: median seconds of MLP_TIMED_EPOCHS epochs} for each thread count, after one warm-up epoch."""
    epoch = mlp_epoch(torch)

    previous_threads = torch.get_num_threads()
    seconds = {}
    try:
        for i, threads in enumerate(thread_counts):
            torch.set_num_threads(threads)
            if i == 0:
                epoch()
            seconds[threads] = median_epoch_seconds(epoch)
    finally:
        torch.set_num_threads(previous_threads)
    return seconds
