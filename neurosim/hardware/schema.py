"""The YAML schema of a hardware file: every key path, what it holds, and its dataclass field.

A file has two top-level texts (``name``, ``description``) and six sections::

    board:  chips_x, chips_y, energy_interchip_hop, latency_interchip_hop, interchip_bandwidth
    chip:   mesh_x, mesh_y, cores_per_tile, clock, static_power_chip, static_power_core
    core:   neurons, synapse_memory, input_axons, output_routes, routing_table_entries,
            weight_bits, potential_bits, fs_neurons, graded_spikes, graded_spike_bits,
            multicast, weight_sharing, fanin_split, active_update, service,
            threshold_compare
    costs:  energy_/latency_ × synop, synop_sparse, synop_conv, neuron_update_active,
            neuron_update_inactive, spike_gen, packet_out, packet_in
    noc:    energy_hop_ew, energy_hop_ns, latency_hop_ew, latency_hop_ns, router_delay,
            link_bandwidth, packet_bits, buffer_depth, routing, congestion
    sync:   mode, barrier, barrier_lookup, tick

Five optional keys are *rules* rather than numbers (absent = neurosim's own rule, which
every shipped chip uses, so their results are unchanged):

``core.active_update``
    which neuron updates are charged as active: ``changed`` (the update changed the
    potential or the pending input, or the neuron fired; a neuron is only visited inside
    its population's windows) or ``nonzero`` (SANA-FE's rule: the potential is non-zero,
    input arrived or the bias is non-zero, and this is charged at every step, also outside
    the windows, where the neuron is still visited and charged as active or inactive).
``core.service``
    ``after_updates`` (a core serves arriving packets only after all its own neuron
    updates of the step) or ``overlapped`` (SANA-FE: a core serves packets while it updates
    its neurons, so its time in a step is the larger of the two, not their sum).
``core.threshold_compare``
    how an integrate-and-fire neuron (``if`` dynamics: the rate code and the leaky models)
    compares its potential with its threshold: ``ge`` fires on ``v ≥ θ`` (neurosim's rule),
    ``gt`` on ``v > θ`` (SANA-FE's). It changes spikes, so the functional run that stands
    for the chip (accuracy, the compiler's traffic estimate) uses the chip's rule too
    (:meth:`neurosim.snn.network.SNN.with_threshold_compare`). FS and TTFS neurons compare
    ``v > T(k)`` on either setting: their code fits T to that rule.
``noc.congestion``
    how packets that contend for the network are timed: ``links`` (each link serves its
    packets first come, first served, one serialisation time each; queues are unbounded)
    or ``inflight`` (SANA-FE's estimate: a packet's delay is the mean service time of the
    packets in flight times the density of in-flight packets along its path, and a sender
    blocks when that density exceeds ``noc.buffer_depth`` per segment; unicast chips only;
    docs/chip-rules.md gives the formulas).
``sync.barrier_lookup``
    ``interpolate`` (linear between table entries, flat beyond) or ``step`` (SANA-FE: the
    entry with the largest tile count ≤ the tiles in use; the first entry below it).

The synapse costs come by *projection kind*, which the compiler chooses per projection
(:mod:`neurosim.compiler.synapse_kinds`): ``dense`` (a dense projection stored as its
full weight matrix: ``costs.*_synop``), ``sparse`` (a projection stored as indexed
synapses: ``costs.*_synop_sparse``) and ``conv`` (a convolution whose kernel a core with
``core.weight_sharing`` stores once: ``costs.*_synop_conv``). An absent kind key costs what
``costs.*_synop`` costs (one figure for every kind, as before the keys existed).

A key path (``costs.energy_synop``) is also the name of an override (``--set``). The
dataclass field is the key plus its SI unit (``energy_synop_j``). Each value is either
bare (``23.6 pJ``) or ``{value: 23.6 pJ, source: ..., evidence: S, note: ...}``.
"""

from __future__ import annotations

from dataclasses import dataclass

from neurosim.hardware import units

# Kinds of value. Quantities use the dimension names of neurosim.hardware.units.
COUNT = "count"  # integer >= 1
COUNT0 = "count0"  # integer >= 0
FLAG = "flag"  # true / false
TEXT = "text"  # a string
CHOICE = "choice"  # one string of `choices`
CLOCK = "clock"  # a frequency, or "asynchronous"
TABLE = "table"  # barrier times by tiles in use
OPTIONAL_TIME = "optional_time"  # a positive time, or absent

ASYNCHRONOUS = "asynchronous"
SECTIONS = ("board", "chip", "core", "costs", "noc", "sync")
TOP_LEVEL_TEXTS = ("name", "description")
VALUE_KEYS = ("value", "source", "evidence", "note")


@dataclass(frozen=True)
class Key:
    """One key of the schema.

    ``minimum``: ``"positive"`` (> 0) or ``"nonnegative"`` (>= 0) for quantities.
    ``required``: whether the file must have it (conditional keys are checked later).
    """

    path: str
    field: str
    kind: str
    doc: str
    minimum: str = "nonnegative"
    required: bool = True
    choices: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.path.split(".", 1)[-1]

    def expected(self) -> str:
        """What a value of this key looks like, for messages."""
        if self.kind == COUNT:
            return "a whole number of at least 1"
        if self.kind == COUNT0:
            return "a whole number of at least 0"
        if self.kind == FLAG:
            return "true or false"
        if self.kind == TEXT:
            return "a text"
        if self.kind == CHOICE:
            return "one of " + ", ".join(self.choices)
        if self.kind == CLOCK:
            return f"{units.describe(units.FREQUENCY)}, or '{ASYNCHRONOUS}'"
        if self.kind == TABLE:
            return "barrier times by tiles in use, such as {1: 113 ns, 32: 465 ns}"
        if self.kind == OPTIONAL_TIME:
            return units.describe(units.TIME)
        text = units.describe(self.kind)
        return "a positive " + text.split(" ", 1)[1] if self.minimum == "positive" else text


def _q(path: str, kind: str, doc: str, minimum: str = "nonnegative", **kw: object) -> Key:
    suffix = {
        units.ENERGY: "_j",
        units.TIME: "_s",
        units.POWER: "_w",
        units.FREQUENCY: "_hz",
        units.BITS: "_bits",
        units.BANDWIDTH: "_bits_per_s",
    }[kind]
    return Key(path, path.split(".", 1)[1] + suffix, kind, doc, minimum, **kw)  # type: ignore[arg-type]


def _c(path: str, doc: str, kind: str = COUNT, field: str | None = None) -> Key:
    return Key(path, field or path.split(".", 1)[1], kind, doc)


E, T = units.ENERGY, units.TIME

KEYS: tuple[Key, ...] = (
    Key("name", "name", TEXT, "short name of the hardware model"),
    Key("description", "description", TEXT, "one line saying what it is"),
    # board
    _c("board.chips_x", "chips across the board grid"),
    _c("board.chips_y", "chips down the board grid"),
    _q("board.energy_interchip_hop", E, "energy of one packet crossing one chip-to-chip link"),
    _q("board.latency_interchip_hop", T, "latency of one chip-to-chip link crossing"),
    _q(
        "board.interchip_bandwidth",
        units.BANDWIDTH,
        "bandwidth of one chip-to-chip link",
        "positive",
    ),
    # chip
    _c("chip.mesh_x", "tiles across the on-chip mesh"),
    _c("chip.mesh_y", "tiles down the on-chip mesh"),
    _c("chip.cores_per_tile", "neuro-cores sharing one router"),
    Key("chip.clock", "clock_hz", CLOCK, "core clock; 'asynchronous' for clockless designs"),
    _q("chip.static_power_chip", units.POWER, "static power of each chip in use"),
    _q("chip.static_power_core", units.POWER, "static power of each core in use"),
    # core
    _c("core.neurons", "neurons per core"),
    _q("core.synapse_memory", units.BITS, "synaptic memory per core", "positive"),
    _c("core.input_axons", "input axons (fan-in slots) per core"),
    _c("core.output_routes", "output routes (fan-out slots) per core"),
    _c("core.routing_table_entries", "routing table entries per core"),
    _c("core.weight_bits", "synaptic weight width"),
    _c("core.potential_bits", "membrane potential width"),
    _c("core.fs_neurons", "per-step threshold/reset sequences natively", FLAG),
    _c("core.graded_spikes", "spike packets carry a payload", FLAG),
    Key(
        "core.graded_spike_bits",
        "graded_spike_bits",
        COUNT0,
        "payload width of a graded spike (0 without)",
        required=False,
    ),
    _c("core.multicast", "one packet reaches several cores along a tree", FLAG),
    _c("core.weight_sharing", "convolution kernels stored once per core", FLAG),
    Key(
        "core.fanin_split",
        "fanin_split",
        FLAG,
        "a neuron's inputs may be split over partial compartments on other cores (default false)",
        required=False,
    ),
    Key(
        "core.active_update",
        "active_update",
        CHOICE,
        "which neuron updates count as active (default changed)",
        required=False,
        choices=("changed", "nonzero"),
    ),
    Key(
        "core.threshold_compare",
        "threshold_compare",
        CHOICE,
        "an integrate-and-fire neuron fires on v >= threshold (ge) or v > threshold (gt); default ge",
        required=False,
        choices=("ge", "gt"),
    ),
    Key(
        "core.service",
        "service",
        CHOICE,
        "packets served after the neuron updates, or overlapped with them (default after_updates)",
        required=False,
        choices=("after_updates", "overlapped"),
    ),
    # costs
    _q("costs.energy_synop", E, "per synapse touched by an arriving packet (dense kind)"),
    _q("costs.latency_synop", T, "per synapse touched by an arriving packet (dense kind)"),
    _q("costs.energy_synop_sparse", E, "per synapse of a sparse projection (default: energy_synop)",
       required=False),
    _q("costs.latency_synop_sparse", T, "per synapse of a sparse projection (default: latency_synop)",
       required=False),
    _q("costs.energy_synop_conv", E, "per synapse of a shared-kernel convolution (default: "
       "energy_synop)", required=False),
    _q("costs.latency_synop_conv", T, "per synapse of a shared-kernel convolution (default: "
       "latency_synop)", required=False),
    _q("costs.energy_neuron_update_active", E, "per neuron-step with input or state"),
    _q("costs.latency_neuron_update_active", T, "per neuron-step with input or state"),
    _q("costs.energy_neuron_update_inactive", E, "per idle neuron-step"),
    _q("costs.latency_neuron_update_inactive", T, "per idle neuron-step"),
    _q("costs.energy_spike_gen", E, "per spike emitted"),
    _q("costs.latency_spike_gen", T, "per spike emitted"),
    _q("costs.energy_packet_out", E, "per packet a core sends"),
    _q("costs.latency_packet_out", T, "per packet a core sends"),
    _q("costs.energy_packet_in", E, "per packet a core receives"),
    _q("costs.latency_packet_in", T, "per packet a core receives"),
    # noc
    _q("noc.energy_hop_ew", E, "per packet per east-west link"),
    _q("noc.energy_hop_ns", E, "per packet per north-south link"),
    _q("noc.latency_hop_ew", T, "per packet per east-west link"),
    _q("noc.latency_hop_ns", T, "per packet per north-south link"),
    _q("noc.router_delay", T, "per packet, once, besides the per-hop latency"),
    _q("noc.link_bandwidth", units.BANDWIDTH, "bandwidth of one mesh link", "positive"),
    _c("noc.packet_bits", "bits of one spike packet"),
    _c("noc.buffer_depth", "packets a router input buffer holds", field="buffer_depth_packets"),
    Key("noc.routing", "routing", CHOICE, "routing algorithm", required=False, choices=("xy",)),
    Key(
        "noc.congestion",
        "congestion",
        CHOICE,
        "contention timed per link first come first served (links) or by SANA-FE's in-flight "
        "estimate (inflight); default links",
        required=False,
        choices=("links", "inflight"),
    ),
    # sync
    Key("sync.mode", "mode", CHOICE, "how steps are separated", choices=("barrier", "tick")),
    Key(
        "sync.barrier", "barrier_s_by_tiles", TABLE, "barrier time by tiles in use", required=False
    ),
    Key(
        "sync.barrier_lookup",
        "barrier_lookup",
        CHOICE,
        "how the barrier table is read (default interpolate)",
        required=False,
        choices=("interpolate", "step"),
    ),
    Key("sync.tick", "tick_s", OPTIONAL_TIME, "fixed step length", "positive", required=False),
)

KEYS_BY_PATH: dict[str, Key] = {k.path: k for k in KEYS}
KEYS_BY_SECTION: dict[str, tuple[Key, ...]] = {
    s: tuple(k for k in KEYS if k.section == s) for s in SECTIONS
}
