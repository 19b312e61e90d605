"""Trains the Fashion-MNIST MLP for 2 epochs with examples/fashion_mnist (C++) and with the same
recipe, seed and batch order in PyTorch 1.13, and checks that the test accuracies agree within one
point and that the checkpoint and loss curve were written.
Usage: check_fashion_mnist.py <path to the fashion_mnist binary> [data dir]"""
import gzip
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

DATA = '/usr/share/datasets/fashion-mnist'


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def torch_accuracy(data, epochs=2):
    torch.set_num_threads(1)
    def split(prefix):
        x = torch.from_numpy(read_idx(f'{data}/{prefix}-images-idx3-ubyte.gz').copy()).float().div(255).unsqueeze(1)
        y = torch.from_numpy(read_idx(f'{data}/{prefix}-labels-idx1-ubyte.gz').copy()).long()
        return x, y
    train_x, train_y = split('train')
    test_x, test_y = split('t10k')
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train_x, train_y), batch_size=128,
                                         shuffle=True)
    for _ in range(epochs):
        for x, y in loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        return 100.0 * (model(test_x).argmax(1) == test_y).float().mean().item()


def main():
    data = sys.argv[2] if len(sys.argv) > 2 else DATA
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run([sys.argv[1], '--epochs', '2', '--data', data, '--out', out], capture_output=True,
                             text=True)
        print(run.stdout[-2000:])
        if run.returncode != 0:
            print(run.stderr)
            return 1
        ours = [float(v) for v in re.findall(r'test accuracy ([\d.]+)%', run.stdout)]
        curve = (Path(out) / 'fashion_mnist_loss.csv').read_text().splitlines()
        if len(ours) != 2 or len(curve) != 1 + 2 * 469 or not (Path(out) / 'fashion_mnist.safetensors').exists():
            print('missing accuracy lines, loss curve rows or checkpoint')
            return 1
    theirs = torch_accuracy(data)
    print(f'test accuracy after 2 epochs: nabla {ours[-1]:.2f}%, PyTorch 1.13 {theirs:.2f}%')
    return 0 if abs(ours[-1] - theirs) <= 1.0 else 1


if __name__ == '__main__':
    sys.exit(main())
