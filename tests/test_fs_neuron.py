"""The FS neuron: its step, forward pass, ReLU closed form, spike statistics, quantisation, files."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.coding.fs import (
    PAPER_RELU_ALPHA,
    FSParams,
    default_sequences,
    expected_spikes,
    fs_forward,
    fs_step,
    load_sequences,
    mean_spikes_uniform,
    quantise,
    quantise_to_integers,
    relu_params,
    save_sequences,
    spike_pieces,
)
from neurosim.errors import NeurosimError

# A 3-step neuron worked by hand (see test_three_step_neuron_by_hand).
HAND = FSParams("hand", 3, T=[1.0, 0.0, 0.5], h=[1.5, 0.25, 1.0], d=[2.0, -1.0, 0.5])


def random_params(seed: int, K: int = 6) -> FSParams:
    rng = np.random.default_rng(seed)
    return FSParams(
        "random", K, rng.uniform(-3, 3, K), rng.uniform(-1, 3, K), rng.normal(0, 1, K)
    )


def test_three_step_neuron_by_hand():
    # x = 2:   v=2 > 1 fires, v=0.5 > 0 fires, v=0.25 ≤ 0.5  -> y = 2 − 1 = 1, 2 spikes
    # x = 1:   v=1 is not > 1 (strict), v=1 > 0 fires, v=0.75 > 0.5 fires -> y = −0.5, 2 spikes
    # x = 0.3: only step 2 fires (0.3 > 0; then 0.05 ≤ 0.5) -> y = −1, 1 spike
    # x = 3:   all fire (3 > 1, 1.5 > 0, 1.25 > 0.5) -> y = 1.5, 3 spikes
    # x = −1:  nothing fires -> y = 0
    x = np.array([2.0, 1.0, 0.3, 3.0, -1.0])
    y, spikes = fs_forward(x, HAND)
    np.testing.assert_allclose(y, [1.0, -0.5, -1.0, 1.5, 0.0])
    np.testing.assert_array_equal(spikes, [2, 2, 1, 3, 0])


def test_step_by_hand():
    v, z = fs_step(np.array([2.0, 1.0]), 0, HAND)
    np.testing.assert_array_equal(z, [True, False])
    np.testing.assert_allclose(v, [0.5, 1.0])
    v, z = fs_step(v, 1, HAND)
    np.testing.assert_array_equal(z, [True, True])
    np.testing.assert_allclose(v, [0.25, 0.75])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), K=st.integers(1, 12), shape=st.sampled_from([(7,), (3, 4), (2, 1, 5)]))
def test_steps_compose_to_forward(seed, K, shape):
    params = random_params(seed, K)
    x = np.random.default_rng(seed + 1).uniform(-6, 6, shape)
    v, y, count = x, np.zeros(shape), np.zeros(shape, dtype=int)
    for t in range(K):
        v, z = fs_step(v, t, params)
        y, count = y + params.d[t] * z, count + z
    y_forward, count_forward = fs_forward(x, params)
    assert y_forward.shape == shape and count_forward.shape == shape
    np.testing.assert_array_equal(y_forward, y)
    np.testing.assert_array_equal(count_forward, count)


def test_params_are_frozen_and_validated():
    with pytest.raises(ValueError):
        HAND.T[0] = 5.0
    with pytest.raises(NeurosimError, match="K must be"):
        FSParams("x", 0, [], [], [])
    with pytest.raises(NeurosimError, match="has 2 values, expected K = 3"):
        FSParams("x", 3, [1, 2], [1, 2, 3], [1, 2, 3])
    with pytest.raises(NeurosimError, match="NaN"):
        FSParams("x", 1, [math.nan], [1], [1])
    # metadata plays no part in equality
    assert FSParams("a", 1, [1], [2], [3], fit={"seed": 1}) == FSParams("a", 1, [1], [2], [3])
    assert FSParams("a", 1, [1], [2], [3]) != FSParams("a", 1, [1], [2], [4])


# --- ReLU ---------------------------------------------------------------------------------


def test_relu_closed_form_sequences():
    params = relu_params(PAPER_RELU_ALPHA, 10)
    expected = 25.0 * 2.0 ** -np.arange(1, 11)
    for sequence in (params.T, params.h, params.d):
        np.testing.assert_array_equal(sequence, expected)
    assert params.T[-1] == pytest.approx(0.0244, abs=1e-4)  # the paper's step


@settings(max_examples=40, deadline=None)
@given(alpha=st.floats(0.01, 1000.0), K=st.integers(1, 14), seed=st.integers(0, 1000))
def test_relu_is_the_binary_expansion(alpha, K, seed):
    params = relu_params(alpha, K)
    step = alpha / 2**K
    x = np.random.default_rng(seed).uniform(-alpha, 1.5 * alpha, 500)
    v, trains = x, []
    for t in range(K):
        v, z = fs_step(v, t, params)
        trains.append(z)
    y, _ = fs_forward(x, params)
    # The spike train, read as K binary digits, is the integer m with y = m·step.
    m = sum(z.astype(np.int64) << (K - 1 - t) for t, z in enumerate(trains))
    np.testing.assert_allclose(y, m * step, rtol=1e-12, atol=1e-12 * alpha)
    # m·step is the largest multiple of the step strictly below x, clipped to [0, α − step].
    clipped = np.clip(x, 0.0, alpha - step)
    inside = (x > 0) & (x < alpha - step)
    assert np.all(m[x <= 0] == 0)
    assert np.all(m[x >= alpha - step + 1e-9 * alpha] == 2**K - 1)
    assert np.all(y[inside] < x[inside] + 1e-9 * alpha)
    assert np.all(x[inside] <= y[inside] + step * (1 + 1e-9))
    assert np.all(np.abs(y - clipped) <= step * (1 + 1e-9))


@settings(max_examples=40, deadline=None)
@given(alpha=st.floats(0.01, 1000.0), K=st.integers(1, 14))
def test_relu_max_error_on_0_alpha_is_one_step(alpha, K):
    params = relu_params(alpha, K)
    step = alpha / 2**K
    # A dense grid of [0, α) that contains the multiples of the step, where the error peaks.
    x = np.unique(np.concatenate([np.linspace(0, alpha, 4001)[:-1], np.arange(2**K) * step]))
    y, _ = fs_forward(x, params)
    assert np.max(np.abs(y - np.maximum(x, 0))) == pytest.approx(step, rel=1e-7)


def test_relu_rejects_bad_alpha():
    for alpha in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(NeurosimError, match="α"):
            relu_params(alpha)


# --- spike statistics ---------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), K=st.integers(1, 10))
def test_pieces_hold_the_spike_pattern_of_every_input(seed, K):
    params = random_params(seed, K)
    edges, patterns = spike_pieces(params)
    assert np.all(np.diff(edges) > 0)
    x = np.random.default_rng(seed).uniform(-10, 10, 300)
    piece = np.searchsorted(edges, x, side="left") - 1  # (edges[i], edges[i+1]]
    v, trains = x, []
    for t in range(K):
        v, z = fs_step(v, t, params)
        trains.append(z)
    np.testing.assert_array_equal(np.stack(trains, axis=1), patterns[piece])


def test_relu_expected_spikes_under_the_papers_resnet_input():
    # Stöckl & Maass (2021) report about 1.2 spikes per ReLU neuron under N(−0.36, 1.46).
    value = expected_spikes(relu_params(PAPER_RELU_ALPHA, 10), -0.36, 1.46)
    assert value == pytest.approx(1.2, abs=0.05)


@pytest.mark.parametrize("params", [relu_params(PAPER_RELU_ALPHA, 10), random_params(3, 8)])
def test_expected_spikes_matches_monte_carlo(params):
    mu, sigma = -0.36, 1.46
    samples = np.random.default_rng(0).normal(mu, sigma, 400_000)
    counts = fs_forward(samples, params)[1]
    standard_error = counts.std() / math.sqrt(counts.size)
    assert abs(expected_spikes(params, mu, sigma) - counts.mean()) < 5 * standard_error


def test_mean_spikes_uniform_matches_a_dense_grid():
    params = random_params(7, 8)
    x = np.linspace(-4, 3, 1_000_001)
    assert mean_spikes_uniform(params, -4, 3) == pytest.approx(fs_forward(x, params)[1].mean(), abs=1e-4)
    assert mean_spikes_uniform(relu_params(8.0, 3), 0, 8) == pytest.approx(1.5)  # bits of 0..7


def test_spike_statistics_reject_bad_input():
    with pytest.raises(NeurosimError, match="positive standard deviation"):
        expected_spikes(HAND, 0.0, 0.0)
    with pytest.raises(NeurosimError, match="lo < hi"):
        mean_spikes_uniform(HAND, 1.0, 1.0)


# --- quantisation -------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), bits=st.integers(2, 16))
def test_quantised_sequences_are_b_bit_integers_times_a_scale(seed, bits):
    params = random_params(seed, 8)
    q = quantise_to_integers(params, bits)
    largest = 2 ** (bits - 1) - 1
    for ints in (q.T_int, q.h_int, q.d_int):
        assert ints.dtype == np.int64 and np.all(np.abs(ints) <= largest)
    assert max(np.abs(q.T_int).max(), np.abs(q.h_int).max()) == largest
    assert np.abs(q.d_int).max() == largest
    np.testing.assert_allclose(q.T_int * q.potential_scale, params.T, atol=q.potential_scale / 2 + 1e-12)
    np.testing.assert_allclose(q.h_int * q.potential_scale, params.h, atol=q.potential_scale / 2 + 1e-12)
    np.testing.assert_allclose(q.d_int * q.output_scale, params.d, atol=q.output_scale / 2 + 1e-12)
    rounded = quantise(params, bits)
    np.testing.assert_array_equal(rounded.T, q.T_int * q.potential_scale)
    assert rounded.fit["bits"] == bits


def test_quantise_rejects_too_few_bits():
    with pytest.raises(NeurosimError, match="at least 2 bits"):
        quantise(HAND, 1)


# --- files --------------------------------------------------------------------------------


def test_yaml_round_trip(tmp_path):
    params = FSParams(
        "silu", 6, *(random_params(11, 6).T, random_params(12, 6).h, random_params(13, 6).d),
        fit={"seed": 3, "range": [-5.0, 5.0]}, errors={"mse": 1.5e-3},
    )
    path = tmp_path / "seq.yaml"
    save_sequences(params, path, header="made by a test\nsecond line")
    assert path.read_text().startswith("# made by a test\n# second line\n")
    loaded = load_sequences(path, K=6)
    assert loaded == params
    np.testing.assert_array_equal(loaded.d, params.d)  # full float precision
    assert loaded.fit == params.fit and loaded.errors == params.errors


def _write(path, **changes):
    document = {"activation": "silu", "K": 3, "T": [1, 2, 3], "h": [1, 2, 3], "d": [1, 2, 3]}
    document.update(changes)
    document = {key: value for key, value in document.items() if value is not None}
    path.write_text(yaml.safe_dump(document))
    return path


def test_bad_sequence_files_name_the_file_and_key(tmp_path):
    with pytest.raises(NeurosimError, match=r"bad\.yaml: K.*K = 3.*K = 4"):
        load_sequences(_write(tmp_path / "bad.yaml"), K=4)
    with pytest.raises(NeurosimError, match=r"bad\.yaml: h.*K = 3 numbers, found 2"):
        load_sequences(_write(tmp_path / "bad.yaml", h=[1, 2]))
    with pytest.raises(NeurosimError, match=r"bad\.yaml: d.*missing key 'd'"):
        load_sequences(_write(tmp_path / "bad.yaml", d=None))
    with pytest.raises(NeurosimError, match=r"bad\.yaml: T.*numbers only"):
        load_sequences(_write(tmp_path / "bad.yaml", T=[1, "a", 3]))
    with pytest.raises(NeurosimError, match="no such FS sequence file"):
        load_sequences(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(NeurosimError, match="expected a mapping"):
        load_sequences(tmp_path / "list.yaml")


def test_default_sequences_load_and_missing_ones_say_how_to_fit():
    silu = default_sequences("silu", 16)
    assert silu.activation == "silu" and silu.K == 16
    with pytest.raises(NeurosimError, match=r"neurosim fit-fs --activation tanh --K 7"):
        default_sequences("tanh", 7)
    with pytest.raises(NeurosimError, match=r"closed form.*relu_params"):
        default_sequences("relu", 10)
