"""Partition: every neuron once, every core within every limit, good conv tiles, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from compiler_truth import brute_usage
from hw_factory import make_hardware
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from snn_factory import synthetic_snn

from neurosim.compiler import compile_network, mapping_usage
from neurosim.compiler.partition import partition
from neurosim.compiler.route import fanout
from neurosim.compiler.usage import conv_fanin_counts
from neurosim.errors import NeurosimError
from neurosim.snn.connectivity import conv_synapses


@st.composite
def networks(draw):
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(3, 9)), draw(st.integers(3, 9))
    spec = [("input", (c, h, w))]
    three_d = True
    for _ in range(draw(st.integers(1, 3))):
        # A convolution only while its 3×3 kernel still fits the feature map.
        if three_d and min(h, w) >= 3 and draw(st.booleans()):
            k = draw(st.integers(1, 3))
            stride = draw(st.integers(1, 2))
            pad = draw(st.integers(0, k // 2 + 1 if k > 1 else 0))
            spec.append(("conv", draw(st.integers(1, 6)), k, stride, pad))
            h, w = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        else:
            spec.append(("dense", draw(st.integers(2, 24))))
            three_d = False
    density = draw(st.sampled_from([1.0, 0.6]))
    return synthetic_snn(spec, seed=draw(st.integers(0, 3)), density=density)


@st.composite
def chips(draw):
    return {
        "core.neurons": draw(st.integers(4, 80)),
        "core.synapse_memory_bits": draw(st.integers(400, 40_000)),
        "core.input_axons": draw(st.integers(48, 600)),
        "core.output_routes": draw(st.integers(8, 200)),
        "core.routing_table_entries": draw(st.integers(8, 200)),
        "core.weight_bits": draw(st.sampled_from([1, 4, 8])),
        "core.multicast": draw(st.booleans()),
        "core.weight_sharing": draw(st.booleans()),
        "chip.mesh_x": draw(st.integers(1, 4)),
        "chip.mesh_y": draw(st.integers(1, 3)),
        "chip.cores_per_tile": draw(st.integers(2, 4)),
        "board.chips_x": draw(st.integers(1, 3)),
        "board.chips_y": draw(st.integers(1, 3)),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snn=networks(), limits=chips(), placer=st.sampled_from(["baseline", "optimised"]))
def test_every_neuron_once_and_no_core_over_a_limit(snn, limits, placer):
    hw = make_hardware(**limits)
    try:
        mapping = compile_network(snn, hw, placer=placer, seed=1)
    except NeurosimError as exc:
        # A neuron that fits no core, or a network larger than the board: both are told.
        assert "alone needs" in str(exc) or ("needs" in str(exc) and "the board has" in str(exc))
        return
    count = np.zeros(snn.n_neurons, dtype=int)
    for block in mapping.blocks:
        np.add.at(count, snn.first_neuron(block.population) + block.neurons, 1)
    assert np.all(count == 1)
    assert len({b.core for b in mapping.blocks}) == len(mapping.blocks)
    assert all(0 <= b.core < hw.total_cores for b in mapping.blocks)
    truth, _ = brute_usage(snn, hw, mapping.core_of_neuron(snn))
    cores, usage = mapping_usage(snn, hw, mapping)
    for i, c in enumerate(cores):
        assert usage.record(i) == truth[int(c)]
        for limit, used in truth[int(c)].items():
            assert used <= getattr(hw.chip.core, limit), (c, limit)
    by_core = {b.core: b.usage for b in mapping.blocks}
    assert all(by_core[int(c)] == truth[int(c)] for c in cores)


def test_conv_fanin_counts_match_expanded_synapses():
    snn = synthetic_snn([("input", (3, 7, 6)), ("conv", 4, 3, 2, 1), ("dense", 5)], density=0.5)
    proj = snn.projections[0]
    _, tgt, _ = conv_synapses(proj, (3, 7, 6))
    assert np.array_equal(conv_fanin_counts(proj, (3, 7, 6)), np.bincount(tgt, minlength=4 * 4 * 3))


def test_conv_tiles_reach_fewer_cores_than_contiguous_ranges():
    # 4×16×16 input, conv 16 channels 3×3 pad 1: 4,096 targets; 256 neurons per core.
    snn = synthetic_snn([("input", (4, 16, 16)), ("conv", 16, 3, 1, 1), ("dense", 4)])
    hw = make_hardware(**{"core.neurons": 256})
    part = partition(snn, hw)
    target = [b for b in part.blocks if b.population == "L1"]
    assert len(target) == 16
    inputs = slice(0, 4 * 16 * 16)
    tiled = part.fanout.counts()[inputs].sum()
    # Naive split: 16 contiguous ranges of 256 = one channel each; every input neuron
    # feeds all 16 channels, so it reaches all 16 blocks.
    naive_units = np.zeros(snn.n_neurons, dtype=np.int64)
    naive_units[1024:1024 + 4096] = np.arange(4096) // 256
    naive_units[1024 + 4096:] = 16
    naive = fanout(snn, naive_units, 17).counts()[inputs].sum()
    assert naive == 4 * 256 * 16
    # Tiles of all 16 channels × 4×4 pixels: input row y reaches 2 row tiles when its
    # 3-row projective field straddles a tile edge (y = 3, 4, 7, 8, 11, 12), else 1:
    # 22 row tiles over the 16 rows, likewise columns, so 4 channels × 22 × 22 packets.
    assert tiled == 4 * 22 * 22
    assert {b.label.split(",")[0] for b in target} == {"channels 0-15"}


def test_routing_table_counts_by_hand():
    # 3 sources → 6 targets in blocks {0, 1}, {2, 3}, {4, 5} (2 neurons per core).
    from neurosim.snn.network import SNN, Projection

    base = synthetic_snn([("input", (3,)), ("dense", 6), ("dense", 1)])
    weight = np.zeros((6, 3), dtype=np.int64)
    weight[[0, 1, 4], 0] = 1     # source 0 → target blocks {0, 2}
    weight[[2], 1] = 1           # source 1 → target block {1}
    weight[[1, 5], 2] = 1        # source 2 → target blocks {0, 2}
    projs = (Projection("L0->L1", "L0", "L1", "dense", weight), base.projections[1])
    snn = SNN("hand", "rate", base.populations, projs)
    for multicast in (False, True):
        hw = make_hardware(**{"core.neurons": 2, "core.multicast": multicast})
        part = partition(snn, hw)
        holding = [b for b in part.blocks if b.population == "L0"]
        assert [list(b.neurons) for b in holding] == [[0, 1], [2]]
        # Sources 0, 1 share a core: unicast 2 + 1 routes; multicast 2 keys, 2 distinct sets.
        first = part.usage.record(int(holding[0].core))
        second = part.usage.record(int(holding[1].core))
        if multicast:
            assert (first["output_routes"], first["routing_table_entries"]) == (2, 2)
            assert (second["output_routes"], second["routing_table_entries"]) == (1, 1)
        else:
            assert (first["output_routes"], first["routing_table_entries"]) == (3, 3)
            assert (second["output_routes"], second["routing_table_entries"]) == (2, 2)
    # Sources 0 and 2 share the destination set {block 0, block 2}: one multicast entry
    # when they share a core.
    hw = make_hardware(**{"core.neurons": 3, "core.multicast": True})
    part = partition(snn, hw)
    first = part.usage.record(int(part.block_of_neuron[0]))
    assert (first["output_routes"], first["routing_table_entries"]) == (3, 2)


def test_weight_sharing_stores_kernel_slices():
    snn = synthetic_snn([("input", (2, 6, 6)), ("conv", 8, 3, 1, 1), ("dense", 3)])
    shared = partition(snn, make_hardware(**{"core.neurons": 72, "core.weight_sharing": True}))
    expanded = partition(snn, make_hardware(**{"core.neurons": 72}))
    for part, sharing in ((shared, True), (expanded, False)):
        for b in part.blocks:
            if b.population != "L1":
                continue
            mem = part.usage.record(b.core)["synapse_memory_bits"]
            channels = len(np.unique(b.neurons // 36))
            if sharing:
                assert mem == channels * 2 * 3 * 3 * 8
            else:
                counts = conv_fanin_counts(snn.projections[0], (2, 6, 6))
                assert mem == counts[b.neurons].sum() * 8


def test_single_neuron_too_large_names_population_and_limit():
    snn = synthetic_snn([("input", (100,)), ("dense", 3), ("dense", 2)])
    with pytest.raises(NeurosimError, match=r"population 'L1'.*100 input axons.*50 of one core"):
        compile_network(snn, make_hardware(**{"core.input_axons": 50}))
    with pytest.raises(NeurosimError, match=r"population 'L1'.*bits of synapse memory"):
        compile_network(snn, make_hardware(**{"core.synapse_memory_bits": 500}))


def test_larger_than_board_says_cores_chips_and_binding_limit():
    snn = synthetic_snn([("input", (2, 8, 8)), ("conv", 8, 3, 1, 1), ("dense", 10)])
    small = {"chip.mesh_x": 2, "chip.mesh_y": 1, "chip.cores_per_tile": 2}
    with pytest.raises(NeurosimError) as err:
        compile_network(snn, make_hardware(**small, **{"core.neurons": 16}))
    text = str(err.value)
    # 128 + 512 + 10 neurons in blocks of at most 16: 8 + 32 + 1 = 41 cores on 11 chips of 4.
    assert "needs 41 cores on 11 chips" in text
    assert "neurons binds" in text and "board has 1 chip × 4 cores = 4" in text
    with pytest.raises(NeurosimError, match="synapse memory binds"):
        compile_network(snn, make_hardware(**small, **{"core.synapse_memory_bits": 5000}))
