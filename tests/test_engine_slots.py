"""The engine's stored projections in slot order, and its core segments, against independent truth.

``accumulate`` writes a spike's effects into a ring slot in *slot order* (channel-last for
a convolution's targets, target columns of dense rows permuted to match); read back
through ``slot_of`` they must be exactly the explicit synapse lists of
:func:`neurosim.snn.connectivity.synapses` times the spike's weight ``d``.
"""

from __future__ import annotations

import numpy as np
import pytest
from engine_hw import loihi_like, random_mapping, sequential_mapping
from engine_nets import converted, random_images, random_model
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.engine.synapses import accumulate
from neurosim.engine.tables import build_tables, core_segments
from neurosim.snn.connectivity import synapses


@pytest.mark.parametrize("seed,residual,stride", [(0, False, 1), (1, True, 1), (2, False, 2)])
def test_accumulate_in_slot_order_is_the_explicit_synapses(seed: int, residual: bool,
                                                           stride: int) -> None:
    model = random_model(seed, conv=True, residual=residual, channels=3, stride=stride)
    snn = converted(model, "rate", random_images(seed, model, 3))
    hw = loihi_like()
    t = build_tables(snn, sequential_mapping(snn, hw, 20), hw)
    assert sorted(t.slot_of) == list(range(snn.n_neurons))  # a permutation
    for q, proj in enumerate(snn.projections):
        source = snn.population(proj.source)
        src, tgt, w = synapses(proj, source.shape)
        first = snn.first_neuron(proj.target)
        for s in range(source.size):
            slot = np.zeros(snn.n_neurons, np.int64)
            accumulate(t.proj_kind[q], t.proj_geom[q], t.proj_w_off[q], t.proj_ptr_off[q],
                       t.proj_tgt_first[q], t.proj_tgt_size[q], s, 3, t.weights, t.csr_ptr,
                       t.csr_idx, t.csr_w, slot)
            expected = np.zeros(snn.n_neurons, np.int64)
            np.add.at(expected, first + tgt[src == s], 3 * w[src == s].astype(np.int64))
            assert np.array_equal(slot[t.slot_of], expected), (proj.name, s)


def test_conv_targets_are_channel_last() -> None:
    model = random_model(0, conv=True, channels=3)
    snn = converted(model, "rate", random_images(0, model, 2))
    hw = loihi_like()
    t = build_tables(snn, sequential_mapping(snn, hw), hw)
    pop = snn.population("a1")  # fed by the convolution c1: (3, 6, 6)
    first = snn.first_neuron("a1")
    c, h, w = pop.shape
    for ch, y, x in [(0, 0, 0), (1, 0, 0), (2, 5, 5), (0, 2, 3)]:
        assert t.slot_of[first + (ch * h + y) * w + x] == first + (y * w + x) * c + ch
    inp = snn.input  # fed by nothing: natural order
    assert np.array_equal(t.slot_of[:inp.size], np.arange(inp.size))


def test_core_segments_by_hand() -> None:
    pop_of = np.array([0, 0, 0, 1, 1, 2])
    # core 0 holds neurons 0, 1, 3 (populations 0, 0, 1); core 1 nothing; core 2: 4, 2, 5.
    core_ptr = np.array([0, 3, 3, 6])
    core_neurons = np.array([0, 1, 3, 4, 2, 5])
    seg_ptr, seg_start, seg_pop = core_segments(core_ptr, core_neurons, pop_of)
    assert seg_ptr.tolist() == [0, 2, 2, 5]
    assert seg_start.tolist() == [0, 2, 3, 4, 5, 6]
    assert seg_pop.tolist() == [0, 1, 1, 0, 2]


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 9))
def test_segments_cover_every_core_in_order(seed: int, per_core: int) -> None:
    model = random_model(seed % 3, conv=seed % 2 == 0, residual=False)
    snn = converted(model, "rate", random_images(seed % 3, model, 2))
    hw = loihi_like()
    t = build_tables(snn, random_mapping(snn, hw, seed, per_core), hw)
    assert t.seg_start[0] == 0 and t.seg_start[-1] == len(t.core_neurons)
    for c in range(t.n_cores):
        starts = t.seg_start[t.seg_ptr[c]:t.seg_ptr[c + 1] + 1]
        assert starts[0] == t.core_ptr[c] and starts[-1] == t.core_ptr[c + 1]
        for s in range(t.seg_ptr[c], t.seg_ptr[c + 1]):
            held = t.pop_of[t.core_neurons[t.seg_start[s]:t.seg_start[s + 1]]]
            assert (held == t.seg_pop[s]).all()
            if s + 1 < t.seg_ptr[c + 1]:
                assert t.seg_pop[s + 1] != t.seg_pop[s]  # runs are maximal


def test_first_tap_walks_exactly_the_taps_that_reach_an_output() -> None:
    # Brute force: tap k reaches output o = (top − k) / s when s divides top − k and
    # 0 ≤ o < n_out. first_tap must give those taps, in steps of s, with their outputs.
    from neurosim.engine.synapses import first_tap

    for stride in (1, 2, 3):
        for k in (1, 2, 3, 5):
            for n_out in (1, 2, 4, 7):
                for top in range(0, n_out * stride + k + 2):
                    want = [(t, (top - t) // stride) for t in range(k)
                            if (top - t) % stride == 0 and 0 <= (top - t) // stride < n_out]
                    k0, o0, k1 = first_tap(top, stride, n_out, k)
                    got = [(t, o0 - i) for i, t in enumerate(range(k0, k1, stride))]
                    assert got == want, (stride, k, n_out, top)
