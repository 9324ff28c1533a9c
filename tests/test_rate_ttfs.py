"""The rate and TTFS baselines: convergence, one spike at most, integer against float."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import models, random_images, random_model

from neurosim.ann.forward import forward_all
from neurosim.coding import make_code
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.errors import NeurosimError
from neurosim.snn.convert import convert
from neurosim.snn.functional import simulate, simulate_stream
from neurosim.snn.quantise import Precision


def test_rate_input_neuron_counts_within_one_spike() -> None:
    """An IF neuron driven by a constant x/T with threshold λ/T fires ⌊T·x/λ⌋ or one less."""
    model = random_model(0, conv=False)
    x = random_images(0, model, n=50)
    for steps in (7, 32, 100):
        snn = convert(model, Rate(T=steps), x, Precision.ideal())
        counts = simulate(snn, x).spike_counts["in"]
        exact = steps * x.reshape(len(x), -1) / x.max()
        assert np.all(counts <= np.floor(exact + 1e-9)) and np.all(counts >= np.floor(exact) - 1)


def test_rate_error_falls_like_one_over_T() -> None:
    model = random_model(4, conv=True)
    x = random_images(4, model, n=64)
    hidden = forward_all(model, x)["a1"].reshape(len(x), -1)
    errors = {}
    for steps in (16, 64, 256, 1024):
        snn = convert(model, Rate(T=steps, percentile=100.0), x, Precision.ideal())
        values = simulate(snn, x, record_values=True).values["a1"]
        scale = snn.population("a1").out_weight[0] * steps  # λ of the layer
        errors[steps] = np.abs(values - np.minimum(hidden, scale)).mean() / scale
    # Each quadrupling of T cuts the error by at least 2.5 (1/T would be 4).
    for small, large in ((16, 64), (64, 256), (256, 1024)):
        assert errors[large] < errors[small] / 2.5, errors
    assert errors[1024] < 2e-3


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models, steps=st.integers(1, 12), integer=st.booleans())
def test_ttfs_neuron_never_spikes_twice(model, steps: int, integer: bool) -> None:
    x = random_images(3, model, n=3) * 3.0  # beyond calibration: clipped, still one spike
    snn = convert(model, TTFS(T=steps), x[:1], Precision() if integer else Precision.ideal())
    for counts in simulate(snn, x).spike_counts.values():
        assert counts.max() <= 1
    stream = simulate_stream(snn, x)
    pairs = np.stack([stream.spike_neurons, (stream.spike_steps // snn.window)])
    _, multiplicity = np.unique(pairs, axis=1, return_counts=True)
    assert multiplicity.max(initial=1) == 1


@pytest.mark.parametrize("code", [TTFS(T=32), Rate(T=64)])
def test_integer_and_float_agree_within_quantisation(code) -> None:
    model = random_model(8, residual=True)
    x = random_images(8, model, n=64)
    ideal = simulate(convert(model, code, x, Precision.ideal()), x, record_values=True)
    exact = simulate(convert(model, code, x, Precision(weight_bits=12)), x, record_values=True)
    # The input layer sees only input quantisation: its values differ by at most one step.
    step = convert(model, code, x, Precision.ideal()).input.out_weight.max()
    assert np.abs(exact.values["in"] - ideal.values["in"]).max() <= step + 1e-12
    assert np.mean(exact.predictions == ideal.predictions) >= 0.95


@pytest.mark.parametrize("options", [{"T": 0}, {"T": -3}, {"percentile": 0.0},
                                     {"percentile": 100.5}, {"input": "spikes"}])
@pytest.mark.parametrize("name", ["rate", "ttfs"])
def test_bad_code_options_are_refused(name: str, options: dict) -> None:
    if name == "ttfs" and "input" in options:
        options = {"seed": 1}  # an option TTFS does not have
    with pytest.raises(NeurosimError):
        make_code(name, **options)
