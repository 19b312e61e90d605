"""A checkpoint that does not fit the model (issue 6, "nothing lost"): nabla.load then
load_state_dict raises naming the key, and every parameter and buffer keeps its bits."""
import pytest

import nabla


def make_model(seed):
    """Linear, BatchNorm1d, Linear: every entry but the step count differs between seeds."""
    nabla.manual_seed(seed)
    model = nabla.nn.Sequential(nabla.nn.Linear(4, 3), nabla.nn.BatchNorm1d(3), nabla.nn.ReLU(), nabla.nn.Linear(3, 2))
    with nabla.no_grad():
        model[1].weight.copy_(nabla.rand(3))
        model[1].bias.copy_(nabla.rand(3))
        model(nabla.randn(5, 4))  # moves the running statistics
    return model


def bits(state):
    return {key: (t.dtype, tuple(t.shape), t.numpy().tobytes()) for key, t in state.items()}


CHANGES = {
    "shape": (lambda d: d.update({"0.weight": nabla.zeros(3, 5)}), True,
              "size mismatch for 0.weight: copying a param with shape"),
    "missing key": (lambda d: d.pop("1.running_var"), True, 'Missing key(s) in state_dict: "1.running_var"'),
    "unexpected key": (lambda d: d.update({"3.scale": nabla.ones(2)}), True, 'Unexpected key(s) in state_dict: "3.scale"'),
    "shape, not strict": (lambda d: d.update({"3.bias": nabla.zeros(3)}), False, "size mismatch for 3.bias"),
    "dtype": (lambda d: d.update({"3.weight": d["3.weight"].double()}), True, "dtype mismatch for 3.weight"),
}


@pytest.mark.parametrize("change, strict, message", CHANGES.values(), ids=CHANGES.keys())
def test_mismatched_checkpoint_leaves_model_unchanged(tmp_path, change, strict, message):
    nabla.save(make_model(2).state_dict(), tmp_path / "good.safetensors")
    checkpoint = nabla.load(tmp_path / "good.safetensors")
    change(checkpoint)
    nabla.save(checkpoint, tmp_path / "bad.safetensors")
    model = make_model(1)
    before = bits(model.state_dict())
    with pytest.raises(RuntimeError, match="Error\\(s\\) in loading state_dict for Sequential") as error:
        model.load_state_dict(nabla.load(tmp_path / "bad.safetensors"), strict=strict)
    assert message in str(error.value)
    assert bits(model.state_dict()) == before


def test_matching_checkpoint_replaces_every_entry(tmp_path):
    """The control for the test above: a good checkpoint does change every entry but the step count."""
    source = make_model(2)
    nabla.save(source.state_dict(), tmp_path / "good.safetensors")
    model = make_model(1)
    before, expected = bits(model.state_dict()), bits(source.state_dict())
    assert [k for k in expected if expected[k] == before[k]] == ["1.num_batches_tracked"]
    model.load_state_dict(nabla.load(tmp_path / "good.safetensors"))
    assert bits(model.state_dict()) == expected
