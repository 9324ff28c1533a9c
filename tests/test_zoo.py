"""The shipped zoo models: accuracy bars through the numpy reference pass, metadata, lookup."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.ann.forward import accuracy
from neurosim.ann.layers import Activation, AvgPool2d, Conv2d, Dense, MaxPool2d
from neurosim.ann.summary import summarize
from neurosim.ann.zoo import load_zoo_model, resolve_model, zoo_names, zoo_path
from neurosim.datasets import SPLIT_RULE, as_model_input, load_dataset
from neurosim.errors import NeurosimError

BARS = {"digits-mlp": 0.97, "digits-cnn": 0.98, "digits-cnn-silu": 0.98}


def test_zoo_has_the_digits_and_fashion_models():
    # The fashion-* models are checked in tests/test_zoo_fashion.py.
    assert zoo_names() == sorted([*BARS, "fashion-cnn", "fashion-mlp", "fashion-resnet"])


@pytest.mark.parametrize("name", sorted(BARS))
def test_accuracy_bar_through_numpy_reference(name):
    model = load_zoo_model(name)
    data = load_dataset("digits")
    acc = accuracy(model, as_model_input(data.x_test, model), data.y_test)
    assert acc >= BARS[name]
    # The metadata states what this test measures.
    assert model.metadata["test_accuracy"] == pytest.approx(acc, abs=1e-12)
    for key in ("dataset", "split", "training_command", "seed", "epochs", "date"):
        assert key in model.metadata
    assert model.metadata["dataset"] == "digits" and model.metadata["split"] == SPLIT_RULE


@pytest.mark.parametrize("name", ["digits-cnn", "digits-cnn-silu"])
def test_cnn_architecture(name):
    model = load_zoo_model(name)
    kinds = [type(lyr) for lyr in model.layers]
    assert kinds.count(Conv2d) >= 2 and AvgPool2d in kinds and MaxPool2d not in kinds
    functions = {lyr.function for lyr in model.layers if isinstance(lyr, Activation)}
    assert functions == ({"relu"} if name == "digits-cnn" else {"silu"})
    out = model.layer(model.output)
    assert isinstance(out, Dense) and model.shapes[model.output] == (10,)
    spiking = sum(r.neurons for r in summarize(model) if r.role == "spiking")
    assert spiking <= 2000


def test_resolve_model_by_name_path_and_unknown(tmp_path):
    by_name = resolve_model("digits-mlp")
    by_path = resolve_model(zoo_path("digits-mlp"))
    np.testing.assert_array_equal(by_name.layers[1].weight, by_path.layers[1].weight)
    with pytest.raises(NeurosimError, match="digits-cnn, digits-cnn-silu, digits-mlp"):
        resolve_model("digits-transformer")
    with pytest.raises(NeurosimError, match="no such model file"):
        resolve_model(tmp_path / "missing.npz")
