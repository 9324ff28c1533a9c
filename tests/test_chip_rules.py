"""Timing and charging rules as chip keys: worked by hand, read from files, defaults unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from engine_hw import NS, PJ, US, loihi_like, random_mapping
from engine_nets import converted, random_images, random_model
from test_engine_agreement import assert_same_spikes
from test_engine_hand import _mapping, _one_layer

from neurosim.energy import run_energy
from neurosim.engine import simulate_hardware
from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware
from neurosim.hardware.model import Sync
from neurosim.hardware.writer import dump_hardware
from neurosim.snn.network import SNN, Population, Projection

TABLE = ((1, 0.6 * US), (2, 1.0 * US), (4, 1.4 * US), (29, 1.8 * US))


def test_barrier_lookup_step_and_interpolated() -> None:
    step = Sync("barrier", TABLE, barrier_lookup="step")
    line = Sync("barrier", TABLE)
    # 13 tiles: SANA-FE's step reading takes the 4-tile entry; interpolation goes 1/25 of
    # the way... 9/25 of the way from 1.4 to 1.8 us.
    assert step.barrier_s(13) == pytest.approx(1.4 * US)
    assert line.barrier_s(13) == pytest.approx((1.4 + 0.4 * 9 / 25) * US)
    assert line.barrier_s(13) == pytest.approx(1.544 * US)
    for tiles, want in ((1, 0.6), (3, 1.0), (4, 1.4), (28, 1.4), (29, 1.8), (400, 1.8)):
        assert step.barrier_s(tiles) == pytest.approx(want * US), tiles
    assert step.barrier_s(0) == line.barrier_s(0) == pytest.approx(0.6 * US)


def test_shipped_chips_keep_neurosims_rules() -> None:
    for name in ("loihi", "loihi2", "loihi-davies2018", "truenorth", "spinnaker", "spinnaker2"):
        hw = load_hardware(name)
        assert hw.chip.core.active_update == "changed", name
        assert hw.chip.core.service == "after_updates", name
        assert hw.chip.sync.barrier_lookup == "interpolate", name
        # Written back out, a file without rule keys gains none (loihi states its own).
        text = dump_hardware(hw)
        assert ("active_update" in text) == (name == "loihi"), name
        assert ("barrier_lookup" in text) == (name == "loihi"), name


def test_rule_keys_load_and_refuse_bad_values() -> None:
    hw = load_hardware("loihi", {"core.active_update": "nonzero", "core.service": "overlapped",
                                 "sync.barrier_lookup": "step"})
    assert (hw.chip.core.active_update, hw.chip.core.service, hw.chip.sync.barrier_lookup) == (
        "nonzero", "overlapped", "step")
    assert "active_update: nonzero" in dump_hardware(hw, with_sources=False)
    for key, bad in (("core.active_update", "always"), ("core.service", "parallel"),
                     ("sync.barrier_lookup", "nearest")):
        with pytest.raises(NeurosimError) as info:
            load_hardware("loihi", {key: bad})
        line = str(info.value)
        assert key.split(".")[1] in line and bad in line and "\n" not in line


def test_nonzero_rule_charges_leftover_potential_by_hand() -> None:
    # The hand example of test_engine_hand: the input fires at step 0 (v = 5 − 1 = 4 left),
    # the output takes the input at step 1. neurosim's rule: 2 active, 2 inactive updates.
    # SANA-FE's: the input at step 1 still holds v = 4 ≠ 0 (outside its window): active.
    snn = _one_layer(1, [[3]])
    for rule, active, inactive in (("changed", 2, 2), ("nonzero", 3, 1)):
        hw = loihi_like(router_delay_s=1 * NS, active_update=rule)
        mapping = _mapping(snn, hw, [("in", [0], 0), ("out", [0], 40)])
        run = simulate_hardware(snn, mapping, hw, np.array([[5.0]]))
        totals = run.totals()
        assert (totals["updates_active"], totals["updates_inactive"]) == (active, inactive), rule
        neuron = run_energy(run, hw).breakdown_j["neuron"]
        assert neuron == pytest.approx((active * 72.8 + inactive * 51.2) * PJ, rel=1e-12)
        # Step 1: core 0 (the input) takes 9.7 ns active or 6.0 ns inactive; core 40 9.7 ns.
        step_1 = run.streams[0].step_end_s[1] - run.streams[0].step_end_s[0]
        assert step_1 == pytest.approx((9.7 + 1000) * NS, rel=1e-12)


def _fan_out(n_out: int) -> SNN:
    """One "fs" input neuron (window 1, fires when v > 0) → ``n_out`` output neurons, weight 1."""
    w1 = np.ones(1, np.int64)
    inp = Population("in", (1,), "input", "fs", threshold=0 * w1, reset=w1, out_weight=w1,
                     bias=np.zeros(1, np.int64), offset=0)
    out = Population("out", (n_out,), "output", "fs", threshold=0 * w1, reset=0 * w1,
                     out_weight=0 * w1, bias=np.zeros(n_out, np.int64), offset=1)
    proj = Projection("in->out", "in", "out", "dense", weight=np.ones((n_out, 1), np.int64))
    return SNN(name="fan-out", code="ttfs", populations=(inp, out), projections=(proj,))


def test_overlapped_service_by_hand() -> None:
    # One input neuron on core 0 → 20 output neurons on core 40 (tile (2, 1)).
    # Step 0, core 40: 20 inactive updates = 120 ns. The packet arrives at 62.5 ns.
    # After updates: served from 120 ns for 16 + 20·3.8 = 92 ns → 212 ns.
    # Overlapped: served from its arrival, 62.5 → 154.5 ns; the core is done at
    # max(120, 154.5) = 154.5 ns.
    snn = _fan_out(20)
    arrive = 9.7 + 30.0 + 5.1 + (1 + 4.1) * 2 + (1 + 6.5)
    for service, end in (("after_updates", 120 + 92), ("overlapped", arrive + 92)):
        hw = loihi_like(router_delay_s=1 * NS, service=service)
        mapping = _mapping(snn, hw, [("in", [0], 0), ("out", list(range(20)), 40)])
        run = simulate_hardware(snn, mapping, hw, np.array([[5.0]]))
        assert run.streams[0].step_end_s[0] == pytest.approx((end + 1000) * NS, rel=1e-12)
    # Overlap never makes a core's step longer than its updates alone or its service alone.
    hw = loihi_like(router_delay_s=1 * NS, service="overlapped")
    snn = _fan_out(400)
    mapping = _mapping(snn, hw, [("in", [0], 0), ("out", list(range(400)), 40)])
    run = simulate_hardware(snn, mapping, hw, np.array([[5.0]]))
    assert run.streams[0].step_end_s[0] == pytest.approx((400 * 6.0 + 1000) * NS, rel=1e-12)


@pytest.mark.parametrize("code", ["rate", "fs"])
def test_rules_change_costs_not_spikes(code: str) -> None:
    model = random_model(17, residual=True)
    images = random_images(17, model, 3)
    snn = converted(model, code, images)
    base = loihi_like()
    runs = {}
    for name, hw in (("base", base),
                     ("sanafe", loihi_like(active_update="nonzero", service="overlapped",
                                           sync=Sync("barrier", TABLE, barrier_lookup="step")))):
        mapping = random_mapping(snn, hw, seed=4, neurons_per_core=11)
        assert_same_spikes(snn, mapping, hw, images)
        runs[name] = simulate_hardware(snn, mapping, hw, images)
    a, b = runs["base"].totals(), runs["sanafe"].totals()
    for key in ("spikes", "packets_out", "hops_ew", "hops_ns", "synaptic_events"):
        if key in a:
            assert a[key] == b[key], key
    assert a["updates_active"] + a["updates_inactive"] == b["updates_active"] + b["updates_inactive"]
    assert b["updates_active"] >= a["updates_active"]
    # Overlap can only shorten the steps (same events, service may start earlier).
    assert runs["sanafe"].streams[0].step_work_s.sum() <= runs["base"].streams[0].step_work_s.sum()


def test_sanafe_tile_numbering_is_translated() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from neurosim.hardware.sanafe import neurosim_core, sanafe_core

    # 8 × 4 mesh, 4 cores per tile: SANA-FE core 5 is slot 1 of tile 1 = (x 0, y 1), which
    # neurosim numbers tile 1·8 + 0 = 8: core 33. SANA-FE tile 4 is (1, 0): neurosim tile 1.
    assert neurosim_core(5, 8, 4, 4) == 33
    assert neurosim_core(16, 8, 4, 4) == 4
    assert neurosim_core(127, 8, 4, 4) == 127  # the last tile (7, 3) is last in both
    with pytest.raises(NeurosimError, match="beyond the 8×4 mesh"):
        neurosim_core(128, 8, 4, 4)

    @given(w=st.integers(1, 9), h=st.integers(1, 9), per=st.integers(1, 4), data=st.data())
    def round_trip(w: int, h: int, per: int, data: st.DataObject) -> None:
        core = data.draw(st.integers(0, w * h * per - 1))
        assert sanafe_core(neurosim_core(core, w, h, per), w, h, per) == core
        tile = neurosim_core(core, w, h, per) // per
        assert (tile % w, tile // w) == divmod(core // per, h)  # (x, y) = (i ÷ h, i mod h)

    round_trip()


def test_import_sanafe_brings_its_rules_and_lists_what_it_assumes(tmp_path) -> None:
    from test_hardware_sanafe import LOIHI_LIKE

    from neurosim.hardware.sanafe import import_sanafe_file

    source = tmp_path / "arch.yaml"
    source.write_text(LOIHI_LIKE, "utf-8")
    result = import_sanafe_file(source, tmp_path / "out.yaml")
    core, sync = result.hardware.chip.core, result.hardware.chip.sync
    assert (core.active_update, core.service, sync.barrier_lookup) == ("nonzero", "overlapped", "step")
    assert core.threshold_compare == "gt"  # SANA-FE fires on v > θ: a key now, not a note
    # SANA-FE's network estimate, with its link_buffer_size as the buffer it blocks on.
    noc = result.hardware.chip.noc
    assert (noc.congestion, noc.buffer_depth_packets) == ("inflight", 16)
    assert not core.multicast
    assert sync.barrier_s(13) == pytest.approx(1.4 * US)
    header = result.text.split("\n\n", 1)[0]
    assert "v > θ" not in header
    assert "synapse 'conv'" not in header  # mapped to costs.*_synop_conv now
    for said in ("noc.link_bandwidth", "core.weight_bits", "tile numbering"):
        assert said in header, said


def _three_senders() -> SNN:
    """Three "fs" inputs on one core: inputs 0 and 1 → outputs 0..19, input 2 → 20..39."""
    w1 = np.ones(1, np.int64)  # window 1: one threshold, reset and weight per population
    inp = Population("in", (3,), "input", "fs", threshold=0 * w1, reset=w1, out_weight=w1,
                     bias=np.zeros(3, np.int64), offset=0)
    out = Population("out", (40,), "output", "fs", threshold=0 * w1, reset=0 * w1,
                     out_weight=0 * w1, bias=np.zeros(40, np.int64), offset=1)
    weight = np.zeros((40, 3), np.int64)
    weight[:20, 0] = weight[:20, 1] = weight[20:, 2] = 1
    proj = Projection("in->out", "in", "out", "dense", weight=weight)
    return SNN(name="three-senders", code="ttfs", populations=(inp, out), projections=(proj,))


@pytest.mark.parametrize(("far_core", "buffer", "links_end", "inflight_end", "barrier"), [
    # Input 2's packet goes to core 2 on the same tile (0 hops).
    (2, 16, 228.8, 272.4, 600),
    # The same with no buffer room: the sender blocks for 46 ns first.
    (2, 0, 228.8, 318.4, 600),
    # Input 2's packet goes one hop east, to core 4 on tile (1, 0).
    (4, 16, 228.8, 249.4, 1000),
])
def test_inflight_congestion_by_hand(far_core: int, buffer: int, links_end: float,
                                     inflight_end: float, barrier: float) -> None:
    # Core 0 sends three packets, at 44.8, 89.6 and 134.4 ns (9.7 + 30 + 5.1 ns each);
    # inputs 0 and 1 to core 1 (20 synapses: 16 + 20·3.8 = 92 ns of service each), input 2
    # to ``far_core`` (92 ns too). Overlapped service, so core 1 serves 44.8–136.8 and
    # 136.8–228.8 ns.
    # links: input 2's packet is served on arrival (134.4 + 0 or 4.1 ns), done by 226.4
    #   or 230.5 ns... the step ends with core 1 at 228.8 ns, or 230.5 ns one hop away.
    # inflight: at 134.4 ns input 1's packet is still in flight (its service begins at
    #   136.8): it left core 0 with 0 hops, so it adds 1/2 to core 0's output segment.
    #   The mean service in flight is 92 ns. 0 hops (1 segment: core 0): load 1/2, delay
    #   92 · 0.5 / 1 = 46 ns → served 180.4–272.4. With buffer 0: load 1/2 > 0 · 1, so
    #   core 0 blocks (0.5 − 0) · 92 = 46 ns first, sends at 180.4, served 226.4–318.4.
    #   One hop east (2 segments: core 0, link east): delay max(4.1, 92 · 0.5 / 2 = 23)
    #   = 23 ns → served 157.4–249.4.
    # SANA-FE 2.2.9 gives these three message timelines to the 0.1 ns (its message trace
    # of the same network, benchmarks/sanafe_noc_probe.py).
    snn = _three_senders()
    if far_core == 4:
        links_end = 134.4 + 4.1 + 92
    for congestion, end in (("links", links_end), ("inflight", inflight_end)):
        hw = loihi_like(service="overlapped", congestion=congestion, buffer_depth_packets=buffer)
        mapping = _mapping(snn, hw, [("in", [0, 1, 2], 0), ("out", list(range(20)), 1),
                                     ("out", list(range(20, 40)), far_core)])
        run = simulate_hardware(snn, mapping, hw, np.array([[5.0, 5.0, 5.0]]))
        assert run.streams[0].step_end_s[0] == pytest.approx((end + barrier) * NS, rel=1e-12), (
            congestion)
        totals = run.totals()
        assert totals["packets_out"] == 3 and totals["synaptic_events"] >= 60


def test_inflight_congestion_key_loads_imports_and_refuses() -> None:
    hw = load_hardware("loihi", {"noc.congestion": "inflight", "core.multicast": False})
    assert hw.chip.noc.congestion == "inflight"
    assert "congestion: inflight" in dump_hardware(hw, with_sources=False)
    assert load_hardware("loihi").chip.noc.congestion == "links"
    with pytest.raises(NeurosimError) as info:
        load_hardware("loihi", {"noc.congestion": "inflight", "core.multicast": True})
    assert "multicast" in str(info.value) and "congestion" in str(info.value)
    with pytest.raises(NeurosimError, match="congestion"):
        load_hardware("loihi", {"noc.congestion": "queues"})
