"""The chip's threshold comparison (``core.threshold_compare``): ``ge`` fires an IF neuron on
v ≥ θ, ``gt`` on v > θ, alike in every simulator."""

from __future__ import annotations

import numpy as np
import pytest
from engine_hw import loihi_like, random_mapping, sequential_mapping
from engine_nets import converted, random_images, random_model
from test_engine_agreement import assert_same_spikes

from neurosim.dynamics import RESET_SUBTRACT, if_fire, lif_fire
from neurosim.engine import simulate_hardware
from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware
from neurosim.hardware.writer import dump_hardware
from neurosim.pipeline import for_chip
from neurosim.snn.functional import simulate, simulate_numpy, simulate_stream
from neurosim.snn.network import SNN, Population, Projection


def test_equal_potential_fires_under_ge_only() -> None:
    for fire in (if_fire, if_fire.py_func):
        assert fire(0, 4, 4, 4, False) == (0, True)   # v = 4 = θ: fires, v ← 4 − 4
        assert fire(0, 4, 4, 4, True) == (4, False)   # v > θ needed: holds 4
        assert fire(0, 5, 4, 4, True) == (1, True)
    for fire in (lif_fire, lif_fire.py_func):
        assert tuple(fire(0, 0, 0, 4, 4, 4, RESET_SUBTRACT, 0, 0, False)) == (0, 0, True)
        assert tuple(fire(0, 0, 0, 4, 4, 4, RESET_SUBTRACT, 0, 0, True)) == (4, 0, False)


def _hand_net() -> SNN:
    """One IF input neuron (θ = h = 4, window 2) → one IF read-out through weight 3.

    The image 4.0 is spread over the window: 2 per step. Step 0: v = 2. Step 1: v = 4 = θ,
    which fires under ``ge`` (the read-out gets 3 at step 2, inside its window 1..2) and
    not under ``gt`` (the read-out stays 0).
    """
    two = np.ones(2, np.int64)
    inp = Population("in", (1,), "input", "if", threshold=4 * two, reset=4 * two,
                     out_weight=two, bias=np.zeros(1, np.int64), offset=0)
    out = Population("out", (1,), "output", "if", threshold=4 * two, reset=0 * two,
                     out_weight=0 * two, bias=np.zeros(1, np.int64), offset=1)
    proj = Projection("in->out", "in", "out", "dense", weight=np.array([[3]], np.int64))
    return SNN(name="hand-compare", code="rate", populations=(inp, out), projections=(proj,))


@pytest.mark.parametrize("rule, spikes, output", [("ge", [(1, 0)], 3.0), ("gt", [], 0.0)])
def test_hand_worked_threshold_rule(rule: str, spikes: list, output: float) -> None:
    image = np.array([[4.0]])
    snn = _hand_net().with_threshold_compare(rule)
    stream = simulate_stream(snn, image)
    assert list(zip(stream.spike_steps.tolist(), stream.spike_neurons.tolist())) == spikes
    assert stream.outputs[0, 0] == output
    for run in (simulate(snn, image), simulate_numpy(snn, image)):  # numba and numpy paths
        assert run.outputs[0, 0] == output
        assert run.spike_counts["in"].sum() == len(spikes)
    hw = loihi_like(threshold_compare=rule)
    mapping = sequential_mapping(snn, hw)
    engine = simulate_hardware(snn, mapping, hw, image, record_spikes=True)
    _, steps, neurons = engine.spike_record()
    assert list(zip(steps.tolist(), neurons.tolist())) == spikes
    assert engine.outputs[0, 0] == output


def test_the_network_carries_the_chip_rule() -> None:
    snn = _hand_net()
    assert snn.threshold_compare == "ge" and not snn.strict_threshold
    strict = for_chip(snn, loihi_like(threshold_compare="gt"))
    assert strict.threshold_compare == "gt" and strict.strict_threshold
    assert for_chip(snn, loihi_like()) is snn
    with pytest.raises(NeurosimError):
        snn.with_threshold_compare("gte")


def test_key_loads_defaults_and_refuses_bad_values() -> None:
    assert load_hardware("loihi").chip.core.threshold_compare == "ge"
    hw = load_hardware("loihi", {"core.threshold_compare": "gt"})
    assert hw.chip.core.threshold_compare == "gt"
    assert "threshold_compare: gt" in dump_hardware(hw, with_sources=False)
    with pytest.raises(NeurosimError) as info:
        load_hardware("loihi", {"core.threshold_compare": "gte"})
    assert "threshold_compare" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("shape", ["mlp", "conv", "residual", "strided"])
def test_engine_matches_functional_under_gt(shape: str) -> None:
    kw = {"mlp": {"conv": False}, "conv": {"conv": True}, "residual": {"residual": True},
          "strided": {"stride": 2, "pool": False}}[shape]
    model = random_model(7, **kw)
    images = random_images(7, model, 5)
    snn = converted(model, "rate", images)
    hw = loihi_like(threshold_compare="gt")
    assert_same_spikes(snn, random_mapping(snn, hw, seed=3, neurons_per_core=17), hw, images)
    # The rule matters on these networks: some neuron lands exactly on its threshold.
    ge = simulate_stream(snn, images)
    gt = simulate_stream(snn.with_threshold_compare("gt"), images)
    assert len(gt.spike_steps) < len(ge.spike_steps)
    # The functional fast path (numba) agrees with the stream under the chip's rule.
    fast = simulate(snn.with_threshold_compare("gt"), images)
    np.testing.assert_array_equal(fast.outputs, gt.outputs)


def test_ge_equivalent_fires_the_same_spikes() -> None:
    # Writers of formats that know v ≥ θ get θ + 1 under gt: the same spikes, the same outputs.
    model = random_model(7, conv=True)
    images = random_images(7, model, 3)
    strict = converted(model, "rate", images).with_threshold_compare("gt")
    written = strict.with_ge_thresholds()
    assert written.threshold_compare == "ge"
    a, b = simulate_stream(strict, images), simulate_stream(written, images)
    np.testing.assert_array_equal(a.spike_steps, b.spike_steps)
    np.testing.assert_array_equal(a.spike_neurons, b.spike_neurons)
    np.testing.assert_array_equal(a.outputs, b.outputs)
    assert written.with_ge_thresholds() is written
