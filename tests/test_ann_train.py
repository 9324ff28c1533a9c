"""The training command: repeatable, and its result is a checked neurosim model."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.ann.io import load_model
from neurosim.cli import main
from neurosim.datasets import SPLIT_RULE

pytest.importorskip("torch")

from neurosim.ann.train import train


@pytest.mark.slow
def test_training_is_repeatable_and_records_its_provenance():
    first = train("digits-cnn-silu", seed=3, epochs=1)
    second = train("digits-cnn-silu", seed=3, epochs=1)
    other = train("digits-cnn-silu", seed=4, epochs=1)
    for a, b in zip(first.layers, second.layers):
        if hasattr(a, "weight"):
            np.testing.assert_array_equal(a.weight, b.weight)
    assert not np.array_equal(first.layer("conv1").weight, other.layer("conv1").weight)
    meta = first.metadata
    assert meta["dataset"] == "digits" and meta["split"] == SPLIT_RULE
    assert meta["training_command"] == "neurosim model train digits-cnn-silu --seed 3 --epochs 1"
    assert meta["seed"] == 3 and meta["epochs"] == 1 and 0.0 <= meta["test_accuracy"] <= 1.0


def test_train_command_writes_a_model(tmp_path, capsys):
    out = tmp_path / "mlp.npz"
    assert main(["model", "train", "digits-mlp", "--epochs", "1", "--out", str(out)]) == 0
    model = load_model(out)
    assert model.input.shape == (64,) and model.metadata["epochs"] == 1
    assert str(out) in capsys.readouterr().out
