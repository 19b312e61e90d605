"""Trains an MLP (784-256-128-10) on Fashion-MNIST from Python, as one would with PyTorch: a DataLoader over a
TensorDataset, SGD with momentum, cross-entropy; prints the test accuracy after each epoch.

    PYTHONPATH=build/python python3 examples/fashion_mnist.py [--epochs N] [--data DIR] [--seed S] [--torch]

--torch runs the same script on PyTorch instead, for comparison."""
import argparse
import sys
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--limit", type=int, default=0, help="use only the first N training images (0: all)")
parser.add_argument("--torch", action="store_true", help="run on PyTorch instead of nabla")
args = parser.parse_args()

if args.torch:
    import torch
    torch.set_num_threads(1)
else:
    import nabla as torch
nn = torch.nn


def load_split(prefix):
    """Images as float32 in [0, 1], shape (N, 784); labels as int64."""
    import gzip
    import numpy as np
    with gzip.open(f"{args.data}/{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(f"{args.data}/{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return torch.from_numpy(images).float() / 255, torch.from_numpy(labels).long()


def main():
    torch.manual_seed(args.seed)
    x_train, y_train = load_split("train")
    x_test, y_test = load_split("t10k")
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=128,
                                         shuffle=True)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    print(model)
    for epoch in range(args.epochs):
        model.train()
        start, total_loss = time.perf_counter(), 0.0
        for step, (x, y) in enumerate(loader):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
            if sys.stdout.isatty() and step % 20 == 0:
                print(f"\repoch {epoch + 1} [{step + 1}/{len(loader)}] loss {loss.item():.4f}", end="", flush=True)
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        print(f"\repoch {epoch + 1}: train loss {total_loss / len(loader):.4f}, test accuracy {accuracy:.4f}, "
              f"{seconds:.2f} s")


if __name__ == "__main__":
    main()
