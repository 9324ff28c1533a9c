"""Every digits zoo model in every code it converts to: the engine fires the functional simulator's spikes.

The shipped Loihi description and the real compiler; a few images and short windows keep
it quick. Rate and TTFS carry only ReLU-like units, so digits-cnn-silu runs in FS only.
The fashion-* models are run through the engine in tests/test_zoo_fashion.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.ann.zoo import load_zoo_model, zoo_names
from neurosim.coding.fs import FS
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.compiler import compile_network
from neurosim.datasets import as_model_input, load_dataset
from neurosim.engine import simulate_hardware
from neurosim.hardware import load_hardware
from neurosim.snn.convert import convert
from neurosim.snn.functional import simulate_stream

IMAGES = 3
CODES = {"fs": FS(), "rate": Rate(T=12), "ttfs": TTFS(T=6)}


def _digits_models() -> list[str]:
    return [name for name in zoo_names() if name.startswith("digits-")]


def _pairs() -> list[tuple[str, str]]:
    pairs = []
    for name in _digits_models():
        relu = all(getattr(layer, "function", "relu") in ("relu", "identity")
                   for layer in load_zoo_model(name).layers)
        pairs += [(name, code) for code in CODES if relu or code == "fs"]
    return pairs


def test_every_digits_zoo_model_is_covered() -> None:
    assert {name for name, _ in _pairs()} == set(_digits_models()) and len(_digits_models()) == 3
    assert len(_pairs()) == 7  # two ReLU models × 3 codes + the SiLU model in FS


@pytest.mark.parametrize(("name", "code"), _pairs())
def test_zoo_model_spikes_agree(name: str, code: str) -> None:
    model = load_zoo_model(name)
    data = load_dataset(model.metadata.get("dataset", "digits"))
    assert_engine_agrees_on_loihi(model, CODES[code], data, IMAGES)


def assert_engine_agrees_on_loihi(model, code, data, n_images: int) -> None:
    """``model`` converted with ``code`` on the shipped loihi: the engine fires exactly the
    streamed functional simulator's spikes and gives its outputs."""
    snn = convert(model, code, as_model_input(data.x_train[:128], model))
    images = as_model_input(data.x_test[:n_images], model)
    hw = load_hardware("loihi")
    run = simulate_hardware(snn, compile_network(snn, hw), hw, images, record_spikes=True)
    ref = simulate_stream(snn, images)
    _, steps, neurons = run.spike_record()
    assert len(steps) > 0
    np.testing.assert_array_equal(steps, ref.spike_steps)
    np.testing.assert_array_equal(neurons, ref.spike_neurons)
    np.testing.assert_array_equal(run.outputs, ref.outputs)
