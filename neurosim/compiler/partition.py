"""Splitting each population into blocks that fit one core on every limit.

Populations are split from the output back to the input, so that when a population is
split the blocks of all its targets are known, and with them each neuron's destinations
``D(n)`` and its output routes (:mod:`neurosim.compiler.route`). A block holds neurons of
one population and occupies one core.

*Feature maps* (populations of shape (C, H, W)) are tiled by channel groups × rectangles
of rows and columns. A source neuron of a convolution reaches only the tiles whose
rectangle overlaps its projective field, so spatial tiles keep each spike's packets few,
while a split into contiguous index ranges (whole channels) sends every spike to every
block. Among the tilings that fit, the one with the fewest blocks wins, then (within
:data:`BLOCK_SLACK` more blocks) the one with the fewest expected incoming packets; the
packets are estimated from the sources' spike counts and the tiles each source reaches.
Other populations are split into contiguous ranges, greedily and then rebalanced.

Resources are counted as in :mod:`neurosim.compiler.usage`. Tilings are screened with
exact per-neuron sums and an upper bound on input axons, then checked exactly.

A population with a neuron wider than ``core.input_axons`` is split by source groups
(:mod:`neurosim.compiler.fanin`) on a chip with ``core.fanin_split``: its home blocks and
the partial blocks of each group are contiguous ranges; otherwise it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import pairwise
from types import SimpleNamespace

import numpy as np

from neurosim.compiler.fanin import group_kernel_weights, source_cuts
from neurosim.compiler.keys import distinct, group_sum
from neurosim.compiler.mapping import Block
from neurosim.compiler.pairs import unit_pairs
from neurosim.compiler.route import (
    Fanout,
    count_pairs,
    merge_pairs,
    route_usage,
    set_hashes,
)
from neurosim.compiler.rows import (
    AxonReach,
    Rows,
    concat_rows,
    distinct_per_row,
    group_members,
    mark_sources,
    projection_rows,
    range_axons,
    rows_unit_pairs,
)
from neurosim.compiler.usage import (
    LIMIT_LABELS,
    Usage,
    conv_fanin_counts,
    kernel_slice_weights,
)
from neurosim.errors import NeurosimError
from neurosim.hardware.model import CoreLimits, Hardware
from neurosim.snn.connectivity import conv_output_shape
from neurosim.snn.network import SNN, Population

# A tiling may use this fraction more blocks than the fewest possible if it cuts packets.
BLOCK_SLACK = 0.125


@dataclass(frozen=True, eq=False)
class Partition:
    """Blocks of every population (``Block.core`` is the block's index), in population order.

    ``block_of_neuron`` gives each neuron's (home) block (network-wide numbering),
    ``fanout`` the destination blocks of every neuron and ``usage`` what each block costs
    its core. ``fanin_groups`` are the source cuts of the split populations and
    ``partial_traffic`` the expected partial-sum packets per image between blocks
    (source block, home block, packets).
    """

    blocks: tuple[Block, ...]
    block_of_neuron: np.ndarray
    fanout: Fanout
    usage: Usage
    fanin_groups: dict[str, tuple[int, ...]] = field(default_factory=dict)
    partial_traffic: tuple[np.ndarray, np.ndarray, np.ndarray] = (
        np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))

    @property
    def n_blocks(self) -> int:
        return len(self.blocks)


@dataclass(eq=False)
class _Pop:
    """What splitting one population needs to know, per neuron (population-local)."""

    pop: Population
    first: int
    # (projection, its synapses by target, network-wide sources); (projection, None) until
    # a step needs the synapse list (see _expand): most populations are split without it.
    incoming: list[tuple[object, Rows | None]]
    explicit_bits: np.ndarray    # weights stored per neuron, in bits (shared kernels apart)
    kernel_bits: int             # bits per output channel of shared kernels (weight sharing)
    fanin: np.ndarray            # distinct source neurons per neuron
    routes: np.ndarray           # output routes per neuron
    set_hash: np.ndarray         # hash of each neuron's destination set (multicast)
    fan: Fanout                  # D(n) by block, population-local sources
    local: np.ndarray | None = None  # the neurons covered (partial compartments), else all
    snn: SNN | None = None           # the network, to expand synapse lists on demand

    @property
    def size(self) -> int:
        return self.pop.size if self.local is None else len(self.local)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.pop.shape if self.local is None else (self.size,)

    @property
    def name(self) -> str:
        return self.pop.name


def partition(snn: SNN, hw: Hardware, spikes: np.ndarray | None = None) -> Partition:
    """Blocks of ``snn`` that each fit one core of ``hw``.

    ``spikes`` (expected spikes per neuron, network-wide) weighs the tiling choice; by
    default every neuron counts one spike.
    """
    core = hw.chip.core
    spikes = np.ones(snn.n_neurons) if spikes is None else np.asarray(spikes, dtype=np.float64)
    pairs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    found: dict[str, list[tuple[np.ndarray, str]]] = {}
    base: dict[str, int] = {}
    local_usage: dict[str, Usage] = {}
    next_id = 0
    cuts_of: dict[str, tuple[int, ...]] = {}
    traffic: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for pop in reversed(snn.populations):
        info = _describe(snn, hw, pop, pairs)
        split = None
        if core.fanin_split and len(info.fanin) and info.fanin.max() > core.input_axons:
            split = _split(snn, hw, info, spikes)
        else:
            _check_single_neurons(info, core, hw.name)
            result = None
            if len(pop.shape) == 3:
                result = _tile(snn, info, core, spikes)
            if result is None:
                result = _ranges(info, core)
            local_block, labels, usage, parts = result
            entries = [(neurons, label, 0) for neurons, label in _members(local_block, labels)]
            if _crowded_by_axons(info, core, len(labels)):
                split = _split_if_fewer(snn, hw, info, spikes, len(labels))
        if split is not None:
            entries, usage, parts, (t_src, t_dst, t_pk), cuts = split
            cuts_of[pop.name] = tuple(int(c) for c in cuts)
            traffic.append((t_src + next_id, t_dst + next_id, t_pk))
        found[pop.name] = entries
        base[pop.name] = next_id
        local_usage[pop.name] = usage
        for name, (src, unit, count) in parts.items():
            pairs[name] = (src, unit + next_id, count)
        next_id += len(entries)
    # Number the blocks in population order (input first) rather than the order found.
    renumber = np.zeros(next_id, dtype=np.int64)
    blocks: list[Block] = []
    block_of_neuron = np.zeros(snn.n_neurons, dtype=np.int64)
    for pop in snn.populations:
        start = len(blocks)
        for i, (neurons, label, group) in enumerate(found[pop.name]):
            renumber[base[pop.name] + i] = start + i
            blocks.append(Block(pop.name, neurons.astype(np.int64), start + i, label, group=group))
            if group == 0:
                block_of_neuron[snn.first_neuron(pop.name) + neurons] = start + i
    parts_list = [(s, renumber[u], c) for s, u, c in pairs.values()]
    fan = merge_pairs(parts_list, snn.n_neurons, next_id)
    usage = _concat([local_usage[p.name] for p in snn.populations])
    if traffic:
        partial_traffic = tuple(np.concatenate(a) for a in zip(*traffic))
        partial_traffic = (renumber[partial_traffic[0]], renumber[partial_traffic[1]],
                           partial_traffic[2])
    else:
        partial_traffic = Partition.__dataclass_fields__["partial_traffic"].default
    return Partition(tuple(blocks), block_of_neuron, fan, usage, cuts_of, partial_traffic)


# A population whose blocks are this many times more than its neurons need, because
# neighbouring neurons' inputs together overflow the input axons, is also tried split.
CROWDING = 4


def _crowded_by_axons(info: _Pop, core: CoreLimits, n_blocks: int) -> bool:
    """Fan-in near the axon limit packed the population into far more blocks than its
    neurons need (in the limit one neuron per core): a fan-in split may pack it better."""
    return bool(core.fanin_split and len(info.fanin) and 2 * info.fanin.max() > core.input_axons
                and n_blocks > CROWDING * -(-info.size // core.neurons))


def _split_if_fewer(snn: SNN, hw: Hardware, info: _Pop, spikes: np.ndarray, n_blocks: int):
    """:func:`_split` of ``info`` if it needs fewer blocks than ``n_blocks``, else None."""
    core = hw.chip.core
    rows = [r for _, r in _expand(info)]
    sources = mark_sources(rows, snn.n_neurons)
    if len(sources) <= core.input_axons:
        return None  # every block could read all the sources: nothing to split
    cuts = source_cuts(sources, core.input_axons)
    if cuts is None:
        return None  # _split would refuse it
    # A lower bound on the split's blocks: the home blocks hold every neuron, the partial
    # blocks of group g every neuron with a synapse from g. No fewer blocks: no split.
    member = group_members(rows, cuts)
    held = np.concatenate([[info.size], member[:, 1:].sum(axis=0)])
    if int(np.sum(-(-held // core.neurons))) >= n_blocks:
        return None
    try:
        split = _split(snn, hw, info, spikes)
    except NeurosimError:
        return None
    return split if len(split[0]) < n_blocks else None


def _members(local_block: np.ndarray, labels: list[str]) -> list[tuple[np.ndarray, str]]:
    """The neurons of each local block, with its label."""
    order = np.argsort(local_block, kind="stable")
    bounds = np.searchsorted(local_block[order], np.arange(len(labels) + 1))
    return [(order[bounds[i]:bounds[i + 1]], labels[i]) for i in range(len(labels))]


def _concat(parts: list[Usage]) -> Usage:
    return Usage(*(np.concatenate([getattr(u, n) for u in parts]) for n in Usage.limits()))


# --- per-population facts -----------------------------------------------------------------

def _expand(info: _Pop) -> list[tuple[object, Rows]]:
    """``info.incoming`` with every synapse listed by target (network-wide sources), kept."""
    if any(rows is None for _, rows in info.incoming):
        snn = info.snn
        assert snn is not None
        info.incoming = [(proj, projection_rows(proj, snn.population(proj.source).shape,
                                                snn.first_neuron(proj.source))
                          if rows is None else rows) for proj, rows in info.incoming]
    return info.incoming  # type: ignore[return-value]


def _n_ids(rows: Rows) -> int:
    """One more than the highest source id of ``rows`` (the size of a stamp array)."""
    return int(rows.src.max(initial=-1)) + 1


def _distinct_sources(incoming: list) -> bool:
    """No two projections in read the same population, so their (source, target) and
    (source, unit) pairs are disjoint."""
    sources = [getattr(proj, "source", None) for proj, _ in incoming]
    return None not in sources and len(set(sources)) == len(sources)


def _describe(snn: SNN, hw: Hardware, pop: Population,
              pairs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> _Pop:
    core = hw.chip.core
    first = snn.first_neuron(pop.name)
    incoming: list = []
    explicit = np.zeros(pop.size, dtype=np.int64)
    synapses_in = np.zeros(pop.size, dtype=np.int64)
    kernel_weights = 0
    for proj in snn.incoming(pop.name):
        incoming.append((proj, None))
        if proj.kind == "conv":
            # One tap joins a given source and target: non-zero synapses = distinct sources.
            counts = conv_fanin_counts(proj, snn.population(proj.source).shape)
        else:
            counts = np.count_nonzero(proj.weight, axis=1).astype(np.int64)
        synapses_in += counts
        if proj.kind == "conv" and core.weight_sharing:
            kernel_weights += kernel_slice_weights(proj)
        else:
            explicit += counts
    info = _Pop(pop, first, incoming, np.zeros(0), 0, np.zeros(0), np.zeros(0), np.zeros(0),
                Fanout(np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)),
                snn=snn)
    if not incoming or _distinct_sources(incoming):
        fanin = synapses_in
    else:  # two projections from one population may share (source, target) pairs
        fanin = distinct_per_row(concat_rows([r for _, r in _expand(info)]), snn.n_neurons)
    # Destinations: the targets are split already; their pairs carry global block ids.
    out = [pairs[q.name] for q in snn.outgoing(pop.name)]
    n_units = 1 + max((int(u.max(initial=-1)) for _, u, _ in out), default=0)
    fan = merge_pairs([(s - first, u, c) for s, u, c in out], pop.size, n_units)
    counts = fan.counts()
    routes = (counts > 0).astype(np.int64) if core.multicast else counts.astype(np.int64)
    return replace(info, explicit_bits=explicit * core.weight_bits,
                   kernel_bits=kernel_weights * core.weight_bits, fanin=fanin, routes=routes,
                   set_hash=set_hashes(fan), fan=fan)


def _check_single_neurons(info: _Pop, core: CoreLimits, hw_name: str = "") -> None:
    """A neuron that alone exceeds a limit cannot be placed anywhere: say which and why."""
    where = f"population {info.name!r}"
    if len(info.fanin) and info.fanin.max() > core.input_axons and not core.fanin_split:
        n = int(np.argmax(info.fanin))
        raise NeurosimError(
            f"neuron {n} alone needs {int(info.fanin[n]):,} input axons (its fan-in), more "
            f"than the {core.input_axons:,} of one core, and hardware {hw_name!r} does not "
            f"split fan-in (core.fanin_split is false)", where=where,
            fix="use a chip whose cores split fan-in (--set core.fanin_split=true), one with "
                "more input axons per core (--set core.input_axons=N), or a layer with fewer "
                "inputs per neuron")
    checks = [
        ("input_axons", info.fanin, "use a chip with more input axons per core "
         "(--set core.input_axons=N) or a layer with fewer inputs per neuron"),
        ("synapse_memory_bits", info.explicit_bits + info.kernel_bits,
         "use a chip with more synapse memory per core (--set core.synapse_memory=...) or "
         "fewer weight bits"),
        ("output_routes", info.routes, "use a chip with more output routes, multicast, or "
         "larger cores so that the targets need fewer cores"),
        ("routing_table_entries", np.minimum(info.routes, 1) if core.multicast else info.routes,
         "use a chip with more routing table entries, multicast, or larger cores"),
    ]
    for limit, per_neuron, fix in checks:
        cap = getattr(core, limit)
        if len(per_neuron) and per_neuron.max() > cap:
            n = int(np.argmax(per_neuron))
            raise NeurosimError(
                f"neuron {n} alone needs {int(per_neuron[n]):,} {_unit(limit)}, more than the "
                f"{cap:,} of one core, so it fits no core", where=where, fix=fix)
    if core.neurons < 1:
        raise NeurosimError("the cores hold no neurons", where=where, fix="set core.neurons >= 1")


def _unit(limit: str) -> str:
    return {"synapse_memory_bits": "bits of synapse memory"}.get(limit, LIMIT_LABELS[limit])


def _exact(info: _Pop, core: CoreLimits, local_block: np.ndarray, n_blocks: int,
           channels_per_block: np.ndarray | None
           ) -> tuple[Usage, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Exact usage of the blocks, and the (source, block, synapses) pairs of each projection in."""
    parts = {}
    for proj, rows in info.incoming:
        if rows is None:  # counted from the projection itself, without a synapse list
            snn = info.snn
            assert snn is not None
            s, u, c = unit_pairs(proj, snn.population(proj.source).shape, local_block, n_blocks)
            parts[proj.name] = (s + snn.first_neuron(proj.source), u, c)
        else:
            parts[proj.name] = rows_unit_pairs(rows, local_block)
    if _distinct_sources(info.incoming):
        axons = sum((np.bincount(u, minlength=n_blocks) for _, u, _ in parts.values()),
                    np.zeros(n_blocks, dtype=np.int64))
    else:
        # Two projections from one population may reach a block from the same source neuron.
        keys = distinct(np.concatenate([s * n_blocks + u for s, u, _ in parts.values()]
                                       or [np.zeros(0, dtype=np.int64)]))
        axons = np.bincount(keys % n_blocks, minlength=n_blocks)
    memory = np.bincount(local_block, weights=info.explicit_bits, minlength=n_blocks).astype(np.int64)
    if info.kernel_bits:
        memory += channels_per_block * info.kernel_bits
    routes, entries = route_usage(info.fan, local_block, n_blocks, core.multicast)
    usage = Usage(
        neurons=np.bincount(local_block, minlength=n_blocks).astype(np.int64),
        synapse_memory_bits=memory,
        input_axons=np.asarray(axons, dtype=np.int64),
        output_routes=routes,
        routing_table_entries=entries,
    )
    return usage, parts


def _fits(usage: Usage, core: CoreLimits) -> bool:
    return not usage.violations(core)


# --- feature maps: channel groups × rectangles --------------------------------------------

def _extents(n: int) -> np.ndarray:
    """Distinct block extents ``ceil(n / k)`` for k = 1..n, largest first."""
    k = np.arange(1, n + 1)
    return np.unique(-(-n // k))[::-1]


def _edges(n: int, step: int) -> np.ndarray:
    return np.append(np.arange(0, n, step), n)


def _block_sums(prefix: np.ndarray, ce: np.ndarray, re: np.ndarray, we: np.ndarray) -> np.ndarray:
    """Sums over every block of a tiling from a (Q, C+1, H+1, W+1) prefix-sum array."""
    d = prefix[:, ce][:, :, re][:, :, :, we]
    return np.diff(np.diff(np.diff(d, axis=1), axis=2), axis=3)


def _span(out_lo: np.ndarray, out_hi: np.ndarray, size: int, kernel: int, stride: int,
          pad: int) -> np.ndarray:
    """Input positions read by output positions [out_lo, out_hi] (inclusive), per range."""
    lo = np.maximum(0, out_lo * stride - pad)
    hi = np.minimum(size - 1, out_hi * stride - pad + kernel - 1)
    return np.maximum(0, hi - lo + 1)


def _reach(size: int, out_size: int, kernel: int, stride: int, pad: int, step: int) -> np.ndarray:
    """For each input position: how many output ranges of length ``step`` it feeds."""
    i = np.arange(size)
    lo = np.maximum(0, -(-(i + pad - kernel + 1) // stride))
    hi = np.minimum(out_size - 1, (i + pad) // stride)
    return np.where(lo <= hi, hi // step - lo // step + 1, 0)


def _tile(snn: SNN, info: _Pop, core: CoreLimits, spikes: np.ndarray):
    """The best channel-group × rectangle tiling that fits, or None."""
    c, h, w = info.pop.shape
    cg, rh, rw = (a.ravel() for a in np.meshgrid(_extents(c), _extents(h), _extents(w),
                                                 indexing="ij"))
    # A block of the first channel group stores cg shared kernel slices at least: a
    # tiling whose group is over the synapse memory by that alone fails the screen.
    keep = (cg * rh * rw <= core.neurons) & (cg * info.kernel_bits <= core.synapse_memory_bits)
    cg, rh, rw = cg[keep], rh[keep], rw[keep]
    n_blocks = (-(-c // cg)) * (-(-h // rh)) * (-(-w // rw))
    # Fewest blocks first; then whole channels and square tiles (smaller projective fields).
    order = np.lexsort((np.abs(rh - rw), -cg, n_blocks))
    per_neuron = np.stack([info.explicit_bits, info.routes, info.fanin]).reshape(3, c, h, w)
    prefix = np.zeros((3, c + 1, h + 1, w + 1), dtype=np.int64)
    prefix[:, 1:, 1:, 1:] = per_neuron.cumsum(1).cumsum(2).cumsum(3)
    conv_in = [(p, snn.population(p.source).shape) for p, _ in info.incoming if p.kind == "conv"]
    dense_in = [p for p, _ in info.incoming if p.kind == "dense"]
    dense_sources = sum(snn.population(p.source).size for p in dense_in)
    masks = [(p.weight != 0).any(axis=(2, 3)) for p, _ in conv_in]
    group_masks: dict[tuple[int, int], np.ndarray] = {}

    def grouped(k: int, step: int) -> np.ndarray:
        """(output channel groups of ``step`` channels, input channels): whether any
        output channel of the group reads the input channel (conv_in[k])."""
        if (k, step) not in group_masks:
            group_masks[(k, step)] = np.logical_or.reduceat(masks[k], _edges(c, step)[:-1],
                                                            axis=0)
        return group_masks[(k, step)]

    def screen(i: int) -> bool:
        ce, re, we = _edges(c, cg[i]), _edges(h, rh[i]), _edges(w, rw[i])
        sums = _block_sums(prefix, ce, re, we)
        memory = sums[0] + np.diff(ce)[:, None, None] * info.kernel_bits
        axons = np.full(sums[2].shape, dense_sources, dtype=np.int64)
        for k, (proj, shape) in enumerate(conv_in):
            groups_in = grouped(k, int(cg[i])).sum(axis=1)
            kh, kw = proj.kernel_size
            fy = _span(re[:-1], re[1:] - 1, shape[1], kh, proj.stride[0], proj.padding[0])
            fx = _span(we[:-1], we[1:] - 1, shape[2], kw, proj.stride[1], proj.padding[1])
            axons += groups_in[:, None, None] * fy[None, :, None] * fx[None, None, :]
        axons = np.minimum(axons, sums[2])
        # Multicast routing entries (distinct destination sets) are checked exactly later.
        route_cap = (core.output_routes if core.multicast
                     else min(core.output_routes, core.routing_table_entries))
        return bool(memory.max() <= core.synapse_memory_bits and axons.max() <= core.input_axons
                    and sums[1].max() <= route_cap)

    def packets_in(i: int) -> float:
        """Expected packets per image into this population under tiling ``i``."""
        total = 0.0
        for k, (proj, shape) in enumerate(conv_in):
            groups_reached = grouped(k, int(cg[i])).sum(axis=0)
            _, ho, wo = conv_output_shape(proj, shape)
            kh, kw = proj.kernel_size
            ny = _reach(shape[1], ho, kh, proj.stride[0], proj.padding[0], rh[i])
            nx = _reach(shape[2], wo, kw, proj.stride[1], proj.padding[1], rw[i])
            first = snn.first_neuron(proj.source)
            s = spikes[first:first + int(np.prod(shape))].reshape(shape)
            total += float(np.einsum("cyx,c,y,x->", s, groups_reached, ny, nx))
        for proj in dense_in:
            first = snn.first_neuron(proj.source)
            total += n_blocks[i] * float(spikes[first:first + snn.population(proj.source).size].sum())
        return total

    pos = 0
    while pos < len(order):
        # The next window of candidates: from the fewest blocks that pass the screen.
        while pos < len(order) and not screen(order[pos]):
            pos += 1
        if pos == len(order):
            return None
        limit = int(n_blocks[order[pos]] * (1 + BLOCK_SLACK))
        window = []
        while pos < len(order) and n_blocks[order[pos]] <= limit:
            if screen(order[pos]):
                window.append(order[pos])
            pos += 1
        scored = sorted(window, key=lambda i: (packets_in(i), n_blocks[i], -cg[i], abs(rh[i] - rw[i])))
        for i in scored:
            result = _tiling_blocks(info, core, int(cg[i]), int(rh[i]), int(rw[i]))
            if result is not None:
                return result
    return None


def _tiling_blocks(info: _Pop, core: CoreLimits, cg: int, rh: int, rw: int):
    c, h, w = info.pop.shape
    n_g, n_r, n_w = -(-c // cg), -(-h // rh), -(-w // rw)
    idx = np.arange(info.size)
    ch, y, x = idx // (h * w), (idx // w) % h, idx % w
    local_block = (ch // cg) * (n_r * n_w) + (y // rh) * n_w + x // rw
    n_blocks = n_g * n_r * n_w
    channels = np.repeat(np.diff(_edges(c, cg)), n_r * n_w)
    usage, parts = _exact(info, core, local_block, n_blocks, channels)
    if not _fits(usage, core):
        return None
    labels = []
    for g in range(n_g):
        for r in range(n_r):
            for col in range(n_w):
                labels.append(f"channels {g * cg}-{min(c, (g + 1) * cg) - 1}, "
                              f"rows {r * rh}-{min(h, (r + 1) * rh) - 1}, "
                              f"cols {col * rw}-{min(w, (col + 1) * rw) - 1}")
    return local_block, labels, usage, parts


# --- everything else: contiguous ranges ---------------------------------------------------

def _ranges(info: _Pop, core: CoreLimits):
    """Contiguous index ranges, each as large as fits, then evened out if that still fits."""
    n = info.size
    pop_shape = info.pop.shape
    plane = int(np.prod(pop_shape[1:])) if len(pop_shape) == 3 else max(info.pop.size, 1)
    channel = (np.arange(n) if info.local is None else np.asarray(info.local)) // plane
    # Distinct channels of a range [a, b) of (ascending) neurons: new_channel[b] − new_channel[a + 1] + 1.
    new_channel = np.concatenate([[0, 0], np.cumsum(np.diff(channel) != 0)])
    rows = (concat_rows([r for _, r in _expand(info)]) if info.incoming
            else Rows(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)))
    n_ids = _n_ids(rows)
    reach = AxonReach(rows, n_ids)
    bits = np.concatenate([[0], np.cumsum(info.explicit_bits)])
    routes = np.concatenate([[0], np.cumsum(info.routes)])
    sending = info.routes > 0

    def fits_but_axons(a: int, b: int) -> bool:
        """Every limit but the input axons holds for neurons [a, b)."""
        if b - a > core.neurons:
            return False
        channels = new_channel[b] - new_channel[a + 1] + 1
        if bits[b] - bits[a] + channels * info.kernel_bits > core.synapse_memory_bits:
            return False
        r = routes[b] - routes[a]
        if r > core.output_routes:
            return False
        entries = len(distinct(info.set_hash[a:b][sending[a:b]])) if core.multicast else r
        return entries <= core.routing_table_entries

    # Every limit grows with the range, so the largest range from a that fits is the
    # shortest of the largest ranges for each limit: the input axons (distinct sources,
    # the costly count) by one scan of the synapses, the others by bisection.
    cuts = [0]
    while cuts[-1] < n:
        a = cuts[-1]
        lo, hi = a + 1, min(n, a + core.neurons)  # single neurons fit
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits_but_axons(a, mid):
                lo = mid
            else:
                hi = mid - 1
        cuts.append(max(a + 1, reach(a, lo, core.input_axons)))
    even = np.linspace(0, n, len(cuts)).round().astype(np.int64)
    if (np.all(np.diff(even) > 0) and all(fits_but_axons(int(a), int(b)) for a, b in pairwise(even))
            and bool(np.all(range_axons(rows, even, n_ids) <= core.input_axons))):
        cuts = list(even)
    local_block = np.repeat(np.arange(len(cuts) - 1), np.diff(cuts))
    n_blocks = len(cuts) - 1
    channels = np.bincount(distinct(local_block * (n + 1) + channel) // (n + 1), minlength=n_blocks)
    usage, parts = _exact(info, core, local_block, n_blocks, channels)
    labels = [f"neurons {a}-{b - 1}" for a, b in pairwise(cuts)]
    return local_block, labels, usage, parts


# --- fan-in wider than a core: home blocks and partial blocks ------------------------------

# The partial sums into a home block, counted like a projection when sizing the blocks.
_JOIN = SimpleNamespace(name="\0partial sums", kind="join")


def _split(snn: SNN, hw: Hardware, info: _Pop, spikes: np.ndarray):
    """Home blocks and partial blocks of a population whose fan-in exceeds a core.

    Returns the blocks as (neurons, label, group) in local numbering (home blocks first),
    their usage, the (source, local block, synapses) pairs of each projection in, the
    expected partial-sum packets per image between local blocks, and the source cuts.
    """
    core = hw.chip.core
    where = f"population {info.name!r}"
    listed = _expand(info)
    sources = mark_sources([r for _, r in listed], snn.n_neurons)
    cuts = source_cuts(sources, core.input_axons)
    if cuts is None:
        raise NeurosimError(
            f"layer {info.name!r} reads {len(sources):,} source neurons; split over cores of "
            f"{core.input_axons:,} input axons they need more partial sums per neuron than "
            f"one core has input axons", where=where,
            fix="use a chip with more input axons per core (--set core.input_axons=N) or a "
                "layer with fewer inputs per neuron")
    n_groups = len(cuts) + 1
    # Group g holds the sources edges[g] <= s < edges[g + 1] (fanin.source_group).
    edges = [0, *(int(c) for c in cuts), snn.n_neurons]
    # The targets with a synapse from each group g >= 1: they get a partial compartment.
    member = group_members([r for _, r in listed], cuts)
    members = [np.flatnonzero(member[:, g]) for g in range(1, n_groups)]
    n_ids = snn.n_neurons + n_groups * info.size  # source ids above the network: partial sums

    # Home: group-0 synapses, plus one axon per partial compartment feeding the neuron
    # (source id n_neurons + (g − 1)·size + t for compartment g of target t).
    home_in = [(proj, rows.select(edges[0], edges[1])) for proj, rows in listed]
    join_tgt, join_g = np.nonzero(member[:, 1:])
    join_ptr = np.zeros(info.size + 1, dtype=np.int64)
    np.cumsum(np.bincount(join_tgt, minlength=info.size), out=join_ptr[1:])
    join = Rows(join_ptr, snn.n_neurons + join_g * info.size + join_tgt)
    # With weight sharing a block stores its group's kernel slices per output channel
    # (fanin.group_kernel_weights) instead of the conv synapses one by one.
    shared = [core.weight_sharing and getattr(proj, "kind", "") == "conv" for proj, _ in listed]
    kernel = sum((group_kernel_weights(snn, proj, cuts)
                  for (proj, _), sh in zip(listed, shared) if sh),
                 np.zeros(n_groups, dtype=np.int64)) * core.weight_bits

    def stored(entries: list, size: int) -> np.ndarray:
        """Weight bits stored synapse by synapse, per (local) target."""
        return sum((rows.lengths() for (_, rows), sh in zip(entries, shared) if not sh),
                   np.zeros(size, dtype=np.int64)) * core.weight_bits

    home = replace(info, incoming=[*home_in, (_JOIN, join)],
                   explicit_bits=stored(home_in, info.size), kernel_bits=int(kernel[0]),
                   fanin=distinct_per_row(concat_rows([r for _, r in home_in] + [join]), n_ids))
    _check_single_neurons(home, core, hw.name)
    home_block, home_labels, home_usage, home_parts = _ranges(home, core)
    home_parts.pop(_JOIN.name)
    entries = [(n, label, 0) for n, label in _members(home_block, home_labels)]
    usages = [home_usage]
    parts = {name: [p] for name, p in home_parts.items()}
    t_src, t_dst, t_pk = [], [], []
    offset = len(entries)
    for g, nodes in enumerate(members, start=1):
        inc = [(proj, rows.select(edges[g], edges[g + 1], nodes)) for proj, rows in listed]
        g_rows = concat_rows([r for _, r in inc])
        dest = home_block[nodes]
        part = _Pop(info.pop, info.first, inc, stored(inc, len(nodes)), int(kernel[g]),
                    distinct_per_row(g_rows, snn.n_neurons),
                    np.ones(len(nodes), dtype=np.int64), dest + 1,
                    Fanout(np.arange(len(nodes) + 1, dtype=np.int64), dest,
                           np.ones(len(nodes), dtype=np.int64)),
                    local=nodes)
        _check_single_neurons(part, core, hw.name)
        block, labels, usage, g_parts = _ranges(part, core)
        for local, _ in _members(block, labels):
            neurons = nodes[local]
            entries.append((neurons, f"partial sums of neurons {neurons[0]}-{neurons[-1]}, "
                                     f"source group {g}", g))
        usages.append(usage)
        for name, (src, unit, count) in g_parts.items():
            parts[name].append((src, unit + offset, count))
        # Expected packets: one per step with input, at most one per step of the window.
        per_comp = np.minimum(g_rows.row_sums(spikes), snn.window)
        keys, packets = group_sum((block + offset) * (offset + len(labels) + 1) + dest, per_comp)
        t_src.append(keys // (offset + len(labels) + 1))
        t_dst.append(keys % (offset + len(labels) + 1))
        t_pk.append(packets)
        offset += len(labels)
    merged = {name: tuple(np.concatenate(a) for a in zip(*p)) for name, p in parts.items()}
    merged = {name: count_pairs(s, u, offset, c) for name, (s, u, c) in merged.items()}
    return (entries, _concat(usages), merged,
            (np.concatenate(t_src), np.concatenate(t_dst), np.concatenate(t_pk)), cuts)
