"""The integer runs of the functional simulator equal the reference stepping, at any size.

``simulate`` runs integer FS/TTFS and rate networks in :mod:`neurosim.snn.integer_run`
(numba, threads over image chunks, no per-step arrays). Its truth here is independent of
that code: the numpy path (:func:`simulate_numpy`, float64 holding integers, spike trains
kept) and the pipelined stepping of :func:`simulate_stream`, which shares neither the
layout, the kernels nor the chunking.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import models, random_images, random_model

from neurosim.coding.fs import FS
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.snn import integer_run
from neurosim.snn.connectivity import propagate, synapses
from neurosim.snn.convert import convert
from neurosim.snn.functional import FunctionalResult, simulate, simulate_numpy, simulate_stream
from neurosim.snn.network import SNN, Projection
from neurosim.snn.quantise import Precision
from neurosim.workload import load_workload


def assert_identical(a: FunctionalResult, b: FunctionalResult) -> None:
    assert a.outputs.dtype == b.outputs.dtype
    assert np.array_equal(a.outputs, b.outputs)
    assert a.spike_counts.keys() == b.spike_counts.keys()
    for name in a.spike_counts:
        assert a.spike_counts[name].dtype == b.spike_counts[name].dtype, name
        assert np.array_equal(a.spike_counts[name], b.spike_counts[name]), name
    assert a.values.keys() == b.values.keys()
    for name in a.values:
        assert np.array_equal(a.values[name], b.values[name]), name
    assert (a.window, a.latency_steps) == (b.window, b.latency_steps)


def stream_counts(snn: SNN, images: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Outputs and per-image spike counts of each population from simulate_stream."""
    stream = simulate_stream(snn, images)
    counts = {}
    for pop in snn.populations:
        if not pop.spiking:
            continue
        start = snn.first_neuron(pop.name)
        mine = (stream.spike_neurons >= start) & (stream.spike_neurons < start + pop.size)
        image = (stream.spike_steps[mine] - pop.offset) // pop.window
        table = np.zeros((len(images), pop.size), np.int64)
        np.add.at(table, (image, stream.spike_neurons[mine] - start), 1)
        counts[pop.name] = table
    return stream.outputs, counts


CODES = {
    "fs": lambda: FS(K=6),
    "ttfs": lambda: TTFS(T=7),
    "rate": lambda: Rate(T=9),
    "rate-poisson": lambda: Rate(T=9, input="poisson", seed=3),
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models, code=st.sampled_from(sorted(CODES)), weight_bits=st.sampled_from([4, 8]),
       n=st.integers(1, 7))
def test_integer_run_equals_numpy_path_and_stream(model, code: str, weight_bits: int,
                                                  n: int) -> None:
    x = random_images(3, model, n=n)
    snn = convert(model, CODES[code](), x, Precision(weight_bits=weight_bits))
    assert integer_run.is_fs_network(snn) or integer_run.is_rate_network(snn)
    fast = simulate(snn, x, record_values=True)
    assert_identical(fast, simulate_numpy(snn, x, record_values=True))
    outputs, counts = stream_counts(snn, x)
    assert np.array_equal(fast.outputs, outputs)
    for name, table in counts.items():
        assert np.array_equal(fast.spike_counts[name], table), name


@pytest.mark.parametrize("code", sorted(CODES))
def test_chunks_and_threads_do_not_change_results(code: str, monkeypatch) -> None:
    wl = load_workload("digits-cnn")
    x = wl.x_test[:23]
    snn = wl.convert(CODES[code](), Precision())
    whole = simulate(snn, x, record_values=True)
    monkeypatch.setenv("NEUROSIM_THREADS", "1")
    one_thread = simulate(snn, x, record_values=True)
    monkeypatch.setenv("NEUROSIM_THREADS", "3")
    monkeypatch.setattr(integer_run, "CHUNK_VALUES", 5 * snn.n_neurons)  # 5 images a chunk
    seen: list[tuple[int, int]] = []
    chunked = simulate(snn, x, record_values=True, progress=lambda d, t: seen.append((d, t)))
    for result in (one_thread, chunked):
        assert_identical(result, whole)
    assert_identical(whole, simulate_numpy(snn, x, record_values=True))
    assert [t for _, t in seen] == [23] * len(seen) and seen[-1][0] == 23
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 5


def test_residual_network_drops_no_value_still_needed() -> None:
    """A shortcut reads a population two layers back: its values must outlive the layer."""
    model = random_model(11, residual=True)
    x = random_images(11, model, n=5)
    snn = convert(model, FS(K=8), x)
    assert any(q.delay > 0 for q in snn.projections)  # a real skip connection
    assert_identical(simulate(snn, x), simulate_numpy(snn, x))


def test_no_images() -> None:
    wl = load_workload("digits-mlp")
    for code in ("fs", "rate"):
        result = simulate(wl.convert(CODES[code](), Precision()), wl.x_test[:0])
        assert result.outputs.shape == (0, 10)
        assert all(c.shape[0] == 0 for c in result.spike_counts.values())


def _peak_bytes(snn: SNN, images: np.ndarray) -> int:
    simulate(snn, images[:1])  # compile or load the kernels first
    tracemalloc.start()
    simulate(snn, images)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_rate_memory_does_not_grow_with_t(monkeypatch) -> None:
    # One thread: with two, the peak depends on whether their chunks happen to overlap.
    monkeypatch.setenv("NEUROSIM_THREADS", "1")
    wl = load_workload("digits-cnn")
    x = wl.x_test[:64]
    short, long = (wl.convert(Rate(T=t), Precision()) for t in (16, 256))
    peak_short, peak_long = _peak_bytes(short, x), _peak_bytes(long, x)
    # 16× the steps; the state is the same size (a spike train of T = 256 would be 16×).
    assert peak_long < 1.25 * peak_short + 200_000
    spike_train = len(x) * 256 * long.n_neurons  # one byte per (image, step, neuron)
    assert peak_long < spike_train / 8


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), conv=st.booleans())
def test_sparse_propagate_through_shared_kernel_is_the_synapse_list_sum(seed: int,
                                                                        conv: bool) -> None:
    """The shared-kernel scatter adds, for each target, the same float64 products in the
    same order (ascending source) as summing the explicit synapse list: identical bits."""
    rng = np.random.default_rng(seed)
    c_in, c_out, h, w = (int(v) for v in rng.integers(1, 6, 4) + np.array([0, 0, 2, 2]))
    if conv:
        kh, kw = (int(v) for v in rng.integers(1, 4, 2))
        weight = rng.normal(size=(c_out, c_in, kh, kw))
        proj = Projection("p", "a", "b", "conv", weight * (rng.random(weight.shape) > 0.3),
                          tuple(int(v) for v in rng.integers(1, 3, 2)),
                          (int(rng.integers(0, kh)), int(rng.integers(0, kw))))
        shape: tuple[int, ...] = (c_in, h, w)
    else:
        weight = rng.normal(size=(c_out * 3, c_in * h * w))
        proj = Projection("p", "a", "b", "dense", weight * (rng.random(weight.shape) > 0.3))
        shape = (c_in * h * w,)
    values = rng.normal(size=(3, int(np.prod(shape)))) * (rng.random((3, int(np.prod(shape)))) < 0.2)
    got = propagate(proj, values, shape)
    src, tgt, wgt = synapses(proj, shape)
    order = np.argsort(src, kind="stable")
    expected = np.zeros_like(got)
    for b in range(len(values)):  # np.add.at adds in index order, one at a time
        np.add.at(expected[b], tgt[order], wgt[order] * values[b, src[order]])
    assert np.array_equal(got.view(np.int64), expected.view(np.int64))
