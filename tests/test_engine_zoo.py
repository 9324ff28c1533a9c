"""Every zoo model in every code: the engine fires the functional simulator's spikes.

Skips until the model zoo (neurosim.ann.zoo) and the data sets (neurosim.datasets) are
merged; uses the FS code as soon as neurosim.coding.fs offers a SpikeCode named "fs".
A few images and short windows keep it quick.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from engine_hw import loihi_like, sequential_mapping

from neurosim.coding.base import SpikeCode
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.engine import simulate_hardware
from neurosim.errors import NeurosimError
from neurosim.snn.convert import convert
from neurosim.snn.functional import simulate_stream

zoo = pytest.importorskip("neurosim.ann.zoo")
datasets = pytest.importorskip("neurosim.datasets")
IMAGES = 3


def _fs_code() -> SpikeCode | None:
    try:
        module = importlib.import_module("neurosim.coding.fs")
    except ImportError:
        return None
    for obj in vars(module).values():
        if (isinstance(obj, type) and issubclass(obj, SpikeCode) and obj is not SpikeCode
                and getattr(obj, "name", "") == "fs"):
            try:
                return obj()
            except TypeError:
                return None
    return None


def _codes() -> dict[str, SpikeCode]:
    codes: dict[str, SpikeCode] = {"rate": Rate(T=12), "ttfs": TTFS(T=6)}
    fs = _fs_code()
    if fs is not None:
        codes["fs"] = fs
    return codes


def _mapping(snn, hw):
    try:
        from neurosim.compiler import compile as compile_snn
    except ImportError:
        return sequential_mapping(snn, hw, 128)
    return compile_snn(snn, hw)


@pytest.mark.parametrize("name", zoo.zoo_names() or ["<empty zoo>"])
def test_zoo_model_every_code(name: str) -> None:
    if name == "<empty zoo>":
        pytest.skip("the zoo ships no models yet")
    model = zoo.load_zoo_model(name)
    data = datasets.load_dataset(model.metadata.get("dataset", "digits"))
    calibration = datasets.as_model_input(data.x_train[:128], model)
    images = datasets.as_model_input(data.x_test[:IMAGES], model)
    hw = loihi_like(fs_neurons=True)  # the compiler places "fs" networks only on such cores
    ran = 0
    for code_name, code in _codes().items():
        try:
            snn = convert(model, code, calibration)
        except NeurosimError as exc:  # rate and TTFS carry only ReLU-like units
            assert code_name in ("rate", "ttfs") and "activation" in str(exc)
            continue
        run = simulate_hardware(snn, _mapping(snn, hw), hw, images, record_spikes=True,
                                images_per_stream=IMAGES)
        ref = simulate_stream(snn, images)
        _, steps, neurons = run.spike_record()
        np.testing.assert_array_equal(steps, ref.spike_steps, err_msg=f"{name} {code_name}")
        np.testing.assert_array_equal(neurons, ref.spike_neurons, err_msg=f"{name} {code_name}")
        np.testing.assert_array_equal(run.outputs, ref.outputs)
        ran += 1
    if not ran:
        pytest.skip(f"no code available here converts {name} (the FS code is not merged yet)")
