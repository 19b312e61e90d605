"""examples/seed.py (the seed's code with `import nabla as torch`) prints exactly what the same script prints under
PyTorch 1.13, and a Python-level training run follows PyTorch's step for step."""
import os
import subprocess
import sys

import numpy as np
import torch

import nabla

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def run(source):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, env=env, check=True).stdout


def test_seed_example_prints_what_pytorch_prints():
    with open(os.path.join(ROOT, "examples", "seed.py"), encoding="utf-8") as f:
        script = f.read()
    assert script.count("\nimport nabla as torch\n") == 3 and "\nimport torch" not in script
    ours = run(script)
    theirs = run(script.replace("import nabla as torch", "import torch"))
    assert ours == theirs
    assert "Epoch [1000/1000], Loss: " in ours and "[[19 22]\n [43 50]]" in ours


def train(torch_like, steps=30):
    torch_like.manual_seed(3)
    model = torch_like.nn.Sequential(torch_like.nn.Linear(4, 8), torch_like.nn.Tanh(), torch_like.nn.Linear(8, 3))
    optimizer = torch_like.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch_like.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    x = torch_like.randn(16, 4)
    y = torch_like.randint(0, 3, (16,))
    criterion = torch_like.nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_python_training_matches_pytorch():
    ours, our_params = train(nabla)
    theirs, their_params = train(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    for a, b in zip(our_params, their_params):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
