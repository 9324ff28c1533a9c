"""Timing and energy worked out by hand for tiny networks (SANA-FE's calibrated Loihi numbers)."""

from __future__ import annotations

import numpy as np
import pytest
from engine_hw import NS, PJ, loihi_like

from neurosim.compiler.mapping import Block, CoreMapping, layout_hash
from neurosim.energy import energy_breakdown_j, energy_per_inference_j, hardware_figures, run_energy
from neurosim.engine import simulate_hardware
from neurosim.engine.kernel import TRACE_COLUMNS
from neurosim.snn.network import SNN, Population, Projection

TRACE = {name: i for i, name in enumerate(TRACE_COLUMNS)}


def _one_layer(n_in: int, weight: np.ndarray, name: str = "hand") -> SNN:
    """Input (``n_in`` "fs" neurons, window 1, fire when v > 0) → one output neuron."""
    w1 = np.ones(1, np.int64)
    inp = Population("in", (n_in,), "input", "fs", threshold=0 * w1, reset=w1, out_weight=w1,
                     bias=np.zeros(n_in, np.int64), offset=0)
    out = Population("out", (1,), "output", "fs", threshold=0 * w1, reset=0 * w1,
                     out_weight=0 * w1, bias=np.zeros(1, np.int64), offset=1)
    proj = Projection("in->out", "in", "out", "dense", weight=np.asarray(weight, np.int64))
    return SNN(name=name, code="ttfs", populations=(inp, out), projections=(proj,))


def _mapping(snn: SNN, hw, blocks: list[tuple[str, list[int], int]]) -> CoreMapping:
    return CoreMapping(snn.name, hw.name, layout_hash(hw),
                   tuple(Block(p, np.array(n), c) for p, n, c in blocks))


def test_two_cores_one_packet_timing_and_energy() -> None:
    # The input neuron sits on core 0, tile (0, 0); the output neuron on core 40, which is
    # slot 0 of tile 10 = (x 2, y 1) of the 8 × 4 mesh: the packet goes E, E, then N.
    hw = loihi_like(router_delay_s=1 * NS)
    snn = _one_layer(1, [[3]])
    mapping = _mapping(snn, hw, [("in", [0], 0), ("out", [0], 40)])
    run = simulate_hardware(snn, mapping, hw, np.array([[5.0]]), record_packets=True,
                            record_spikes=True)
    alone = run  # one image: the streamed run is the latency run

    # Step 0 (starts at 0). Core 0: the input loads v = 5 (active update, 9.7 ns), fires
    # (5 > 0; spike generation 30 ns) and sends one packet (packet out 5.1 ns):
    inject = 9.7 + 30.0 + 5.1                     # 44.8 ns
    # Core 40: the output is outside its window at step 0 (offset 1) and gets no input:
    # an inactive update, 6.0 ns.
    # Network: each hop = router delay 1 ns + hop latency; links are free.
    arrive = inject + (1 + 4.1) + (1 + 4.1) + (1 + 6.5)   # 62.5 ns
    # Core 40 is idle by then: packet in 16 ns + 1 synapse × 3.8 ns.
    served = arrive + 16.0 + 1 * 3.8                      # 82.3 ns
    barrier = 1000.0                                      # 2 tiles in use: 1.0 us
    end_0 = served + barrier                              # 1082.3 ns
    # Step 1: core 0 idle (image 1 does not exist): inactive 6.0 ns; core 40 loads
    # v = 3 · d(0) = 3 (active, 9.7 ns). The slower core sets the step.
    end_1 = end_0 + max(6.0, 9.7) + barrier               # 2092.0 ns

    trace = run.streams[0].packets
    assert trace.shape[0] == 1
    assert trace[0, TRACE["inject_s"]] == pytest.approx(inject * NS, rel=1e-12)
    assert trace[0, TRACE["arrival_s"]] == pytest.approx(arrive * NS, rel=1e-12)
    assert trace[0, TRACE["end_s"]] == pytest.approx(served * NS, rel=1e-12)
    assert run.streams[0].step_end_s == pytest.approx([end_0 * NS, end_1 * NS], rel=1e-12)
    assert run.outputs[0, 0] == 3.0
    assert run.spike_record()[2].tolist() == [0]

    figures = hardware_figures(run, alone, hw)
    assert figures.latency_s == pytest.approx(end_0 * NS, rel=1e-12)      # E_{L-1}, L = 1
    # One image never fills a two-stage pipeline: it occupies the chip for the whole stream.
    assert figures.throughput_inferences_per_s == pytest.approx(1 / (end_1 * NS), rel=1e-12)

    # Energy of the whole run (pJ): 2 active updates (in@0, out@1), 2 inactive
    # (out@0, in@1), 1 spike, 1 packet out, 1 packet in (0 pJ on Loihi), 2 E–W hops and
    # 1 N–S hop, 1 synaptic event; static 104.4 mW on the one chip for 2092.0 ns.
    synapse = 1 * 35.5
    neuron = 2 * 72.8 + 2 * 51.2
    spike_packet = 69.3 + 111.0 + 0.0
    network = 2 * 3.0 + 4.2
    static = 104.4e-3 * end_1 * NS / PJ                   # 218404.8 pJ
    energy = run_energy(run, hw)
    assert energy.breakdown_j == pytest.approx(
        {"synapse": synapse * PJ, "neuron": neuron * PJ, "spike_packet": spike_packet * PJ,
         "network": network * PJ, "static": static * PJ}, rel=1e-12)
    assert energy.total_j == pytest.approx((synapse + neuron + spike_packet + network + static) * PJ,
                                           rel=1e-12)
    assert energy.idle_dynamic_j == pytest.approx(2 * 51.2 * PJ, rel=1e-12)
    # Per inference: image 0 owns the two active updates and everything the spike caused;
    # static power is charged for 1 / throughput = the whole stream.
    per_inference = energy_breakdown_j(run, hw)
    assert per_inference == pytest.approx(
        {"synapse": synapse * PJ, "neuron": 2 * 72.8 * PJ, "spike_packet": spike_packet * PJ,
         "network": network * PJ, "static": 104.4e-3 * end_1 * NS}, rel=1e-12)
    assert energy_per_inference_j(run, hw) == pytest.approx(
        (synapse + 2 * 72.8 + spike_packet + network) * PJ + 104.4e-3 * end_1 * NS, rel=1e-12)

    # Counts where they belong.
    totals = run.totals()
    assert (totals["hops_ew"], totals["hops_ns"], totals["hops_interchip"]) == (2, 1, 0)
    assert totals["packets_out"] == totals["packets_in"] == 1
    links = run.used_links()
    assert list(zip(links["from_x"], links["from_y"], links["to_x"], links["to_y"])) == [
        (0, 0, 1, 0), (1, 0, 2, 0), (2, 0, 2, 1)]


def test_contention_second_packet_waits_one_serialisation_time() -> None:
    # Two input neurons on cores 0 and 1 (both on tile (0, 0)) fire in the same step and
    # send one packet each to the output on core 4 (tile (1, 0)). Both packets are
    # injected at 9.7 + 30 + 5.1 = 44.8 ns and ask for the same E link; the packet of
    # core 0 goes first (lower packet number), the other leaves one serialisation later.
    hw = loihi_like()
    serialisation = 32 / 110.08e9                         # packet_bits / link bandwidth
    assert hw.chip.noc.serialisation_s == pytest.approx(serialisation, rel=1e-15)
    snn = _one_layer(2, [[1, 1]])
    mapping = _mapping(snn, hw, [("in", [0], 0), ("in", [1], 1), ("out", [0], 4)])
    run = simulate_hardware(snn, mapping, hw, np.array([[5.0, 5.0]]), record_packets=True)
    trace = run.streams[0].packets
    assert trace[:, TRACE["source_neuron"]].tolist() == [0, 1]
    inject = (9.7 + 30.0 + 5.1) * NS
    assert trace[:, TRACE["inject_s"]] == pytest.approx([inject, inject], rel=1e-12)
    first, second = trace[:, TRACE["arrival_s"]]
    assert first == pytest.approx(inject + 4.1 * NS, rel=1e-12)
    assert second - first == pytest.approx(serialisation, rel=1e-9)
    # The output core serves the first packet (16 + 3.8 ns) and then the second, which
    # arrived while it was busy: it starts when the first is done.
    starts = trace[:, TRACE["start_s"]]
    assert starts[1] == pytest.approx(first + 19.8 * NS, rel=1e-12)
    assert run.streams[0].step_end_s[0] == pytest.approx(first + 2 * 19.8 * NS + 1000 * NS,
                                                         rel=1e-12)
    links = run.used_links()
    assert links["packets"].tolist() == [2]
    assert links["wait_s"] == pytest.approx([serialisation], rel=1e-9)
    assert links["max_queue"].tolist() == [0]  # it waited behind a packet already leaving


def test_contention_queue_of_three() -> None:
    # Three packets ask for one slow link at once: they leave 0, 1 and 2 serialisation
    # times late; the third found one packet waiting ahead of it.
    hw = loihi_like(link_bandwidth_bits_per_s=1e9)        # 32 ns per packet
    snn = _one_layer(3, [[1, 1, 1]])
    mapping = _mapping(snn, hw, [("in", [0], 0), ("in", [1], 1), ("in", [2], 2),
                                 ("out", [0], 4)])
    run = simulate_hardware(snn, mapping, hw, np.array([[5.0, 5.0, 5.0]]), record_packets=True)
    arrivals = run.streams[0].packets[:, TRACE["arrival_s"]]
    assert np.diff(arrivals) == pytest.approx([32 * NS, 32 * NS], rel=1e-9)
    links = run.used_links()
    assert links["wait_s"] == pytest.approx([(32 + 64) * NS], rel=1e-9)
    assert links["max_queue"].tolist() == [1]


def test_interchip_hop() -> None:
    # Two chips side by side, each one tile of one core: the packet crosses one
    # inter-chip link (latency 50 ns) and no on-chip link.
    hw = loihi_like(chips_x=2, mesh_x=1, mesh_y=1, cores_per_tile=1)
    snn = _one_layer(1, [[2]])
    mapping = _mapping(snn, hw, [("in", [0], 0), ("out", [0], 1)])
    run = simulate_hardware(snn, mapping, hw, np.array([[5.0]]), record_packets=True)
    trace = run.streams[0].packets
    assert trace[0, TRACE["arrival_s"]] - trace[0, TRACE["inject_s"]] == pytest.approx(
        50 * NS, rel=1e-12)
    totals = run.totals()
    assert (totals["hops_ew"], totals["hops_ns"], totals["hops_interchip"]) == (0, 0, 1)
    assert run.chips_used == 2
    energy = run_energy(run, hw)
    assert energy.breakdown_j["network"] == pytest.approx(832 * PJ, rel=1e-12)
    assert energy.breakdown_j["static"] == pytest.approx(2 * 104.4e-3 * run.time_s, rel=1e-12)


def test_tick_mode_counts_overruns() -> None:
    # A tick of 50 ns: step 0 needs 82.3 − 1 · 3 router ns = 79.3 ns of work (see the
    # two-core test without router delay), an overrun of 29.3 ns; step 1 needs 9.7 ns and
    # lasts the tick.
    from neurosim.hardware.model import Sync
    hw = loihi_like(sync=Sync(mode="tick", tick_s=50 * NS))
    snn = _one_layer(1, [[3]])
    mapping = _mapping(snn, hw, [("in", [0], 0), ("out", [0], 40)])
    run = simulate_hardware(snn, mapping, hw, np.array([[5.0]]))
    work_0 = 9.7 + 30.0 + 5.1 + 4.1 + 4.1 + 6.5 + 16.0 + 3.8
    assert run.streams[0].step_end_s == pytest.approx([work_0 * NS, (work_0 + 50) * NS], rel=1e-12)
    assert run.tick_overruns == 1
    assert run.max_tick_overrun_s == pytest.approx((work_0 - 50) * NS, rel=1e-12)
