"""Conversion and the functional simulator against the ANN reference pass."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import models, random_images, random_model

from neurosim.ann import ops
from neurosim.ann.forward import forward, forward_all
from neurosim.ann.layers import Activation, Add, AvgPool2d, Conv2d, Dense, Flatten, Input, MaxPool2d
from neurosim.ann.model import Model
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.errors import NeurosimError
from neurosim.snn.convert import convert
from neurosim.snn.functional import simulate, simulate_stream
from neurosim.snn.io import load_snn, save_snn
from neurosim.snn.quantise import Precision


def fs_dynamics_value(x: np.ndarray, pop) -> np.ndarray:
    """The value an "fs" neuron sends for input x, straight from the equations."""
    v = x.copy()
    value = np.zeros_like(x)
    for k in range(pop.window):
        z = v > pop.threshold[k]
        v = v - pop.reset[k] * z
        value = value + pop.out_weight[k] * z
    return value


def ttfs_value(x: np.ndarray, scale: float, steps: int) -> np.ndarray:
    """TTFS by hand: the largest m ≤ T with x > (m − ½)·q, times q = λ/T (0 if none)."""
    q = scale / steps
    m = np.clip(np.ceil(x / q + 0.5) - 1, 0, steps)
    return m * q


def approximate_forward(model: Model, snn, x: np.ndarray) -> dict[str, np.ndarray]:
    """The ANN with every spiking layer replaced by its population's neuron."""
    values: dict[str, np.ndarray] = {}
    pops = {p.ann_layer: p for p in snn.populations}
    for layer in model.layers:
        if isinstance(layer, Input):
            values[layer.name] = fs_dynamics_value(x.reshape(len(x), -1), pops[layer.name]).reshape(x.shape)
            continue
        ins = [values[n] for n in layer.inputs]
        if isinstance(layer, Activation) and layer.name in pops:
            flat = ins[0].reshape(len(x), -1)
            values[layer.name] = fs_dynamics_value(flat, pops[layer.name]).reshape(ins[0].shape)
        elif isinstance(layer, Add):
            values[layer.name] = np.sum(ins, axis=0)
        elif isinstance(layer, Dense):
            values[layer.name] = ins[0] @ layer.weight.T + layer.bias
        elif isinstance(layer, Conv2d):
            values[layer.name] = ops.conv2d(ins[0], layer.weight, layer.bias, layer.stride, layer.padding)
        elif isinstance(layer, AvgPool2d):
            values[layer.name] = ops.avg_pool2d(ins[0], layer.kernel, layer.stride)
        elif isinstance(layer, Flatten):
            values[layer.name] = ins[0].reshape(len(x), -1)
        else:
            values[layer.name] = ins[0]
    return values


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models, steps=st.integers(2, 24))
def test_ideal_ttfs_equals_ann_with_neurons_replaced(model: Model, steps: int) -> None:
    x = random_images(1, model)
    snn = convert(model, TTFS(T=steps), x, Precision.ideal())
    result = simulate(snn, x, record_values=True)
    reference = approximate_forward(model, snn, x)
    for pop in snn.populations:
        if pop.role == "output":
            np.testing.assert_allclose(result.outputs, reference[model.output], atol=1e-9, rtol=0)
        else:
            expected = reference[pop.ann_layer].reshape(len(x), -1)
            np.testing.assert_allclose(result.values[pop.name], expected, atol=1e-9, rtol=0)


def test_ttfs_neuron_matches_hand_formula() -> None:
    model = random_model(3, conv=False)
    x = random_images(3, model, n=64)
    steps = 16
    snn = convert(model, TTFS(T=steps), x, Precision.ideal())
    pop = snn.population("ad")
    scale = pop.out_weight[0]  # d(0) = T·q = λ
    pre = forward_all(model, x)["d1"]
    np.testing.assert_allclose(fs_dynamics_value(pre, pop), ttfs_value(pre, scale, steps), atol=1e-12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models, code=st.sampled_from(["rate", "ttfs"]), integer=st.booleans())
def test_stream_equals_one_image_at_a_time(model: Model, code: str, integer: bool) -> None:
    x = random_images(2, model, n=4)
    spike_code = Rate(T=6) if code == "rate" else TTFS(T=5)
    snn = convert(model, spike_code, x, Precision() if integer else Precision.ideal())
    alone = simulate(snn, x)
    stream = simulate_stream(snn, x)
    if integer:
        np.testing.assert_array_equal(stream.outputs, alone.outputs)
    else:  # float sums in another order differ in the last bit
        np.testing.assert_allclose(stream.outputs, alone.outputs, rtol=1e-12, atol=1e-12)
    # Spikes per neuron and image agree too.
    counts = np.zeros(snn.n_neurons, dtype=np.int64)
    np.add.at(counts, stream.spike_neurons, 1)
    for pop in snn.populations:
        if pop.spiking:
            start = snn.first_neuron(pop.name)
            np.testing.assert_array_equal(counts[start:start + pop.size],
                                          alone.spike_counts[pop.name].sum(axis=0))
    expected = snn.latency_steps + np.arange(len(x)) * snn.window
    np.testing.assert_array_equal(stream.readout_steps, expected)


def test_pipeline_timing_of_each_code() -> None:
    model = random_model(5, residual=True)
    x = random_images(5, model, n=2)
    ttfs = convert(model, TTFS(T=8), x)
    # in → a1 → a2 → a3 (the Add waits for c3) → ad → out: 5 windows of 8 steps.
    assert [p.offset for p in ttfs.populations] == [0, 8, 16, 24, 32, 40]
    assert ttfs.latency_steps == 40 and ttfs.window == 8
    shortcut = next(q for q in ttfs.projections if q.source == "a1" and q.target == "a3")
    assert shortcut.delay == 8  # skips one stage
    rate = convert(model, Rate(T=8), x)
    assert [p.offset for p in rate.populations] == [0, 1, 2, 3, 4, 5]
    assert rate.latency_steps == 5 + 8 - 1


def test_pooling_folds_into_the_next_projection() -> None:
    model = random_model(7, conv=True, pool=True)
    x = random_images(7, model)
    snn = convert(model, TTFS(T=4), x, Precision.ideal())
    assert [p.name for p in snn.populations] == ["in", "a1", "ad", "out"]  # no pooling neurons
    proj = next(q for q in snn.projections if q.source == "a1")
    assert proj.kind == "dense" and proj.weight.shape == (12, 3 * 36)


def test_pool_after_conv_composes_into_one_convolution() -> None:
    rng = np.random.default_rng(0)
    model = Model("pc", (
        Input("in", (2, 8, 8)),
        Conv2d("c", ("in",), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3), 1, 1),
        AvgPool2d("p", ("c",), 2, 2),
        Activation("a", ("p",), "relu"),
        Conv2d("c2", ("a",), rng.normal(size=(4, 3, 3, 3)), np.zeros(4), 1, 0),
        Flatten("f", ("c2",)),
    ))
    x = rng.uniform(size=(3, 2, 8, 8))
    snn = convert(model, TTFS(T=64), x, Precision.ideal())
    proj = snn.projections[0]
    assert proj.kind == "conv" and proj.weight.shape == (3, 2, 4, 4) and proj.stride == (2, 2)
    bias = snn.population("a").bias.reshape(3, 4, 4)
    np.testing.assert_allclose(bias, np.broadcast_to(model.layer("c").bias[:, None, None], (3, 4, 4)))


def test_integer_mode_is_close_to_ideal_and_uses_integers() -> None:
    model = random_model(11, residual=True)
    x = random_images(11, model, n=128)
    ideal = simulate(convert(model, TTFS(T=32), x, Precision.ideal()), x)
    snn = convert(model, TTFS(T=32), x, Precision(weight_bits=8))
    for q in snn.projections:
        assert q.weight.dtype == np.int64 and np.abs(q.weight).max() <= 127
    quantised = simulate(snn, x)
    ann = forward(model, x)
    # An untrained model's close logits may swap on a few images: judge over many.
    assert np.mean(quantised.predictions == ideal.predictions) >= 0.9
    assert np.abs(quantised.outputs - ideal.outputs).max() < 0.25 * np.abs(ann).max()


def test_snn_file_round_trip(tmp_path) -> None:
    model = random_model(13, residual=True)
    x = random_images(13, model)
    snn = convert(model, Rate(T=10), x)
    path = save_snn(snn, tmp_path / "n.npz")
    again = load_snn(path)
    np.testing.assert_array_equal(simulate(again, x).outputs, simulate(snn, x).outputs)
    assert again.params == snn.params


def test_max_pooling_is_refused_with_advice() -> None:
    model = Model("mp", (
        Input("in", (1, 4, 4)),
        Conv2d("c", ("in",), np.ones((1, 1, 1, 1)), np.zeros(1)),
        Activation("a", ("c",), "relu"),
        MaxPool2d("m", ("a",), 2, 2),
        Flatten("f", ("m",)),
        Dense("d", ("f",), np.ones((2, 4)), np.zeros(2)),
    ))
    with pytest.raises(NeurosimError, match="average pooling"):
        convert(model, TTFS(), np.zeros((1, 1, 4, 4)))


@pytest.mark.parametrize("code", [Rate(), TTFS()])
def test_rate_and_ttfs_refuse_non_relu(code) -> None:
    model = random_model(1, activation="silu")
    with pytest.raises(NeurosimError, match="FS code"):
        convert(model, code, random_images(1, model))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models, activation=st.sampled_from(["relu", "silu", "sigmoid"]),
       alpha=st.floats(0.5, 8.0))
def test_ideal_fs_equals_ann_with_fs_activations(model: Model, activation: str, alpha: float) -> None:
    """Each population's decoded output is the ANN's with f replaced by fs_forward (issue 3)."""
    from neurosim.coding.fs import (
        FS,
        default_sequences,
        fs_forward,
        input_encoding_params,
        relu_params,
    )

    model = Model(model.name, tuple(
        Activation(lyr.name, lyr.inputs, activation) if isinstance(lyr, Activation) else lyr
        for lyr in model.layers))
    x = random_images(5, model)
    snn = convert(model, FS(alpha=alpha), x, Precision.ideal())
    K = snn.window
    table = {"relu": relu_params(alpha, K)} if activation == "relu" else {
        activation: default_sequences(activation, K)}
    encoding = input_encoding_params(float(x.max()), K)
    values: dict[str, np.ndarray] = {}
    for layer in model.layers:
        if isinstance(layer, Input):
            values[layer.name] = fs_forward(x, encoding)[0]
        elif isinstance(layer, Activation):
            values[layer.name] = fs_forward(values[layer.inputs[0]], table[activation])[0]
        elif isinstance(layer, Add):
            values[layer.name] = sum(values[n] for n in layer.inputs)
        else:
            sub = Model("one", (Input("i", values[layer.inputs[0]].shape[1:]),
                                type(layer)(**{**layer.__dict__, "inputs": ("i",)})))
            values[layer.name] = forward(sub, values[layer.inputs[0]])
    result = simulate(snn, x, record_values=True)
    for pop in snn.populations:
        expected = values[pop.ann_layer].reshape(len(x), -1)
        got = result.outputs if pop.role == "output" else result.values[pop.name]
        np.testing.assert_allclose(got, expected, atol=1e-9, rtol=0)


@pytest.mark.parametrize("code", [TTFS(T=32), Rate(T=16)])
def test_integer_input_thresholds_are_exact(code) -> None:
    """The input unit divides the thresholds' common step: no rounding in the encoder."""
    from neurosim.coding.fs import FS

    for spike_code in (code, FS(K=10), FS(K=16)):
        model = random_model(2)
        x = random_images(2, model)
        ideal = convert(model, spike_code, x, Precision.ideal()).input
        exact = convert(model, spike_code, x).input
        np.testing.assert_allclose(exact.threshold * exact.unit, ideal.threshold, rtol=1e-12)
        assert exact.unit <= np.abs(ideal.threshold).max() / 2 ** Precision().input_bits
