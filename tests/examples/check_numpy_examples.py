"""Runs examples/numpy_interop and examples/matmul (C++) and compares their output with what the seed's
Python code prints under NumPy and PyTorch 1.13. Usage: check_numpy_examples.py <numpy_interop> <matmul>"""
import contextlib
import io
import subprocess
import sys

import numpy as np
import torch


def seed_conversions():
    arr = np.array([1, 2, 3])
    tensor = torch.from_numpy(arr)
    print(tensor)
    tensor = torch.tensor([1, 2, 3])
    arr = tensor.numpy()
    print(arr)


def seed_matmul():
    a = np.array([[1, 2], [3, 4]])
    b = np.array([[5, 6], [7, 8]])
    c = np.dot(a, b)
    print(c)


def printed(fn):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn()
    return out.getvalue()


def main():
    failures = 0
    for binary, reference in [(sys.argv[1], seed_conversions), (sys.argv[2], seed_matmul)]:
        ours = subprocess.run([binary], check=True, capture_output=True, text=True).stdout
        expected = printed(reference)
        if ours != expected:
            print(f'{binary} printed {ours!r}, the seed prints {expected!r}')
            failures += 1
        else:
            print(ours, end='')
    if not failures:
        print('numpy_interop and matmul print what the seed prints under NumPy and PyTorch')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
