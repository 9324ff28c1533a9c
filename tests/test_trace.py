"""Per-step traces (``simulate --trace``): the rows sum to the run's totals, and a tiny
network's steps are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from engine_hw import NS, PJ, loihi_like, sequential_mapping
from engine_nets import converted, random_images, random_model

from neurosim.compiler.mapping import Block, CoreMapping, layout_hash
from neurosim.energy import run_energy
from neurosim.engine import COUNT_KINDS, simulate_hardware
from neurosim.errors import NeurosimError
from neurosim.report.trace import step_trace_table
from neurosim.snn.network import SNN, Population, Projection


def _sums(table, group: str = "") -> dict[str, float]:
    return {c: float(np.sum(table.column(c))) for c in table.columns
            if c in COUNT_KINDS or c.startswith("energy_")}


@pytest.mark.parametrize("code", ["rate", "fs"])
def test_per_step_rows_sum_to_the_run_totals(code: str) -> None:
    model = random_model(3, conv=True)
    images = random_images(3, model, n=5)
    snn = converted(model, code, images)
    hw = loihi_like(neurons=16, chips_x=2)
    mapping = sequential_mapping(snn, hw, neurons_per_core=16)
    run = simulate_hardware(snn, mapping, hw, images, images_per_stream=2, record_steps=True)
    plain = simulate_hardware(snn, mapping, hw, images, images_per_stream=2)
    # Recording changes nothing the run reports.
    assert np.array_equal(run.core_counts, plain.core_counts)
    assert run.time_s == plain.time_s
    energy = run_energy(run, hw)
    for level in ("steps", "cores"):
        table = step_trace_table(run, hw, level)
        sums = _sums(table)
        for i, kind in enumerate(COUNT_KINDS):
            assert sums[kind] == run.core_counts[:, i].sum(), (level, kind)
        for category, joules in energy.breakdown_j.items():
            assert sums[f"energy_{category}_j"] == pytest.approx(joules, rel=1e-9, abs=1e-18)
        assert sums["energy_total_j"] == pytest.approx(energy.total_j, rel=1e-9)
    cores = step_trace_table(run, hw, "cores")
    assert len(cores) == run.steps * len(run.cores)
    # One row per chip and step; a step's length is the same on every chip.
    steps = step_trace_table(run, hw, "steps")
    assert len(steps) == run.steps * run.chips_used
    per_step_s = {}
    for row in steps:
        per_step_s.setdefault((row["stream"], row["step"]), set()).add(row["step_s"])
    assert all(len(v) == 1 for v in per_step_s.values())
    assert sum(next(iter(v)) for v in per_step_s.values()) == pytest.approx(run.time_s)


def test_a_hand_worked_two_core_network() -> None:
    # One "fs" input neuron (v = 5 > 0 fires at step 0) on core 0 sends one packet to the
    # output neuron on core 40 (tile (2, 1) of the 8 × 4 mesh): 3 hops, E, E, N.
    hw = loihi_like(router_delay_s=1 * NS)
    w1 = np.ones(1, np.int64)
    inp = Population("in", (1,), "input", "fs", threshold=0 * w1, reset=w1, out_weight=w1,
                     bias=np.zeros(1, np.int64), offset=0)
    out = Population("out", (1,), "output", "fs", threshold=0 * w1, reset=0 * w1,
                     out_weight=0 * w1, bias=np.zeros(1, np.int64), offset=1)
    snn = SNN(name="hand", code="ttfs", populations=(inp, out),
              projections=(Projection("in->out", "in", "out", "dense",
                                      weight=np.array([[3]], np.int64)),))
    mapping = CoreMapping(snn.name, hw.name, layout_hash(hw),
                          (Block("in", np.array([0]), 0), Block("out", np.array([0]), 40)))
    run = simulate_hardware(snn, mapping, hw, np.array([[5.0]]), record_steps=True)
    rows = {(r["step"], r["core"]): r for r in step_trace_table(run, hw, "cores")}
    assert sorted(rows) == [(0, 0), (0, 40), (1, 0), (1, 40)]
    # Step 0: core 0 updates actively, fires, sends one packet over 2 E hops and 1 N hop;
    # core 40 updates inactively (outside its window) and takes the packet: 1 synapse.
    s0, r0 = rows[(0, 0)], rows[(0, 40)]
    assert (s0["updates_active"], s0["spikes"], s0["packets_out"]) == (1, 1, 1)
    assert (s0["hops_ew"], s0["hops_ns"], s0["synaptic_events_caused"]) == (2, 1, 1)
    assert (r0["updates_inactive"], r0["packets_in"], r0["synaptic_events"]) == (1, 1, 1)
    # Step 1: core 0 inactive, core 40 loads v = 3 (active); nothing is sent.
    s1, r1 = rows[(1, 0)], rows[(1, 40)]
    assert (s1["updates_inactive"], s1["spikes"], r1["updates_active"], r1["packets_in"]) == (
        1, 0, 1, 0)
    # Times (as in test_engine_hand): step 0 ends at 82.3 ns + 1 µs barrier, step 1 lasts
    # max(6.0, 9.7) ns + barrier.
    assert r0["step_s"] == pytest.approx(1082.3 * NS)
    assert r1["step_s"] == pytest.approx(1009.7 * NS)
    assert r0["work_s"] == pytest.approx(82.3 * NS)
    # Energy: core 40 at step 0 = inactive update + packet in + one synaptic event.
    c = hw.chip.costs
    assert r0["energy_synapse_j"] == pytest.approx(c.energy_synop_j)
    assert r0["energy_neuron_j"] == pytest.approx(c.energy_neuron_update_inactive_j)
    assert r0["energy_spike_packet_j"] == pytest.approx(c.energy_packet_in_j)
    assert s0["energy_network_j"] == pytest.approx(
        2 * hw.chip.noc.energy_hop_ew_j + hw.chip.noc.energy_hop_ns_j)
    assert c.energy_synop_j == pytest.approx(35.5 * PJ)


def test_a_run_without_recorded_steps_is_refused() -> None:
    model = random_model(1, conv=False)
    images = random_images(1, model, n=1)
    snn = converted(model, "rate", images)
    hw = loihi_like()
    run = simulate_hardware(snn, sequential_mapping(snn, hw), hw, images)
    with pytest.raises(NeurosimError, match="per-step counts"):
        step_trace_table(run, hw)
