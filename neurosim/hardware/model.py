"""The hardware data model: a board of chips, a chip of tiles, a tile of cores.

Frozen dataclasses in SI units; every name that holds a physical quantity carries its unit
(``energy_synop_j``, ``latency_hop_ew_s``, ``static_power_chip_w``). Reading and writing
YAML lives elsewhere (:mod:`neurosim.hardware.loader`, :mod:`neurosim.hardware.writer`);
these classes only hold values and answer simple questions about them.

What each event costs, and when the simulator charges it:

==========================  ===========================================================
event                       charged
==========================  ===========================================================
synop                       once per synapse that an arriving packet touches, at the
                            cost of its projection's kind (dense, sparse or conv)
neuron update (active)      once per neuron per step in which the neuron has input or
                            state to update
neuron update (inactive)    once per neuron per step otherwise (the core still visits it)
spike generation            once per spike a neuron emits, however many targets it has
packet out                  once per packet a core injects (one per destination core, or
                            one per multicast tree)
packet in                   once per packet a core receives, before its synops
hop (E–W / N–S)             once per packet per router-to-router link it crosses
inter-chip hop              once per packet per chip-to-chip link it crosses
==========================  ===========================================================

Static power is ``chips_in_use × static_power_chip_w + cores_in_use × static_power_core_w``
over the run time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

SyncMode = Literal["barrier", "tick"]
EVIDENCE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "M": "measured on silicon (primary paper)",
        "S": "pre-silicon simulation",
        "V": "vendor document",
        "D": "derived by arithmetic on published values (shown in the note)",
        "C": "third-party silicon-calibrated model",
        "2nd": "read via a secondary source quoting the primary",
        "U": "unverified; check before relying on it",
        "A": "assumed (the note states the assumption)",
    }
)


@dataclass(frozen=True)
class Source:
    """Where one value comes from: the text as written, the citation, an evidence code."""

    value_text: str
    source: str = ""
    evidence: str = ""
    note: str = ""


@dataclass(frozen=True)
class CoreLimits:
    """What one neuro-core can hold, and which features it has natively.

    ``synapse_memory_bits`` is the synaptic memory of the core; ``input_axons`` the number
    of distinct packet addresses it can receive (fan-in slots); ``output_routes`` the number
    of destination (core, axon) routes its neurons can send to (fan-out slots);
    ``routing_table_entries`` the routing entries available to the core.
    ``graded_spike_bits`` is the payload width of a graded spike (0 without graded spikes).
    ``fanin_split``: a neuron with more inputs than ``input_axons`` may have its inputs
    summed in partial compartments on other cores, whose partial sums join it at its home
    core within the step (a dendritic tree across cores). Absent from a file it is false:
    a capability is not assumed that the file does not state, so such a file compiles (and
    refuses) exactly as before the key existed.
    """

    neurons: int
    synapse_memory_bits: int
    input_axons: int
    output_routes: int
    routing_table_entries: int
    weight_bits: int
    potential_bits: int
    fs_neurons: bool  # per-step threshold/reset sequences supported natively
    graded_spikes: bool  # packets may carry a payload (e.g. the FS value d(t))
    multicast: bool
    weight_sharing: bool  # conv kernels stored once per core
    graded_spike_bits: int = 0
    fanin_split: bool = False
    active_update: str = "changed"  # or "nonzero" (SANA-FE); see neurosim.hardware.schema
    service: str = "after_updates"  # or "overlapped" (SANA-FE)
    threshold_compare: str = "ge"  # or "gt" (SANA-FE): an IF neuron fires on v >= θ or v > θ


SYNAPSE_KINDS = ("dense", "sparse", "conv")
"""Projection kinds with their own synapse costs (:mod:`neurosim.compiler.synapse_kinds`)."""


@dataclass(frozen=True)
class EventCosts:
    """Energy (J) and latency (s) of each event a core performs (see the module table).

    ``energy_synop_j`` / ``latency_synop_s`` are the cost of a synapse of the ``dense``
    kind; the ``_sparse`` and ``_conv`` fields those of the other kinds, ``None`` when the
    file does not give them: they then cost what a dense synapse costs
    (:meth:`synop_energy_j`, :meth:`synop_latency_s`).
    """

    energy_synop_j: float
    latency_synop_s: float
    energy_neuron_update_active_j: float
    latency_neuron_update_active_s: float
    energy_neuron_update_inactive_j: float
    latency_neuron_update_inactive_s: float
    energy_spike_gen_j: float
    latency_spike_gen_s: float
    energy_packet_out_j: float
    latency_packet_out_s: float
    energy_packet_in_j: float
    latency_packet_in_s: float
    energy_synop_sparse_j: float | None = None
    latency_synop_sparse_s: float | None = None
    energy_synop_conv_j: float | None = None
    latency_synop_conv_s: float | None = None

    def synop_energy_j(self) -> tuple[float, float, float]:
        """Energy of one synaptic event of each kind of :data:`SYNAPSE_KINDS`."""
        dense = self.energy_synop_j
        return (dense, _or(self.energy_synop_sparse_j, dense), _or(self.energy_synop_conv_j, dense))

    def synop_latency_s(self) -> tuple[float, float, float]:
        """Latency of one synaptic event of each kind of :data:`SYNAPSE_KINDS`."""
        dense = self.latency_synop_s
        return (dense, _or(self.latency_synop_sparse_s, dense),
                _or(self.latency_synop_conv_s, dense))


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


@dataclass(frozen=True)
class NoC:
    """The on-chip mesh: per-hop costs by direction, router delay, links and buffers.

    A packet crossing ``h_ew`` east–west and ``h_ns`` north–south links spends
    ``router_delay_s + h_ew·latency_hop_ew_s + h_ns·latency_hop_ns_s`` in flight when the
    links are free; a link is busy for :attr:`serialisation_s` per packet.
    """

    energy_hop_ew_j: float
    energy_hop_ns_j: float
    latency_hop_ew_s: float
    latency_hop_ns_s: float
    router_delay_s: float
    link_bandwidth_bits_per_s: float
    packet_bits: int
    buffer_depth_packets: int
    routing: str = "xy"
    congestion: str = "links"  # or "inflight" (SANA-FE); see neurosim.hardware.schema

    @property
    def serialisation_s(self) -> float:
        """Time a link is occupied by one packet: packet_bits / link bandwidth."""
        return self.packet_bits / self.link_bandwidth_bits_per_s


@dataclass(frozen=True)
class Sync:
    """How steps are separated in time.

    ``barrier``: a step ends when the last core and packet are done, plus
    :meth:`barrier_s` for the tiles in use. ``tick``: every step lasts ``tick_s``.
    With ``barrier_lookup == "interpolate"`` the barrier table is piecewise linear in the
    number of tiles and flat beyond its ends; with ``"step"`` (SANA-FE's reading) it is the
    entry of the largest tile count ≤ the tiles in use (the first entry below the table).
    """

    mode: SyncMode
    barrier_s_by_tiles: tuple[tuple[int, float], ...] = ()
    tick_s: float | None = None
    barrier_lookup: str = "interpolate"

    def barrier_s(self, tiles_in_use: int) -> float:
        """Barrier time for ``tiles_in_use`` tiles, read from the table (0 if empty)."""
        table = self.barrier_s_by_tiles
        if not table:
            return 0.0
        tiles = [t for t, _ in table]
        if tiles_in_use <= tiles[0]:
            return table[0][1]
        i = bisect_right(tiles, tiles_in_use)
        if self.barrier_lookup == "step":
            return table[i - 1][1]
        if tiles_in_use >= tiles[-1]:
            return table[-1][1]
        (t0, s0), (t1, s1) = table[i - 1], table[i]
        return s0 + (s1 - s0) * (tiles_in_use - t0) / (t1 - t0)


@dataclass(frozen=True)
class Chip:
    """A chip: a ``mesh_x × mesh_y`` mesh of tiles, each with ``cores_per_tile`` cores.

    ``clock_hz`` is ``None`` for an asynchronous (clockless) design such as Loihi or
    TrueNorth: all latencies are in seconds, so no model value depends on it.
    """

    mesh_x: int
    mesh_y: int
    cores_per_tile: int
    clock_hz: float | None
    core: CoreLimits
    costs: EventCosts
    noc: NoC
    sync: Sync
    static_power_chip_w: float  # per chip in use
    static_power_core_w: float  # per core in use

    @property
    def tiles(self) -> int:
        return self.mesh_x * self.mesh_y

    @property
    def cores(self) -> int:
        return self.tiles * self.cores_per_tile


@dataclass(frozen=True)
class Board:
    """Chips in a ``chips_x × chips_y`` grid joined by inter-chip links (XY routed)."""

    chips_x: int
    chips_y: int
    energy_interchip_hop_j: float
    latency_interchip_hop_s: float
    interchip_bandwidth_bits_per_s: float

    @property
    def chips(self) -> int:
        return self.chips_x * self.chips_y


@dataclass(frozen=True)
class Hardware:
    """A described system: one board of identical chips, and where every value came from.

    ``sources`` maps a key path of the YAML schema (``"costs.energy_synop"``) to its
    :class:`Source`; ``overrides`` lists the ``key=value`` settings applied on top of the
    file. Neither takes part in equality: two descriptions with the same numbers are equal.
    """

    name: str
    description: str
    file: str
    file_hash: str
    board: Board
    chip: Chip
    overrides: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    sources: Mapping[str, Source] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )

    # A read-only mapping does not pickle; worker processes (neurosim.executors) need to.
    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "sources": dict(self.sources)}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state, sources=MappingProxyType(dict(state["sources"])))  # type: ignore[call-overload]

    def with_values(self, values: Mapping[str, Any]) -> Hardware:
        """This description with ``values`` set on top of its file and earlier overrides.

        Keys and values are those of ``--set``: ``{"core.neurons": 256,
        "costs.energy_synop": "30 pJ"}``. The result is validated exactly as a file is
        (a bad key or value raises :class:`~neurosim.errors.NeurosimError`), and its
        ``overrides`` and ``sources`` say what was changed. (``dataclasses.replace`` would
        skip all of that.)
        """
        from neurosim.hardware.loader import load_hardware, parse_override

        merged = dict(parse_override(f"{key}={text}") for key, text in self.overrides)
        merged.update(values)
        return load_hardware(self.file, merged)

    @property
    def total_chips(self) -> int:
        return self.board.chips

    @property
    def total_tiles(self) -> int:
        return self.board.chips * self.chip.tiles

    @property
    def total_cores(self) -> int:
        return self.board.chips * self.chip.cores

    @property
    def total_neurons(self) -> int:
        return self.total_cores * self.chip.core.neurons
