"""Synapse cost by projection kind (dense, sparse, conv): the compiler's rule, counts by
kind, energy and service time worked by hand, and the invariants that tie them together."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from engine_hw import NS, PJ, loihi_like, random_mapping
from engine_nets import converted, random_images, random_model
from test_engine_agreement import assert_same_spikes
from test_engine_hand import _mapping

from neurosim.compiler.synapse_kinds import KIND_CONV, KIND_DENSE, KIND_SPARSE, synapse_kind
from neurosim.energy import run_energy
from neurosim.energy.model import CATEGORIES, total_j
from neurosim.engine import COUNT_KINDS, build_tables, simulate_hardware
from neurosim.engine.kernel import SYN, SYN_CONV, SYN_DENSE, SYN_SPARSE
from neurosim.hardware import load_hardware
from neurosim.hardware.writer import dump_hardware
from neurosim.snn.network import SNN, Population, Projection

# SANA-FE's Loihi synapse units (arch/loihi.yaml): dense, sparse, conv.
E = {"dense": 35.5 * PJ, "sparse": 33.6 * PJ, "conv": 24.0 * PJ}
L = {"dense": 3.8 * NS, "sparse": 4.7 * NS, "conv": 3.1 * NS}
KINDS = dict(energy_synop_sparse_j=E["sparse"], latency_synop_sparse_s=L["sparse"],
             energy_synop_conv_j=E["conv"], latency_synop_conv_s=L["conv"])


def _three_kinds() -> SNN:
    """A 1×3×3 input (FS, fires once when v > 0) feeding one projection of each kind.

    ``d``: dense 2 × 9, every weight 1 (dense kind); ``s``: dense 4 × 9 with two non-zero
    weights (2/36 < 1/4: sparse); ``c``: a 2×2 convolution, 1 → 1 channel, the read-out
    (conv kind on a chip with weight sharing). ``d`` and ``s`` never fire (θ huge).
    """
    one = np.ones(1, np.int64)

    def pop(name: str, shape: tuple, role: str, offset: int, threshold: int = 0) -> Population:
        return Population(name, shape, role, "fs", threshold=threshold * one, reset=one,
                          out_weight=one if role == "input" else 0 * one,
                          bias=np.zeros(int(np.prod(shape)), np.int64), offset=offset)

    sparse = np.zeros((4, 9), np.int64)
    sparse[0, 0] = sparse[3, 8] = 2
    projs = (Projection("in->d", "in", "d", "dense", np.ones((2, 9), np.int64)),
             Projection("in->s", "in", "s", "dense", sparse),
             Projection("in->c", "in", "c", "conv", np.ones((1, 1, 2, 2), np.int64)))
    pops = (pop("in", (1, 3, 3), "input", 0), pop("d", (2,), "hidden", 1, 10 ** 6),
            pop("s", (4,), "hidden", 1, 10 ** 6), pop("c", (1, 2, 2), "output", 1))
    return SNN(name="three-kinds", code="ttfs", populations=pops, projections=projs)


def test_the_compilers_rule() -> None:
    snn = _three_kinds()
    by_name = {p.name: p for p in snn.projections}
    shared, expanded = loihi_like().chip.core, loihi_like(weight_sharing=False).chip.core
    assert synapse_kind(by_name["in->d"], shared) == KIND_DENSE
    assert synapse_kind(by_name["in->s"], shared) == KIND_SPARSE
    assert synapse_kind(by_name["in->c"], shared) == KIND_CONV
    assert synapse_kind(by_name["in->c"], expanded) == KIND_SPARSE  # stored expanded, indexed


@pytest.mark.parametrize("together", [False, True])
def test_hand_worked_energy_and_service_by_kind(together: bool) -> None:
    # All 9 inputs fire at step 0. Synaptic events: dense 2 × 9 = 18; sparse 2 (inputs 0
    # and 8); conv: 4 outputs × 4 taps = 16. ``together`` puts d and s on one core (a core
    # receiving two kinds), else each population has its own core.
    snn = _three_kinds()
    hw = loihi_like(**KINDS)
    blocks = [("in", list(range(9)), 0), ("d", [0, 1], 1), ("s", [0, 1, 2, 3], 1 if together else 2),
              ("c", [0, 1, 2, 3], 3)]
    run = simulate_hardware(snn, _mapping(snn, hw, blocks), hw, np.ones((1, 1, 3, 3)),
                            record_packets=True)
    totals = run.totals()
    assert (totals["synaptic_events_dense"], totals["synaptic_events_sparse"],
            totals["synaptic_events_conv"], totals["synaptic_events"]) == (18, 2, 16, 36)
    energy = run_energy(run, hw)
    by_hand = 18 * E["dense"] + 2 * E["sparse"] + 16 * E["conv"]
    assert energy.breakdown_j["synapse"] == pytest.approx(by_hand, rel=1e-12)
    assert energy.by_population_j["d"]["synapse"] == pytest.approx(18 * E["dense"], rel=1e-12)
    assert energy.by_population_j["s"]["synapse"] == pytest.approx(2 * E["sparse"], rel=1e-12)
    assert energy.by_population_j["c"]["synapse"] == pytest.approx(16 * E["conv"], rel=1e-12)
    # Each delivery is served for packet_in + Σ_kind n_syn(kind) × latency(kind).
    board = list(run.cores)
    for _, src, core, _, _, start, end, nsyn in run.streams[0].packets:
        src, target, nsyn = int(src), board[int(core)], int(nsyn)
        n_d = 2 if target == 1 else 0
        n_s = int(src in (0, 8)) if target == (1 if together else 2) else 0
        n_c = nsyn if target == 3 else 0
        assert nsyn == n_d + n_s + n_c
        want = 16 * NS + n_d * L["dense"] + n_s * L["sparse"] + n_c * L["conv"]
        assert end - start == pytest.approx(want, rel=1e-12), (src, target)


def _assert_kinds_add_up(run, hw) -> None:
    for table in (run.core_counts, run.population_counts, run.image_counts, run.idle_counts):
        np.testing.assert_array_equal(
            table[..., SYN], table[..., SYN_DENSE] + table[..., SYN_SPARSE] + table[..., SYN_CONV])
    energy = run_energy(run, hw)
    assert energy.total_j == total_j(energy.breakdown_j)
    parts = sum(energy.breakdown_j[k] for k in CATEGORIES)
    assert energy.total_j == pytest.approx(parts, rel=1e-12)
    # The whole run's synapse energy is the populations' (where synapses land) and the cores'.
    pops = sum(e["synapse"] for e in energy.by_population_j.values())
    cores = sum(e["synapse"] for e in energy.by_core_j.values())
    assert pops == pytest.approx(energy.breakdown_j["synapse"], rel=1e-9)
    assert cores == pytest.approx(energy.breakdown_j["synapse"], rel=1e-9)


@pytest.mark.parametrize("seed, shape", [(3, {"residual": True}), (7, {"conv": True}),
                                         (5, {"conv": False})])
def test_kinds_add_up_and_spikes_stay(seed: int, shape: dict) -> None:
    model = random_model(seed, **shape)
    images = random_images(seed, model, 3)
    for code in ("rate", "fs"):
        snn = converted(model, code, images)
        # Some dense projections made sparse, so that all three kinds appear.
        projs = []
        for i, proj in enumerate(snn.projections):
            if proj.kind == "dense" and i % 2:
                w = proj.weight.copy()
                w[np.random.default_rng(i).random(w.shape) < 0.9] = 0
                proj = replace(proj, weight=w)
            projs.append(proj)
        snn = replace(snn, projections=tuple(projs))
        hw = loihi_like(**KINDS, multicast=seed == 3)
        mapping = random_mapping(snn, hw, seed=seed, neurons_per_core=11)
        tables = build_tables(snn, mapping, hw)
        run = simulate_hardware(snn, mapping, hw, images, images_per_stream=2, tables=tables)
        _assert_kinds_add_up(run, hw)
        if seed == 3:
            assert (tables.core_syn_col < 0).any()  # a core receiving several kinds
        assert_same_spikes(snn, mapping, hw, images, images_per_stream=2)
        # Equal costs give the energy of one figure for all, to the last bit.
        same = loihi_like(multicast=seed == 3)
        plain = simulate_hardware(snn, mapping, same, images, images_per_stream=2)
        one = run_energy(plain, same).breakdown_j["synapse"]
        assert one == plain.totals()["synaptic_events"] * (35.5 * PJ)


def test_keys_load_default_to_dense_and_write_back() -> None:
    hw = load_hardware("loihi")
    c = hw.chip.costs
    assert c.synop_energy_j() == (c.energy_synop_j,) * 3
    assert c.synop_latency_s() == (c.latency_synop_s,) * 3
    assert "synop_conv" not in dump_hardware(hw)
    hw = load_hardware("loihi", {"costs.energy_synop_conv": "24 pJ",
                                 "costs.latency_synop_sparse": "4.7 ns"})
    c = hw.chip.costs
    assert c.synop_energy_j() == (35.5e-12, 35.5e-12, 24e-12)
    assert c.synop_latency_s() == (c.latency_synop_s, 4.7e-9, c.latency_synop_s)
    text = dump_hardware(hw, with_sources=False)
    assert "energy_synop_conv: 24 pJ" in text and "latency_synop_sparse" in text
    assert "synaptic_events_conv" in COUNT_KINDS
