"""Anytime read-outs of a rate T sweep: one run of the largest T equals separate runs at each T."""

from __future__ import annotations

import tracemalloc
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import models, random_images

from neurosim.cli import main
from neurosim.coding import make_code
from neurosim.coding.rate import Rate
from neurosim.hardware import load_hardware
from neurosim.pipeline import Configuration, functional_runs, options_tuple, precision_for
from neurosim.snn import anytime
from neurosim.snn.anytime import anytime_readouts, shares_run, simulate_windows
from neurosim.snn.convert import convert
from neurosim.snn.functional import FunctionalResult, simulate
from neurosim.snn.quantise import Precision
from neurosim.workload import load_workload


def assert_same(a: FunctionalResult, b: FunctionalResult) -> None:
    assert np.array_equal(a.outputs, b.outputs)
    assert np.array_equal(a.predictions, b.predictions)
    assert a.spike_counts.keys() == b.spike_counts.keys()
    for name in a.spike_counts:
        assert np.array_equal(a.spike_counts[name], b.spike_counts[name]), name
    assert a.spikes_per_neuron() == b.spikes_per_neuron()
    assert a.spikes_per_neuron_by_population() == b.spikes_per_neuron_by_population()
    assert (a.window, a.latency_steps) == (b.window, b.latency_steps)


@pytest.fixture
def separate_runs(monkeypatch) -> list[int]:
    """Windows of the networks that simulate_windows ran on their own (not from the shared run)."""
    seen: list[int] = []

    def counting(snn, images, **kwargs):
        seen.append(snn.window)
        return simulate(snn, images, **kwargs)

    monkeypatch.setattr(anytime, "simulate", counting)
    return seen


@pytest.mark.parametrize("name", ["digits-cnn", "digits-mlp"])
@pytest.mark.parametrize("encoding", ["current", "poisson"])
def test_zoo_sweep_equals_separate_runs(name: str, encoding: str, separate_runs) -> None:
    wl = load_workload(name)
    x, y = wl.x_test[:120], wl.y_test[:120]
    steps = [3, 8, 16, 24, 40]  # not all powers of two, not all divisors of the largest
    snns = [wl.convert(Rate(T=t, input=encoding, seed=5), Precision()) for t in steps]
    shared = simulate_windows(snns, x)
    assert separate_runs == []  # every row came from the one run of T = 40
    for snn, result in zip(snns, shared):
        alone = simulate(snn, x)
        assert_same(result, alone)
        assert result.accuracy(y) == alone.accuracy(y)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models, exponents=st.lists(st.integers(0, 6), min_size=1, max_size=4),
       extra=st.lists(st.integers(1, 70), max_size=2), poisson=st.booleans(),
       weight_bits=st.sampled_from([4, 8]))
def test_random_networks_sweep_equals_separate_runs(model, exponents, extra, poisson: bool,
                                                   weight_bits: int) -> None:
    x = random_images(7, model, n=6)
    powers = sorted({2 ** e for e in exponents})
    precision = Precision(weight_bits=weight_bits)
    encoding = "poisson" if poisson else "current"
    snns = [convert(model, Rate(T=t, input=encoding), x, precision) for t in powers + extra]
    longest = max(snns, key=lambda s: s.window)
    # With power-of-two T every scale is exactly λ/T: the integers cannot depend on T.
    if max(powers) >= max(extra, default=0):
        assert all(shares_run(s, longest, x) for s in snns[:len(powers)])
    for snn, result in zip(snns, simulate_windows(snns, x)):
        assert_same(result, simulate(snn, x))


def test_read_out_after_t_steps_of_a_long_run_is_the_short_run() -> None:
    """anytime_readouts itself (no check in between), against separate runs."""
    wl = load_workload("digits-cnn")
    x = wl.x_test[:50]
    snns = [wl.convert(Rate(T=t), Precision()) for t in (1, 5, 64)]
    for snn, result in zip(snns, anytime_readouts(snns[-1], snns, x)):
        assert_same(result, simulate(snn, x))


def test_ideal_mode_falls_back_to_separate_runs(separate_runs) -> None:
    wl = load_workload("digits-mlp")
    x = wl.x_test[:40]
    snns = [wl.convert(Rate(T=t), Precision.ideal()) for t in (8, 16)]
    # In ANN units the threshold is λ/T: the networks are not the same numbers.
    assert not shares_run(snns[0], snns[1], x)
    results = simulate_windows(snns, x)
    assert separate_runs == [8, 16]
    for snn, result in zip(snns, results):
        assert_same(result, simulate(snn, x))


def test_other_codes_and_changed_integers_fall_back(separate_runs) -> None:
    wl = load_workload("digits-mlp")
    x = wl.x_test[:40]
    rate8, rate32 = (wl.convert(Rate(T=t), Precision()) for t in (8, 32))
    proj = rate8.projections[0]
    weight = proj.weight.copy()
    weight[0, np.flatnonzero(weight[0])[0]] += 1
    changed = replace(rate8, projections=(replace(proj, weight=weight), *rate8.projections[1:]))
    other_seed = wl.convert(Rate(T=8, input="poisson", seed=1), Precision())
    poisson32 = wl.convert(Rate(T=32, input="poisson", seed=2), Precision())
    ttfs = wl.convert(make_code("ttfs", T=8), Precision())
    assert shares_run(rate8, rate32, x)
    assert not shares_run(changed, rate32, x)
    assert not shares_run(rate32, rate8, x)  # a longer window is not a prefix of a shorter
    assert not shares_run(other_seed, poisson32, x)
    assert not shares_run(ttfs, rate32, x)
    results = simulate_windows([changed, ttfs, rate8, rate32], x)
    assert sorted(separate_runs) == [8, 8]  # changed and ttfs; rate8 is read from rate32
    for snn, result in zip([changed, ttfs, rate8, rate32], results):
        assert_same(result, simulate(snn, x))
    separate_runs.clear()
    simulate_windows([other_seed, poisson32], x)
    assert separate_runs == [8, 32]  # nothing to share: each runs alone


def test_the_long_run_keeps_no_per_step_spike_tensor() -> None:
    wl = load_workload("digits-cnn")
    x = wl.x_test[:100]
    snns = [wl.convert(Rate(T=t), Precision()) for t in (16, 512)]
    anytime_readouts(snns[1], snns, x[:2])  # compile first
    tracemalloc.start()
    anytime_readouts(snns[1], snns, x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    neurons = sum(p.size for p in snns[1].populations)
    # Even one bit per (image, step, neuron) — a spike tensor of the window — is more.
    assert peak < len(x) * 512 * neurons / 8


def test_functional_runs_match_each_configuration_alone() -> None:
    wl = load_workload("digits-cnn")
    hw = load_hardware("loihi")
    configs = [Configuration(code="rate", code_options=options_tuple({"T": t}), accuracy_images=60)
               for t in (16, 32, 64)]
    for config, (snn, result) in zip(configs, functional_runs(configs, wl, hw)):
        alone = wl.convert(make_code("rate", T=dict(config.code_options)["T"]), precision_for(hw))
        assert snn.window == alone.window
        assert_same(result, simulate(alone, wl.x_test[:60]))


def test_convert_sweep_prints_what_single_runs_print(capsys) -> None:
    def rows(argv: list[str]) -> dict[str, str]:
        assert main(["convert", "digits-cnn", "--code", "rate", "--images", "80", *argv]) == 0
        lines = capsys.readouterr().out.splitlines()
        return {line.split()[1]: line for line in lines if line.startswith("rate")}

    sweep = rows(["--T", "4,12,32"])
    assert list(sweep) == ["T=4", "T=12", "T=32"]
    for t in (4, 12, 32):
        assert sweep[f"T={t}"] == rows(["--T", str(t)])[f"T={t}"]


def assert_same_network(a, b) -> None:
    assert (a.name, a.code, a.integer, a.params) == (b.name, b.code, b.integer, b.params)
    for p, q in zip(a.populations, b.populations, strict=True):
        assert (p.name, p.shape, p.role, p.dynamics, p.offset, p.unit, p.out_unit) == \
            (q.name, q.shape, q.role, q.dynamics, q.offset, q.unit, q.out_unit)
        for field in ("threshold", "reset", "out_weight", "bias"):
            assert np.array_equal(getattr(p, field), getattr(q, field)), (p.name, field)
    for p, q in zip(a.projections, b.projections, strict=True):
        assert (p.name, p.kind, p.stride, p.padding, p.delay) == (q.name, q.kind, q.stride,
                                                                  q.padding, q.delay)
        assert np.array_equal(p.weight, q.weight), p.name


@pytest.mark.parametrize("precision", [Precision(), Precision.ideal()])
def test_converting_codes_together_gives_each_network_convert_gives(precision) -> None:
    wl = load_workload("digits-cnn")
    codes = [Rate(T=8), Rate(T=20, input="poisson"), make_code("fs"), make_code("ttfs", T=16)]
    for code, together in zip(codes, wl.convert_codes(codes, precision), strict=True):
        assert_same_network(together, wl.convert(code, precision))
