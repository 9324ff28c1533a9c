"""The engine fires exactly the spikes of the functional simulator (simulate_stream)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from engine_hw import loihi_like, random_mapping, sequential_mapping
from engine_nets import converted, random_images, random_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim.engine import build_tables, simulate_hardware
from neurosim.engine.synapses import CONV, ROWS, SPARSE
from neurosim.snn.functional import simulate_stream
from neurosim.snn.network import SNN


def assert_same_spikes(snn: SNN, mapping, hw, images: np.ndarray, images_per_stream: int = 1000
                       ) -> None:
    run = simulate_hardware(snn, mapping, hw, images, record_spikes=True,
                            images_per_stream=images_per_stream)
    snn = snn.with_threshold_compare(hw.chip.core.threshold_compare)  # the chip's rule
    stream, steps, neurons = run.spike_record()
    for i, part in enumerate(range(0, len(images), images_per_stream)):
        ref = simulate_stream(snn, images[part:part + images_per_stream], first_image=part)
        mine = stream == i
        np.testing.assert_array_equal(steps[mine], ref.spike_steps)
        np.testing.assert_array_equal(neurons[mine], ref.spike_neurons)
    ref_all = np.concatenate([simulate_stream(snn, images[p:p + images_per_stream], first_image=p).outputs
                              for p in range(0, len(images), images_per_stream)])
    np.testing.assert_array_equal(run.outputs, ref_all)
    assert run.spike_counts.sum() == len(steps)


@pytest.mark.parametrize("code", ["rate", "ttfs", "fs"])
@pytest.mark.parametrize("shape", ["mlp", "conv", "residual", "strided"])
def test_random_networks(code: str, shape: str) -> None:
    kw = {"mlp": {"conv": False}, "conv": {"conv": True}, "residual": {"residual": True},
          "strided": {"stride": 2, "pool": False}}[shape]
    model = random_model(7, **kw)
    images = random_images(7, model, 5)
    snn = converted(model, code, images)
    hw = loihi_like()
    assert_same_spikes(snn, random_mapping(snn, hw, seed=3, neurons_per_core=17), hw, images)
    assert_same_spikes(snn, sequential_mapping(snn, hw, 30), hw, images)


def test_poisson_input_matches_across_streams() -> None:
    """Rate code with Poisson input: the same draws in both simulators, chunk after chunk."""
    from neurosim.coding.rate import Rate
    from neurosim.snn.convert import convert

    model = random_model(9, conv=True)
    images = random_images(9, model, 6)
    snn = convert(model, Rate(T=10, input="poisson", seed=5), images)
    assert snn.input.dynamics == "poisson"
    hw = loihi_like()
    assert_same_spikes(snn, sequential_mapping(snn, hw, 30), hw, images, images_per_stream=4)


def test_multi_spike_networks_fire_several_times() -> None:
    model = random_model(11, residual=True)
    images = random_images(11, model, 3)
    snn = converted(model, "fs", images)
    ref = simulate_stream(snn, images)
    per_neuron = np.bincount(ref.spike_neurons)
    assert per_neuron.max() >= 3  # the point of the multi-spike fixture


def test_streams_are_independent_chunks() -> None:
    # Chunked streams give each chunk the spikes of its own simulate_stream.
    model = random_model(5)
    images = random_images(5, model, 7)
    snn = converted(model, "rate", images)
    hw = loihi_like()
    assert_same_spikes(snn, sequential_mapping(snn, hw, 40), hw, images, images_per_stream=3)


def test_storage_forms_agree() -> None:
    # A sparse dense projection is stored as compressed rows, a full one as dense rows,
    # a convolution as its kernel: the same spikes either way.
    model = random_model(9, residual=True)
    images = random_images(9, model, 4)
    snn = converted(model, "ttfs", images)
    projs = []
    for proj in snn.projections:
        if proj.kind == "dense":
            w = proj.weight.copy()
            w[np.random.default_rng(0).random(w.shape) < 0.9] = 0
            proj = replace(proj, weight=w)
        projs.append(proj)
    sparse = replace(snn, projections=tuple(projs))
    hw = loihi_like()
    mapping = sequential_mapping(sparse, hw, 25)
    kinds = set(build_tables(sparse, mapping, hw).proj_kind.tolist())
    assert kinds == {SPARSE, CONV, ROWS} or kinds == {SPARSE, CONV}
    assert_same_spikes(sparse, mapping, hw, images)


def test_multicast_and_multichip_boards() -> None:
    model = random_model(13, residual=True)
    images = random_images(13, model, 3)
    snn = converted(model, "fs", images)
    for hw in (loihi_like(multicast=True), loihi_like(chips_x=2, chips_y=2, mesh_x=2, mesh_y=2)):
        mapping = random_mapping(snn, hw, seed=1, neurons_per_core=9)
        assert_same_spikes(snn, mapping, hw, images)


def _shape_of(hw) -> dict:
    chip, noc = hw.chip, hw.chip.noc
    return {"multicast": chip.core.multicast, "chips_x": hw.board.chips_x, "mesh_x": chip.mesh_x,
            "mesh_y": chip.mesh_y, "cores_per_tile": chip.cores_per_tile,
            "router_delay_s": noc.router_delay_s,
            "link_bandwidth_bits_per_s": noc.link_bandwidth_bits_per_s}


@st.composite
def cases(draw: st.DrawFn) -> tuple[SNN, object, object, np.ndarray]:
    seed = draw(st.integers(0, 10_000))
    model = random_model(seed, conv=draw(st.booleans()), residual=draw(st.booleans()),
                         pool=draw(st.booleans()), hidden=draw(st.integers(2, 10)),
                         channels=draw(st.integers(1, 3)), stride=draw(st.sampled_from([1, 2])))
    code = draw(st.sampled_from(["rate", "ttfs", "fs"]))
    steps = draw(st.integers(1, 6))
    images = random_images(seed, model, draw(st.integers(1, 4)))
    snn = converted(model, code, images, steps=steps)
    hw = loihi_like(multicast=draw(st.booleans()), chips_x=draw(st.integers(1, 2)),
                    mesh_x=draw(st.integers(1, 3)), mesh_y=draw(st.integers(1, 3)),
                    cores_per_tile=draw(st.integers(1, 3)),
                    router_delay_s=draw(st.sampled_from([0.0, 1e-9])),
                    link_bandwidth_bits_per_s=draw(st.sampled_from([1e8, 110.08e9])))
    hw = loihi_like(**{**_shape_of(hw), "neurons": max(64, -(-2 * snn.n_neurons // hw.total_cores)),
                       "threshold_compare": draw(st.sampled_from(["ge", "gt"]))})
    per_core = draw(st.integers(1, 64))
    mapping = random_mapping(snn, hw, seed=draw(st.integers(0, 99)), neurons_per_core=per_core)
    return snn, mapping, hw, images


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_hypothesis_networks_and_mappings(case: tuple) -> None:
    snn, mapping, hw, images = case
    assert_same_spikes(snn, mapping, hw, images, images_per_stream=2)
