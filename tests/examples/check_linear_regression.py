"""Runs examples/linear_regression (C++) and the seed's script in PyTorch 1.13 with the same seed,
and checks that the ten loss lines and the printed predictions (a NumPy array, as in the seed) are the
same text. Usage: check_linear_regression.py <path to the linear_regression binary>"""
import subprocess
import sys

import numpy as np
import torch


def torch_reference():
    x_train = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [.168], [9.779], [6.182], [7.59], [2.167], [7.042],
                        [10.791], [5.313], [7.997], [3.1]], dtype=np.float32)
    y_train = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573], [3.366], [2.596], [2.53], [1.221], [2.827],
                        [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)
    x_train, y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
    torch.manual_seed(0)
    model = torch.nn.Linear(1, 1)
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    lines = []
    for epoch in range(1000):
        loss = criterion(model(x_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (epoch + 1) % 100 == 0:
            lines.append('Epoch [{}/{}], Loss: {:.4f}'.format(epoch + 1, 1000, loss.item()))
    model.eval()
    with torch.no_grad():
        predicted = model(x_train).detach().numpy()
    return lines, predicted


def main():
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout
    ours = [line for line in out.splitlines() if line.startswith('Epoch')]
    expected, predicted = torch_reference()
    if ours != expected:
        print('loss lines differ:\n' + '\n'.join(f'{a!r:40} {b!r}' for a, b in zip(ours, expected)))
        return 1
    printed = out.split('Loss:')[-1].split('\n', 1)[1].rstrip('\n')
    if printed != str(predicted):
        print('predictions differ from what NumPy prints:\n' + printed + '\nNumPy:\n' + str(predicted))
        return 1
    print('\n'.join(ours))
    print('linear_regression: 10 loss lines and 15 predictions match PyTorch 1.13')
    return 0


if __name__ == '__main__':
    sys.exit(main())
