"""Invariants of a run: conservation of packets and synaptic events, energy sums, idle cost."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from engine_hw import loihi_like, random_mapping, sequential_mapping
from engine_nets import converted, random_images, random_model

from neurosim.energy import (
    CATEGORIES,
    energy_breakdown_j,
    energy_per_inference_j,
    hardware_figures,
    measure_hardware,
    run_energy,
)
from neurosim.engine import (
    HardwareRun,
    build_tables,
    simulate_hardware,
    stream_slices,
)
from neurosim.snn.connectivity import synapses
from neurosim.snn.functional import simulate


@pytest.fixture(scope="module")
def residual_case():
    model = random_model(21, residual=True)
    images = random_images(21, model, 6)
    snn = converted(model, "fs", images)
    hw = loihi_like()
    return snn, random_mapping(snn, hw, seed=2, neurons_per_core=23), hw, images


def _out_degree_by_core(snn, mapping, hw) -> np.ndarray:
    """(source neuron, core index) → explicit synapses, from connectivity.synapses (independent)."""
    tables = build_tables(snn, mapping, hw)
    table = np.zeros((snn.n_neurons, tables.n_cores), np.int64)
    for proj in snn.projections:
        src, tgt, _ = synapses(proj, snn.population(proj.source).shape)
        src = src + snn.first_neuron(proj.source)
        tgt = tgt + snn.first_neuron(proj.target)
        np.add.at(table, (src, tables.core_of_neuron[tgt]), 1)
    return table


def test_synapse_tables_match_explicit_synapses(residual_case) -> None:
    snn, mapping, hw, _ = residual_case
    tables = build_tables(snn, mapping, hw)
    expected = _out_degree_by_core(snn, mapping, hw)
    mine = np.zeros_like(expected)
    src = np.repeat(np.arange(snn.n_neurons), np.diff(tables.dest_ptr))
    mine[src, tables.dest_core] = tables.dest_nsyn
    np.testing.assert_array_equal(mine, expected)
    assert tables.explicit_synapses == snn.synapse_count()
    assert tables.bytes_per_synapse() <= 32


def test_packets_and_synaptic_events_are_conserved(residual_case) -> None:
    snn, mapping, hw, images = residual_case
    run = simulate_hardware(snn, mapping, hw, images, images_per_stream=4)
    totals = run.totals()
    assert totals["packets_out"] == totals["packets_in"] > 0
    assert run.core_counts[:, 4].sum() == run.core_counts[:, 5].sum() == totals["packets_out"]
    # Every spike costs exactly the synapses of its neuron (and one packet per destination core).
    degree = _out_degree_by_core(snn, mapping, hw)
    assert totals["synaptic_events"] == int((run.spike_counts * degree.sum(axis=1)).sum())
    assert totals["packets_out"] == int((run.spike_counts * (degree > 0).sum(axis=1)).sum())
    # Per core: events received = synapses onto it of every spike.
    np.testing.assert_array_equal(run.core_counts[:, 0], run.spike_counts @ degree)
    # Per population: onto its neurons, and caused by its spikes, both sum to the total.
    assert run.population_counts[:, 0].sum() == totals["synaptic_events"]
    assert run.population_counts[:, 9].sum() == totals["synaptic_events"]
    # Every neuron is updated once per step.
    updates = totals["updates_active"] + totals["updates_inactive"]
    assert updates == snn.n_neurons * run.steps
    # The spike counts of the functional simulator, image by image.
    functional = simulate(snn, images)
    expected = sum(int(c.sum()) for c in functional.spike_counts.values())
    assert totals["spikes"] == expected
    # Hops: the links' packet counts are the hops.
    assert run.link_packets.sum() == totals["hops_ew"] + totals["hops_ns"] + totals["hops_interchip"]


def test_multicast_delivers_to_every_destination_core(residual_case) -> None:
    snn, mapping, _, images = residual_case
    hw = loihi_like(multicast=True)
    unicast = simulate_hardware(snn, mapping, loihi_like(), images)
    multicast = simulate_hardware(snn, mapping, hw, images)
    u, m = unicast.totals(), multicast.totals()
    assert m["packets_in"] == u["packets_in"] == u["packets_out"]
    assert m["packets_out"] == int((multicast.spike_counts * (np.diff(
        build_tables(snn, mapping, hw).dest_ptr) > 0)).sum())
    assert m["synaptic_events"] == u["synaptic_events"]
    hops = ("hops_ew", "hops_ns", "hops_interchip")
    assert sum(m[h] for h in hops) <= sum(u[h] for h in hops)


def test_energy_totals_equal_their_breakdowns(residual_case) -> None:
    snn, mapping, hw, images = residual_case
    m = measure_hardware(snn, mapping, hw, images, images_per_stream=4)
    e = m.figures.run_energy
    assert e.total_j == sum(e.breakdown_j[k] for k in CATEGORIES)
    total = 0.0
    for k in CATEGORIES:
        total += m.figures.energy_breakdown_j[k]
    assert m.figures.energy_per_inference_j == total
    assert energy_per_inference_j(m.run, hw) == total
    # By core (dynamic + static share) and by population (dynamic) add up to the run.
    by_core = sum(sum(v.values()) for v in e.by_core_j.values())
    assert by_core == pytest.approx(e.total_j, rel=1e-12)
    by_pop = sum(sum(v.values()) for v in e.by_population_j.values())
    assert by_pop == pytest.approx(e.total_j - e.breakdown_j["static"], rel=1e-12)
    # Per-inference dynamic energy × N plus the idle energy is the run's dynamic energy.
    dynamic = sum(m.figures.energy_breakdown_j[k] for k in CATEGORIES[:-1]) * m.run.n_images
    assert dynamic + e.idle_dynamic_j == pytest.approx(e.total_j - e.breakdown_j["static"],
                                                       rel=1e-12)


def test_idle_network_costs_static_and_inactive_updates() -> None:
    model = random_model(4, residual=True)
    images = random_images(4, model, 3)
    for code in ("rate", "ttfs", "fs"):
        snn = converted(model, code, images)
        # Zero biases, and zero images (not clipped up to the calibration minimum).
        silent = replace(snn, populations=tuple(
            replace(p, bias=np.zeros_like(p.bias)) for p in snn.populations),
            params={**snn.params, "input_range": (0.0, 1.0)})
        # Native FS neurons: on emulating cores every FS update in a window is active.
        hw = loihi_like(static_power_core_w=1e-4, fs_neurons=True)
        mapping = sequential_mapping(silent, hw, 50)
        run = simulate_hardware(silent, mapping, hw, np.zeros_like(images))
        totals = run.totals()
        assert totals["spikes"] == totals["updates_active"] == totals["synaptic_events"] == 0
        costs = hw.chip.costs
        expected = (run.static_power_w * run.time_s
                    + totals["updates_inactive"] * costs.energy_neuron_update_inactive_j)
        assert run_energy(run, hw).total_j == expected
        assert run.static_power_w == 104.4e-3 + run.cores_used * 1e-4
        # Every step lasts the busiest core's inactive updates plus the barrier.
        tables = build_tables(silent, mapping, hw)
        busiest = np.diff(tables.core_ptr).max()
        step = busiest * costs.latency_neuron_update_inactive_s + hw.chip.sync.barrier_s(
            tables.tiles_used)
        assert np.diff(run.streams[0].step_end_s) == pytest.approx(step, rel=1e-9)


def test_chunked_runs_merge_to_the_serial_run(residual_case) -> None:
    snn, mapping, hw, images = residual_case
    serial = simulate_hardware(snn, mapping, hw, images, images_per_stream=2)
    # A parallel runner: each worker takes whole streams, in any order.
    parts = [simulate_hardware(snn, mapping, hw, images[s], images_per_stream=2,
                               first_image=s.start) for s in stream_slices(len(images), 2)]
    merged = HardwareRun.merge(parts[::-1])
    for field in ("core_counts", "core_busy_s", "population_counts", "image_counts",
                  "idle_counts", "link_packets", "link_wait_s", "link_max_queue", "outputs",
                  "spike_counts", "readout_s"):
        np.testing.assert_array_equal(getattr(merged, field), getattr(serial, field))
    assert merged.time_s == serial.time_s
    assert merged.throughput_inferences_per_s == serial.throughput_inferences_per_s
    alone = simulate_hardware(snn, mapping, hw, images[:1])
    assert hardware_figures(merged, alone, hw) == hardware_figures(serial, alone, hw)
    assert energy_breakdown_j(merged, hw) == energy_breakdown_j(serial, hw)


RUN_ARRAYS = ("core_counts", "core_busy_s", "population_counts", "image_counts", "idle_counts",
              "link_packets", "link_wait_s", "link_max_queue", "link_overflows", "outputs",
              "spike_counts", "readout_s")


def assert_same_run(a: HardwareRun, b: HardwareRun) -> None:
    for field in RUN_ARRAYS:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert len(a.streams) == len(b.streams)
    for sa, sb in zip(a.streams, b.streams):
        assert (sa.first_image, sa.n_images) == (sb.first_image, sb.n_images)
        for field in ("step_end_s", "step_work_s", "readout_s", "spikes", "step_updates",
                      "step_counts"):
            x, y = getattr(sa, field), getattr(sb, field)
            assert (x is None) == (y is None), field
            if x is not None:
                np.testing.assert_array_equal(x, y, err_msg=field)


@pytest.mark.parametrize("n_threads", [2, 3])
def test_threads_do_not_change_a_run(residual_case, n_threads: int) -> None:
    """Streams on several threads: the same run as one thread, stream for stream."""
    snn, mapping, hw, images = residual_case
    many = np.concatenate([images] * 2)
    options = {"images_per_stream": 5, "record_spikes": True, "record_steps": True}
    one = simulate_hardware(snn, mapping, hw, many, n_threads=1, **options)
    assert len(one.streams) == 3
    assert_same_run(simulate_hardware(snn, mapping, hw, many, n_threads=n_threads, **options), one)
    m1 = measure_hardware(snn, mapping, hw, many, n_threads=1, **options)
    mt = measure_hardware(snn, mapping, hw, many, n_threads=n_threads, **options)
    assert_same_run(mt.run, m1.run)
    assert_same_run(mt.run, one)
    assert_same_run(mt.latency_run, simulate_hardware(snn, mapping, hw, images[:1]))
    assert mt.figures == m1.figures


def test_latency_and_throughput_definitions(residual_case) -> None:
    snn, mapping, hw, images = residual_case
    m = measure_hardware(snn, mapping, hw, images, images_per_stream=len(images))
    stream = m.run.streams[0]
    ends = stream.step_end_s
    L, W, N = snn.latency_steps, snn.window, len(images)
    assert m.figures.latency_s == m.latency_run.streams[0].step_end_s[L - 1]
    # Throughput: one image per W steps at the mean length of the steps in which every
    # population holds an image (from the deepest offset to the input's last window).
    deepest = max(p.offset for p in snn.populations)
    assert deepest < N * W
    lengths = np.diff(np.concatenate([[0.0], ends]))[deepest:N * W]
    assert m.figures.throughput_inferences_per_s == pytest.approx(
        1 / (W * lengths.mean()), rel=1e-12)
    # The pipeline: a new image every W steps, much sooner than one image's latency.
    assert 1 / m.figures.throughput_inferences_per_s < m.figures.latency_s


def test_throughput_does_not_depend_on_stream_length(residual_case) -> None:
    """Streams of any length that fill the pipeline give one steady rate (tick chips exactly)."""
    snn, mapping, hw, images = residual_case
    many = np.concatenate([images] * 4)
    depth = max(p.offset for p in snn.populations) // snn.window + 1
    rates = [simulate_hardware(snn, mapping, hw, many, images_per_stream=n)
             .throughput_inferences_per_s for n in (depth + 1, 2 * depth, len(many))]
    assert max(rates) / min(rates) < 1.25
    tick = replace(hw, chip=replace(hw.chip, sync=replace(hw.chip.sync, mode="tick", tick_s=1e-3)))
    for n in (depth + 1, len(many)):
        run = simulate_hardware(snn, mapping, tick, many, images_per_stream=n)
        assert run.throughput_inferences_per_s == pytest.approx(1 / (snn.window * 1e-3))


def test_routing_lists_grow(residual_case, monkeypatch) -> None:
    # Tiny initial routing lists must grow and give the same run.
    import neurosim.engine.run as engine_run
    snn, mapping, hw, images = residual_case
    expected = simulate_hardware(snn, mapping, hw, images, record_packets=True)
    monkeypatch.setattr(engine_run, "ENTRY_CAPACITY", 1)
    grown = simulate_hardware(snn, mapping, hw, images, record_packets=True)
    for a, b in zip(expected.streams, grown.streams):
        np.testing.assert_array_equal(a.step_end_s, b.step_end_s)
        np.testing.assert_array_equal(a.packets, b.packets)
    np.testing.assert_array_equal(expected.core_counts, grown.core_counts)


def test_cores_without_fs_neurons_charge_window_updates_as_active() -> None:
    """Emulated FS neurons: same spikes, and every in-window update of an FS neuron is active."""
    from engine_hw import loihi_like, sequential_mapping
    from engine_nets import converted, random_images, random_model

    from neurosim.engine import simulate_hardware

    model = random_model(3)
    images = random_images(3, model, 2)
    snn = converted(model, "ttfs", images)
    runs = {}
    for native in (True, False):
        hw = loihi_like(fs_neurons=native)
        runs[native] = simulate_hardware(snn, sequential_mapping(snn, hw, 40), hw, images,
                                         record_spikes=True)
    np.testing.assert_array_equal(runs[True].spike_record()[2], runs[False].spike_record()[2])
    native, emulated = runs[True].totals(), runs[False].totals()
    assert native["updates_active"] + native["updates_inactive"] == (
        emulated["updates_active"] + emulated["updates_inactive"])
    # Spiking FS populations: every neuron is active at each of its window steps per image.
    window_updates = sum(p.size * p.window * len(images) for p in snn.populations if p.spiking)
    assert emulated["updates_active"] >= window_updates > native["updates_active"] - 1
