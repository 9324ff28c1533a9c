"""Running images through the simulated chip, and what a run records.

:func:`simulate_hardware` streams images back to back through the pipeline. It always
splits them into *streams* of at most ``images_per_stream`` images, each starting from a
reset chip at time 0, and merges the streams' records (:meth:`HardwareRun.merge`). A
parallel runner that simulates the same streams on other workers
(:func:`stream_slices` gives their boundaries, ``first_image`` their place) and merges
them gets exactly the serial result.

Counts are int64 tables whose columns are :data:`~neurosim.engine.kernel.COUNT_KINDS`:

* per core (cores in use, ascending board number): synaptic events it processed, its
  neuron updates, spikes, packets it sent and received, hops of the packets it sent,
  ``synaptic_events_caused`` by its spikes anywhere;
* per population: synaptic events *onto* its neurons, its updates, and everything its
  spikes caused (spikes, packets, hops, ``synaptic_events_caused``);
* per image: every event attributed to that image (a neuron update to the image in its
  population's window, a spike and all it causes to the sender's image); updates outside
  every window go to ``idle_counts`` (pipeline fill and drain).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from neurosim.compiler.mapping import CoreMapping
from neurosim.engine.kernel import (
    COUNT_KINDS,
    N_KINDS,
    ChipBehaviour,
    CompartmentTables,
    LinkTables,
    NeuronTables,
    RouteTables,
    StreamCounts,
    StreamInput,
    SynapseTables,
    run_stream,
)
from neurosim.engine.mesh import DIRECTIONS, LINK_KINDS
from neurosim.engine.network import MAX_PACKETS, MAX_SIDE
from neurosim.engine.tables import EngineTables, build_tables
from neurosim.errors import NeurosimError
from neurosim.hardware.model import Hardware
from neurosim.snn.network import SNN
from neurosim.snn.neuron import poisson_step
from neurosim.threads import map_in_order

IMAGES_PER_STREAM = 32
"""Images per stream of a run (the unit of work of a parallel run)."""
ENTRY_CAPACITY = 1 << 20
"""Most routing entries allocated up front; the engine grows its lists beyond that."""


@dataclass(frozen=True, eq=False)
class StreamRecord:
    """One stream of images run back to back from a reset chip (times from its start)."""

    first_image: int
    n_images: int
    step_end_s: np.ndarray     # (steps,) end of every step, E_t
    step_work_s: np.ndarray    # (steps,) time from a step's start to its last activity
    readout_s: np.ndarray      # (n_images,) E_{L-1+nW}: when each image's output is complete
    spikes: np.ndarray | None = None   # (S, 2): step, network-wide neuron (record_spikes)
    packets: np.ndarray | None = None  # (D, 8): one row per delivery, kernel.TRACE_COLUMNS
    step_updates: np.ndarray | None = None  # (steps, 2): active, inactive neuron updates
    step_counts: np.ndarray | None = None  # (steps, C, K): each step's counts per core (record_steps)

    @property
    def duration_s(self) -> float:
        return float(self.step_end_s[-1]) if len(self.step_end_s) else 0.0


@dataclass(frozen=True, eq=False)
class HardwareRun:
    """What the engine recorded for a run of images; runs over chunks merge exactly."""

    snn_name: str
    hardware_name: str
    file_hash: str                  # sha256 of the hardware file the run used
    population_names: tuple[str, ...]
    cores: np.ndarray               # (C,) board core numbers in use
    core_neurons: np.ndarray        # (C,) neurons (and partial compartments) each core holds
    core_populations: tuple[str, ...]  # (C,) populations on each core, "+"-joined
    population_cores: np.ndarray    # (P,) cores each population spans
    core_population_neurons: np.ndarray  # (C, P) neurons of each population on each core
    core_counts: np.ndarray         # (C, K)
    core_busy_s: np.ndarray         # (C,)
    population_counts: np.ndarray   # (P, K)
    image_counts: np.ndarray        # (N, K)
    idle_counts: np.ndarray         # (K,)
    link_packets: np.ndarray        # (L,) packets that crossed each link
    link_wait_s: np.ndarray         # (L,) time packets waited for each link
    link_max_queue: np.ndarray      # (L,) most packets found waiting ahead
    link_overflows: np.ndarray      # (L,) packets that found more than buffer_depth ahead
    streams: tuple[StreamRecord, ...]
    outputs: np.ndarray             # (N, n_out) in ANN units
    spike_counts: np.ndarray        # (n_neurons,) spikes of every neuron over the run
    static_power_w: float
    tiles_used: int
    chips_used: int
    latency_steps: int
    window: int
    deepest_offset: int               # the latest population offset: the pipeline's depth
    tick_s: float | None
    link_serialisation_s: np.ndarray  # (L,)
    link_kind: np.ndarray             # (L,) index into mesh.LINK_KINDS
    mesh_size_x: int
    split_neurons: int = 0          # neurons whose fan-in is split over partial compartments

    # --- merging -------------------------------------------------------------------------
    @classmethod
    def merge(cls, runs: Sequence[HardwareRun]) -> HardwareRun:
        """One run from runs over disjoint chunks of images (in any order)."""
        runs = sorted(runs, key=lambda r: r.streams[0].first_image if r.streams else 0)
        if not runs:
            raise ValueError("nothing to merge")
        first = runs[0]
        for other in runs[1:]:
            if (other.snn_name, other.file_hash, tuple(other.cores)) != (
                    first.snn_name, first.file_hash, tuple(first.cores)):
                raise ValueError("runs of different networks, chips or mappings do not merge")
        streams = tuple(s for r in runs for s in r.streams)
        return cls(
            snn_name=first.snn_name, hardware_name=first.hardware_name,
            file_hash=first.file_hash, population_names=first.population_names,
            cores=first.cores, core_neurons=first.core_neurons,
            core_populations=first.core_populations, population_cores=first.population_cores,
            core_population_neurons=first.core_population_neurons,
            core_counts=sum(r.core_counts for r in runs),
            core_busy_s=np.sum([r.core_busy_s for r in runs], axis=0),
            population_counts=sum(r.population_counts for r in runs),
            image_counts=np.concatenate([r.image_counts for r in runs]),
            idle_counts=sum(r.idle_counts for r in runs),
            link_packets=sum(r.link_packets for r in runs),
            link_wait_s=np.sum([r.link_wait_s for r in runs], axis=0),
            link_max_queue=np.max([r.link_max_queue for r in runs], axis=0),
            link_overflows=sum(r.link_overflows for r in runs),
            streams=streams,
            outputs=np.concatenate([r.outputs for r in runs]),
            spike_counts=sum(r.spike_counts for r in runs),
            static_power_w=first.static_power_w, tiles_used=first.tiles_used,
            chips_used=first.chips_used, latency_steps=first.latency_steps,
            window=first.window, deepest_offset=first.deepest_offset, tick_s=first.tick_s,
            link_serialisation_s=first.link_serialisation_s, link_kind=first.link_kind,
            mesh_size_x=first.mesh_size_x, split_neurons=first.split_neurons,
        )

    # --- figures -------------------------------------------------------------------------
    @property
    def population_busy_s(self) -> np.ndarray:
        """(P,) busy time of each population: its cores' busy time, shared out by neurons.

        Exact when every core holds one population, as the compiler's mappings do.
        """
        share = self.core_population_neurons / np.maximum(self.core_neurons[:, None], 1)
        return self.core_busy_s @ share

    @property
    def n_images(self) -> int:
        return int(self.image_counts.shape[0])

    @property
    def time_s(self) -> float:
        """Simulated time of the whole run (the streams one after another)."""
        return float(sum(s.duration_s for s in self.streams))

    @property
    def steps(self) -> int:
        return int(sum(len(s.step_end_s) for s in self.streams))

    @property
    def readout_s(self) -> np.ndarray:
        """Per image, when its output is complete, from the start of its stream."""
        return np.concatenate([s.readout_s for s in self.streams])

    @property
    def throughput_inferences_per_s(self) -> float:
        """Images per second with the pipeline full: one image every ``window`` steps.

        A step is *full* when every population holds an image: from the deepest
        population's first window (``deepest_offset``) until the input's last
        (``n_images · window``). Throughput is ``1 / (window × mean length of the full
        steps)`` over all streams, so it does not depend on how long the streams are. A
        stream too short ever to fill the pipeline counts its images over its whole
        duration instead (fill and drain included).
        """
        full_time, full_steps = 0.0, 0
        short_images, short_time = 0, 0.0
        for s in self.streams:
            lo, hi = self.deepest_offset, s.n_images * self.window
            if hi > lo:
                starts = np.concatenate([[0.0], s.step_end_s[:-1]])
                full_time += float(np.sum(s.step_end_s[lo:hi] - starts[lo:hi]))
                full_steps += hi - lo
            else:
                short_images += s.n_images
                short_time += s.duration_s
        if full_steps:
            return full_steps / (self.window * full_time)
        return short_images / short_time

    @property
    def cores_used(self) -> int:
        return len(self.cores)

    def totals(self) -> dict[str, int]:
        """Every count over the whole run (images and idle)."""
        total = self.image_counts.sum(axis=0) + self.idle_counts
        return {k: int(v) for k, v in zip(COUNT_KINDS, total)}

    def per_image(self) -> dict[str, float]:
        """Counts attributed to images, per image."""
        mean = self.image_counts.sum(axis=0) / max(self.n_images, 1)
        return {k: float(v) for k, v in zip(COUNT_KINDS, mean)}

    @property
    def buffer_overflows(self) -> int:
        return int(self.link_overflows.sum())

    @property
    def tick_overruns(self) -> int:
        """Steps whose work outlasted the tick (0 on a barrier chip)."""
        if self.tick_s is None:
            return 0
        return int(sum(np.count_nonzero(s.step_work_s > self.tick_s) for s in self.streams))

    @property
    def max_tick_overrun_s(self) -> float:
        """The longest time a step's work ran past its tick (0 if none)."""
        if self.tick_s is None or not self.streams:
            return 0.0
        return float(max(0.0, max(s.step_work_s.max(initial=0.0) for s in self.streams)
                         - self.tick_s))

    def used_links(self) -> dict[str, np.ndarray]:
        """The links that carried packets: from/to tile (x, y), kind and counts."""
        used = np.flatnonzero(self.link_packets)
        tile, direction = np.divmod(used, 4)
        x, y = tile % self.mesh_size_x, tile // self.mesh_size_x
        step = np.array([(1, 0), (-1, 0), (0, 1), (0, -1)])[direction]
        return {
            "link": used, "from_x": x, "from_y": y, "to_x": x + step[:, 0], "to_y": y + step[:, 1],
            "direction": np.array(DIRECTIONS)[direction],
            "kind": np.array(LINK_KINDS)[self.link_kind[used]],
            "packets": self.link_packets[used],
            "busy_s": self.link_packets[used] * self.link_serialisation_s[used],
            "wait_s": self.link_wait_s[used], "max_queue": self.link_max_queue[used],
            "overflows": self.link_overflows[used],
        }

    def spike_record(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(stream, step, neuron) of every spike, sorted; needs ``record_spikes=True``."""
        if any(s.spikes is None for s in self.streams):
            raise ValueError("this run did not record spikes (record_spikes=False)")
        parts = [np.column_stack([np.full(len(s.spikes), i), s.spikes])  # type: ignore[arg-type]
                 for i, s in enumerate(self.streams)]
        table = np.concatenate(parts) if parts else np.zeros((0, 3), np.int64)
        order = np.lexsort((table[:, 2], table[:, 1], table[:, 0]))
        table = table[order]
        return table[:, 0], table[:, 1], table[:, 2]


def stream_slices(n_images: int, images_per_stream: int = IMAGES_PER_STREAM) -> list[slice]:
    """The streams a run of ``n_images`` is split into."""
    if images_per_stream < 1:
        raise NeurosimError(f"images_per_stream = {images_per_stream} is not positive",
                            fix="use at least 1")
    return [slice(i, min(i + images_per_stream, n_images))
            for i in range(0, n_images, images_per_stream)]


def static_power_w(hw: Hardware, tables: EngineTables) -> float:
    """Chips in use × chip static power + cores in use × core static power."""
    return (tables.chips_used * hw.chip.static_power_chip_w
            + tables.n_cores * hw.chip.static_power_core_w)


def _latency_vector(hw: Hardware) -> np.ndarray:
    c = hw.chip.costs
    return np.array([c.latency_neuron_update_active_s, c.latency_neuron_update_inactive_s,
                     c.latency_spike_gen_s, c.latency_packet_out_s, c.latency_packet_in_s,
                     c.latency_synop_s, hw.chip.noc.router_delay_s], dtype=np.float64)


def _packet_capacity(tables: EngineTables, multicast: bool) -> int:
    """Most packets one pass of a step can carry: every neuron fires once (or every
    partial compartment sends its sum)."""
    return max(tables.n_neurons if multicast else len(tables.dest_core), len(tables.comp_neuron), 1)


def _core_populations(snn: SNN, tables: EngineTables) -> tuple[str, ...]:
    """The populations each core holds neurons or partial compartments ("(partial)") of."""
    names = [p.name for p in snn.populations]
    return tuple("+".join([names[i] for i in np.flatnonzero(whole)]
                          + [f"{names[i]} (partial)" for i in np.flatnonzero(partial)])
                 for whole, partial in zip(tables.core_pop_neurons, tables.core_pop_compartments))


def _poisson_draws(snn: SNN, encoded: np.ndarray, first_image: int) -> np.ndarray:
    """Spikes of a Poisson input population, (images, window, neurons); empty otherwise.

    Drawn by the same function as the functional simulator's, from the images' global
    numbers, so both see the same spikes whatever the stream.
    """
    pop = snn.input
    if pop.dynamics != "poisson":
        return np.zeros((0, 0, 0), dtype=np.bool_)
    ids = np.arange(first_image, first_image + len(encoded))
    seed = int(snn.params.get("seed", 0))
    return np.ascontiguousarray(np.stack(
        [poisson_step(encoded.astype(np.float64), k, pop, ids, seed) for k in range(pop.window)],
        axis=1))


def _run_one(snn: SNN, hw: Hardware, tables: EngineTables, images: np.ndarray, first_image: int,
             record_spikes: bool, record_packets: bool, record_steps: bool = False) -> HardwareRun:
    encoded = np.ascontiguousarray(snn.encode(images), dtype=np.int64)
    n_images = len(images)
    poisson_fire = _poisson_draws(snn, encoded, first_image)
    # One step beyond the events: the output reads its last image's value there.
    n_steps = snn.stream_steps(n_images) + 1
    n_pops = len(snn.populations)
    n_links = len(tables.mesh.next_tile)
    chip = hw.chip
    multicast = bool(chip.core.multicast)
    tick = chip.sync.mode == "tick"
    if record_packets and chip.noc.congestion == "inflight":
        raise NeurosimError("the packet trace holds the link model's times, not those of "
                            "noc.congestion: inflight", where=hw.name,
                            fix="record packets on a chip with noc.congestion: links")
    if tick and not chip.sync.tick_s:
        raise NeurosimError("a tick-synchronised chip needs sync.tick", where=hw.file or hw.name,
                            fix="set sync.tick to the step length")
    packet_capacity = _packet_capacity(tables, multicast)
    if max(tables.mesh.size_x, tables.mesh.size_y) > MAX_SIDE or packet_capacity >= MAX_PACKETS:
        raise NeurosimError(f"a board of {tables.mesh.size_x} × {tables.mesh.size_y} tiles and "
                            f"{packet_capacity:,} packets a step is beyond the engine's packet "
                            f"keys", where=hw.file or hw.name,
                            fix=f"use at most {MAX_SIDE} tiles along x and y")
    core_counts = np.zeros((tables.n_cores, N_KINDS), np.int64)
    core_busy = np.zeros(tables.n_cores, np.float64)
    pop_counts = np.zeros((n_pops, N_KINDS), np.int64)
    image_counts = np.zeros((n_images + 1, N_KINDS), np.int64)
    link_packets = np.zeros(n_links, np.int64)
    link_wait = np.zeros(n_links, np.float64)
    link_max_queue = np.zeros(n_links, np.int64)
    link_overflows = np.zeros(n_links, np.int64)
    step_end = np.zeros(n_steps, np.float64)
    step_work = np.zeros(n_steps, np.float64)
    step_updates = np.zeros((n_steps, 2), np.int64)
    out_v = np.zeros((n_images, snn.output.size), np.int64)
    readout_step = np.zeros(n_images, np.int64)
    spike_count = np.zeros(tables.n_neurons, np.int64)
    step_counts = np.zeros((n_steps if record_steps else 0, tables.n_cores, N_KINDS), np.int64)
    t = tables
    spikes, trace = run_stream(
        NeuronTables(t.pop_of, t.bias, t.pop_dynamics, t.pop_role, t.pop_offset, t.pop_first,
                     t.seq_threshold, t.seq_reset, t.seq_out_weight, t.pop_out_ptr,
                     t.pop_out_proj, t.pop_size, t.pop_model),
        SynapseTables(t.proj_kind, t.proj_geom, t.proj_w_off, t.proj_ptr_off, t.proj_tgt_first,
                      t.proj_tgt_size, t.proj_delay, t.weights, t.csr_ptr, t.csr_idx, t.csr_w,
                      t.ring, t.proj_tgt_pop, t.slot_of),
        RouteTables(t.core_tile, t.core_ptr, t.core_neurons, t.tile_core_ptr, t.tile_cores,
                    t.dest_ptr, t.dest_core, t.dest_nsyn, t.dest_tile, t.src_synapses,
                    t.src_hops, t.tpop_ptr, t.tpop_id, t.tpop_syn, t.seg_ptr, t.seg_start,
                    t.seg_pop, t.tpop_kind, t.pop_out_kind, t.src_kind_syn, t.core_syn_col,
                    t.core_syn_s, t.dest_kind_nsyn, t.dest_syn_s),
        CompartmentTables(t.comp_ptr, t.comp_neuron, t.comp_row, t.comp_home, t.comp_tile,
                          t.comp_hops, t.n_rows, t.proj_src_ptr, t.src_row, t.comp_kind_nsyn,
                          t.comp_syn_s, t.comp_psum, t.row_base, t.row_pop),
        LinkTables(t.mesh.size_x, t.mesh.next_tile, t.mesh.latency_s, t.mesh.serialisation_s),
        ChipBehaviour(_latency_vector(hw), multicast, tick, float(chip.sync.tick_s or 0.0),
                      float(chip.sync.barrier_s(t.tiles_used)), int(chip.noc.buffer_depth_packets),
                      not chip.core.fs_neurons, chip.core.active_update == "nonzero",
                      chip.core.service == "overlapped", chip.core.threshold_compare == "gt",
                      chip.noc.congestion == "inflight"),
        StreamInput(encoded, poisson_fire, snn.window, n_steps, record_spikes, record_packets,
                    packet_capacity, min(2 * packet_capacity, ENTRY_CAPACITY)),
        StreamCounts(core_counts, core_busy, pop_counts, image_counts, link_packets, link_wait,
                     link_max_queue, link_overflows, step_end, step_work, step_updates, out_v,
                     readout_step, spike_count, step_counts),
    )
    readout_index = np.maximum(snn.latency_steps - 1 + np.arange(n_images) * snn.window, 0)
    stream = StreamRecord(
        first_image=first_image, n_images=n_images, step_end_s=step_end, step_work_s=step_work,
        readout_s=step_end[readout_index],
        spikes=spikes if record_spikes else None, packets=trace if record_packets else None,
        step_updates=step_updates,
        step_counts=np.diff(step_counts, axis=0, prepend=0) if record_steps else None)
    return HardwareRun(
        snn_name=snn.name, hardware_name=hw.name, file_hash=hw.file_hash,
        population_names=tuple(p.name for p in snn.populations), cores=t.cores,
        core_neurons=np.diff(t.core_ptr) + np.diff(t.comp_ptr),
        core_populations=_core_populations(snn, t),
        population_cores=np.count_nonzero(t.core_population_neurons, axis=0).astype(np.int64),
        core_population_neurons=t.core_population_neurons,
        core_counts=core_counts, core_busy_s=core_busy, population_counts=pop_counts,
        image_counts=image_counts[:n_images], idle_counts=image_counts[n_images],
        link_packets=link_packets, link_wait_s=link_wait, link_max_queue=link_max_queue,
        link_overflows=link_overflows, streams=(stream,),
        outputs=out_v * snn.output.unit, spike_counts=spike_count,
        static_power_w=static_power_w(hw, t), tiles_used=t.tiles_used, chips_used=t.chips_used,
        latency_steps=snn.latency_steps, window=snn.window,
        deepest_offset=max(p.offset for p in snn.populations),
        tick_s=float(chip.sync.tick_s) if tick else None,
        link_serialisation_s=t.mesh.serialisation_s, link_kind=t.mesh.kind,
        mesh_size_x=t.mesh.size_x, split_neurons=t.split_neurons,
    )


def simulate_hardware(snn: SNN, mapping: CoreMapping, hw: Hardware, images: np.ndarray, *,
                      record_spikes: bool = False, record_packets: bool = False,
                      record_steps: bool = False,
                      images_per_stream: int = IMAGES_PER_STREAM, first_image: int = 0,
                      tables: EngineTables | None = None,
                      n_threads: int | None = None) -> HardwareRun:
    """Stream ``images`` back to back through ``snn`` placed by ``mapping`` on ``hw``.

    The images run as streams of ``images_per_stream`` (each from a reset chip); the
    result is their merge. ``first_image`` is the index of ``images[0]`` in a larger run
    that another worker splits (keep chunk boundaries at multiples of
    ``images_per_stream``). ``record_spikes`` keeps every spike's (step, neuron);
    ``record_packets`` every delivery's timing (for tests and inspection);
    ``record_steps`` each step's event counts per core (:attr:`StreamRecord.step_counts`,
    for ``simulate --trace``). ``tables``
    reuses arrays already built by :func:`~neurosim.engine.tables.build_tables`.
    The streams run on up to ``n_threads`` threads (default :func:`neurosim.threads.threads`);
    each has its own chip state, so the result does not depend on the number.
    """
    images = np.asarray(images)
    if len(images) == 0:
        raise NeurosimError("no images to simulate", fix="pass at least one image")
    tables = tables or build_tables(snn, mapping, hw)

    def run(part: slice) -> HardwareRun:
        return _run_one(snn, hw, tables, images[part], first_image + part.start, record_spikes,
                        record_packets, record_steps)

    runs = map_in_order(run, stream_slices(len(images), images_per_stream), n_threads)
    return runs[0] if len(runs) == 1 else HardwareRun.merge(runs)
