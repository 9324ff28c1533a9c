"""Where each spike goes: destination cores, XY paths, multicast trees and routing tables.

A spike of neuron ``n`` must reach every core that holds a neuron ``n`` has a non-zero
synapse onto (over all its outgoing projections). Those cores are ``D(n)``, the
*destinations* of ``n``; :class:`Fanout` holds them for every neuron in CSR form, with the
number of synapses onto each (the work the destination core does per packet).

Packets travel on the board-wide mesh of tiles (:mod:`neurosim.compiler.mapping`) by XY
routing: first along x to the destination column, then along y. A packet from tile
``(x₀, y₀)`` to ``(x₁, y₁)`` crosses ``|x₁−x₀| + |y₁−y₀|`` links; those crossing a chip
boundary are inter-chip links, ``|cx₁−cx₀| + |cy₁−cy₀|`` of them for chips ``c`` (an XY path
is monotone in each axis, so it crosses every chip boundary between the two at most once).

Per spike, a chip without multicast sends one packet per destination core (unicast); a
chip with multicast sends one packet that the routers copy along the *tree*, the union of
the XY paths to all destinations.

Routing-table accounting (the convention this compiler checks against the core limits):

* unicast: every (neuron, destination core) pair is one output route and one routing
  entry of the source core, so both equal ``Σ_n |D(n)|`` over the core's neurons (Loihi's
  output-axon table);
* multicast: each neuron with any destination owns one output route (its multicast key);
  neurons of a core with the *same* destination set share one key/mask routing entry (as
  SpiNNaker's key/mask tables do), so the routing entries are the number of distinct
  non-empty destination sets among the core's neurons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from neurosim.compiler.keys import distinct_counts, distinct_rows, group_sum
from neurosim.compiler.mapping import mesh_coordinates
from neurosim.compiler.xy import ARRIVED, STEP_X, STEP_Y, xy_direction, xy_hops
from neurosim.hardware.model import Hardware
from neurosim.snn.connectivity import synapses
from neurosim.snn.network import SNN, Projection

Link = tuple[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True, eq=False)
class Fanout:
    """For every source neuron (network-wide numbering): its destination units, in CSR form.

    Row ``n`` is ``units[indptr[n]:indptr[n+1]]`` (ascending, distinct), with
    ``synapses[k]`` the number of non-zero synapses from ``n`` onto neurons of ``units[k]``.
    A *unit* is a core (:func:`neurosim.compiler.fanin.destination_cores`) or a block (during partitioning).
    """

    indptr: np.ndarray
    units: np.ndarray
    synapses: np.ndarray

    @property
    def n_sources(self) -> int:
        return len(self.indptr) - 1

    def counts(self) -> np.ndarray:
        """``|D(n)|`` for every neuron: packets per spike without multicast."""
        return np.diff(self.indptr)

    def sources(self) -> np.ndarray:
        """The source neuron of every entry."""
        return np.repeat(np.arange(self.n_sources, dtype=np.int64), self.counts())

    def relabel(self, new_unit: np.ndarray) -> Fanout:
        """The same fan-out with unit ``u`` renamed ``new_unit[u]`` (a one-to-one renaming)."""
        units = np.asarray(new_unit, dtype=np.int64)[self.units]
        order = np.lexsort((units, self.sources()))
        return Fanout(self.indptr, units[order], self.synapses[order])


def projection_pairs(snn: SNN, proj: Projection, unit_of_neuron: np.ndarray, n_units: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (source neuron, target unit) pairs of one projection and their synapse counts.

    Source neurons are in the network-wide numbering; pairs come sorted by (source, unit).
    """
    src, tgt, _ = synapses(proj, snn.population(proj.source).shape)
    src = src + snn.first_neuron(proj.source)
    unit = unit_of_neuron[tgt + snn.first_neuron(proj.target)]
    return count_pairs(src, unit, n_units)


def count_pairs(src: np.ndarray, unit: np.ndarray, n_units: int, weight: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (src, unit) pairs, sorted, with their multiplicity (or summed ``weight``)."""
    key = src.astype(np.int64) * n_units + unit
    keys, counts = distinct_counts(key) if weight is None else group_sum(key, weight)
    return keys // n_units, keys % n_units, counts.astype(np.int64)


def merge_pairs(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_sources: int,
                n_units: int) -> Fanout:
    """One :class:`Fanout` from per-projection pairs (two projections may share a pair)."""
    if not parts:
        return Fanout(np.zeros(n_sources + 1, dtype=np.int64), np.zeros(0, dtype=np.int64),
                      np.zeros(0, dtype=np.int64))
    # A counting sort by source, then per source its units sorted and repeats summed:
    # O(pairs + sources), where sorting the (source, unit) keys costs O(P log P) and
    # several key arrays of the pairs' size.
    indptr = np.zeros(n_sources + 1, dtype=np.int64)
    for p in parts:
        indptr[1:] += np.bincount(p[0], minlength=n_sources)
    np.cumsum(indptr, out=indptr)
    units = np.empty(int(indptr[-1]), dtype=np.int64)
    counts = np.empty(int(indptr[-1]), dtype=np.int64)
    at = indptr[:-1].copy()
    for src, unit, count in parts:
        _scatter_by_source(np.asarray(src, dtype=np.int64), np.asarray(unit, dtype=np.int64),
                           np.asarray(count, dtype=np.int64), at, units, counts)
    kept = _sum_repeats(indptr, units, counts)
    if kept < len(units):
        return Fanout(indptr, units[:kept].copy(), counts[:kept].copy())
    return Fanout(indptr, units, counts)


@numba.njit(cache=True)
def _scatter_by_source(src, unit, count, at, units, counts):
    for k in range(len(src)):
        s = src[k]
        units[at[s]] = unit[k]
        counts[at[s]] = count[k]
        at[s] += 1


@numba.njit(cache=True)
def _sum_repeats(indptr, units, counts):
    """Sort each row by unit and sum the counts of equal units, compacting the rows in
    place (``indptr`` updated); returns the entries kept."""
    out = 0
    start = 0
    for s in range(len(indptr) - 1):
        a, b = start, indptr[s + 1]
        start = b
        ordered = True
        for k in range(a + 1, b):
            if units[k] <= units[k - 1]:
                ordered = False
                break
        if not ordered:
            order = np.argsort(units[a:b], kind="mergesort")
            u = units[a:b][order]
            c = counts[a:b][order]
            units[a:b] = u
            counts[a:b] = c
        indptr[s] = out
        for k in range(a, b):
            if out > indptr[s] and units[out - 1] == units[k]:
                counts[out - 1] += counts[k]
            else:
                units[out] = units[k]
                counts[out] = counts[k]
                out += 1
    indptr[len(indptr) - 1] = out
    return out


def fanout(snn: SNN, unit_of_neuron: np.ndarray, n_units: int | None = None) -> Fanout:
    """The destination units of every neuron, given the unit (core or block) of every neuron."""
    unit_of_neuron = np.asarray(unit_of_neuron, dtype=np.int64)
    n_units = int(unit_of_neuron.max(initial=-1)) + 1 if n_units is None else n_units
    parts = [projection_pairs(snn, proj, unit_of_neuron, n_units) for proj in snn.projections]
    return merge_pairs(parts, snn.n_neurons, n_units)


# --- paths on the mesh --------------------------------------------------------------------

def xy_path(src_xy: tuple[int, int], dst_xy: tuple[int, int]) -> list[Link]:
    """The directed links ``((x, y), (x', y'))`` of the XY route between two tiles, in order."""
    x, y = int(src_xy[0]), int(src_xy[1])
    x1, y1 = int(dst_xy[0]), int(dst_xy[1])
    links: list[Link] = []
    while (d := xy_direction(x, y, x1, y1)) != ARRIVED:
        nx, ny = x + STEP_X[d], y + STEP_Y[d]
        links.append(((x, y), (nx, ny)))
        x, y = nx, ny
    return links


def multicast_tree_links(src_xy: tuple[int, int], dst_xys: list[tuple[int, int]]) -> set[Link]:
    """The links of the multicast tree: the union of the XY paths to every destination."""
    tree: set[Link] = set()
    for dst in dst_xys:
        tree.update(xy_path(src_xy, dst))
    return tree


def core_xy(hw: Hardware, cores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Board-wide tile coordinates (x, y) of each core."""
    x, y, _ = mesh_coordinates(hw, np.asarray(cores, dtype=np.int64))
    return x.astype(np.int64), y.astype(np.int64)


def hops(hw: Hardware, src_cores: np.ndarray, dst_cores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """XY hops between cores (all links) and how many of them are inter-chip links."""
    sx, sy = core_xy(hw, src_cores)
    dx, dy = core_xy(hw, dst_cores)
    ew, ns, inter = xy_hops(sx, sy, dx, dy, hw.chip.mesh_x, hw.chip.mesh_y)
    return ew + ns + inter, inter


@numba.njit(cache=True)
def _tree_edges(indptr: np.ndarray, dest_x: np.ndarray, dest_y: np.ndarray, src_x: np.ndarray,
                src_y: np.ndarray, mesh_x: int, mesh_y: int) -> tuple[np.ndarray, np.ndarray]:
    """Links (and inter-chip links) of each neuron's XY multicast tree.

    The tree's x-part is one segment on the source row covering every destination column;
    its y-part is, per destination column, one segment from the source row to the farthest
    destinations above and below.
    """
    n = len(indptr) - 1
    edges = np.zeros(n, dtype=np.int64)
    inter = np.zeros(n, dtype=np.int64)
    for i in range(n):
        a, b = indptr[i], indptr[i + 1]
        if a == b:
            continue
        sx, sy = src_x[i], src_y[i]
        lo_x, hi_x = sx, sx
        for k in range(a, b):
            lo_x = min(lo_x, dest_x[k])
            hi_x = max(hi_x, dest_x[k])
        e = hi_x - lo_x
        c = hi_x // mesh_x - lo_x // mesh_x
        # Per destination column: the extent of the vertical segment (sorted by x first).
        order = np.argsort(dest_x[a:b] * 1_000_000 + dest_y[a:b]) + a
        k = 0
        m = b - a
        while k < m:
            col = dest_x[order[k]]
            lo_y, hi_y = sy, sy
            while k < m and dest_x[order[k]] == col:
                lo_y = min(lo_y, dest_y[order[k]])
                hi_y = max(hi_y, dest_y[order[k]])
                k += 1
            e += hi_y - lo_y
            c += hi_y // mesh_y - lo_y // mesh_y
        edges[i] = e
        inter[i] = c
    return edges, inter


def tree_edges(hw: Hardware, fan: Fanout, core_of_neuron: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per neuron: links of its multicast tree and how many are inter-chip (``fan`` by core)."""
    dx, dy = core_xy(hw, fan.units)
    sx, sy = core_xy(hw, np.maximum(core_of_neuron, 0))
    return _tree_edges(fan.indptr, dx, dy, sx, sy, hw.chip.mesh_x, hw.chip.mesh_y)


# --- routing tables -----------------------------------------------------------------------

def set_hashes(fan: Fanout) -> np.ndarray:
    """A 64-bit hash of each neuron's destination set (0 for an empty set).

    The sum of per-unit random keys (mod 2**64): equal sets give equal hashes, and two
    different sets collide with probability about 2**-64.
    """
    n_units = int(fan.units.max(initial=-1)) + 1
    keys = np.random.default_rng(12345).integers(1, 2**63 - 1, size=max(n_units, 1), dtype=np.int64)
    # Unsigned arithmetic wraps modulo 2**64, so prefix sums difference to the row sums.
    prefix = np.zeros(len(fan.units) + 1, dtype=np.uint64)
    np.cumsum(keys[fan.units].view(np.uint64), out=prefix[1:])
    return (prefix[fan.indptr[1:]] - prefix[fan.indptr[:-1]]).view(np.int64)


def route_usage(fan: Fanout, unit_of_neuron: np.ndarray, n_units: int, multicast: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    """(output routes, routing-table entries) of each unit; see the module docstring."""
    unit_of_neuron = np.asarray(unit_of_neuron, dtype=np.int64)
    placed = unit_of_neuron >= 0
    counts = fan.counts()
    if not multicast:
        routes = np.bincount(unit_of_neuron[placed], weights=counts[placed], minlength=n_units)
        routes = routes.astype(np.int64)
        return routes, routes.copy()
    has = placed & (counts > 0)
    routes = np.bincount(unit_of_neuron[has], minlength=n_units).astype(np.int64)
    hashes = set_hashes(fan)[has]
    units, _ = distinct_rows(unit_of_neuron[has], hashes)
    entries = np.bincount(units, minlength=n_units).astype(np.int64)
    return routes, entries


# --- expected traffic ---------------------------------------------------------------------

def traffic_matrix(fan: Fanout, spikes: np.ndarray, unit_of_neuron: np.ndarray, n_units: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected unicast packets between units: (source unit, destination unit, packets).

    ``fan`` gives destination units per neuron, ``spikes`` the expected spikes of each
    neuron (per image); a neuron sends one packet per spike to each destination unit.
    Pairs are distinct and sorted; pairs without traffic are left out.
    """
    sources = fan.sources()
    src_unit = np.asarray(unit_of_neuron, dtype=np.int64)[sources]
    weight = np.asarray(spikes, dtype=np.float64)[sources]
    del sources
    # By source unit (counting sort), then by destination, summed in neuron order.
    indptr = np.zeros(n_units + 1, dtype=np.int64)
    np.cumsum(np.bincount(src_unit, minlength=n_units), out=indptr[1:])
    dst = np.empty(len(src_unit), dtype=np.int64)
    packets = np.empty(len(src_unit), dtype=np.float64)
    _scatter_by_source(src_unit, fan.units, weight, indptr[:-1].copy(), dst, packets)
    del src_unit, weight
    kept = _sum_repeats(indptr, dst, packets)
    src = np.repeat(np.arange(n_units, dtype=np.int64), np.diff(indptr))
    dst, packets = dst[:kept], packets[:kept]
    keep = packets > 0
    return src[keep], dst[keep], packets[keep]


@dataclass(frozen=True)
class TrafficCost:
    """Expected traffic of a placement, per image.

    ``packets_hops`` is the objective: Σ packets × links crossed (an inter-chip link
    counts as one); ``interchip_hops`` counts the inter-chip links alone. With multicast
    ``packets`` is one per spike with destinations and the link counts are tree links.
    """

    packets: float
    packets_hops: float
    interchip_hops: float

    def as_dict(self) -> dict[str, float]:
        return {"packets": float(self.packets), "packets_hops": float(self.packets_hops),
                "interchip_hops": float(self.interchip_hops)}


def traffic_cost(hw: Hardware, fan: Fanout, spikes: np.ndarray, core_of_neuron: np.ndarray,
                 multicast: bool | None = None) -> TrafficCost:
    """The expected traffic of neurons on ``core_of_neuron`` with ``fan`` by *core*."""
    multicast = hw.chip.core.multicast if multicast is None else multicast
    spikes = np.asarray(spikes, dtype=np.float64)
    if multicast:
        edges, inter = tree_edges(hw, fan, core_of_neuron)
        sending = fan.counts() > 0
        return TrafficCost(float(spikes[sending].sum()), float(spikes @ edges),
                           float(spikes @ inter))
    src = fan.sources()
    total, inter = hops(hw, core_of_neuron[src], fan.units)
    weight = spikes[src]
    return TrafficCost(float(weight.sum()), float(weight @ total), float(weight @ inter))
