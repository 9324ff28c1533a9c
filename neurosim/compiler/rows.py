"""Synapse lists grouped by target (CSR), and the counts the partitioner takes from them.

A population whose fan-in is split (:mod:`neurosim.compiler.fanin`), and one cut into
contiguous index ranges, needs its synapses listed: which sources feed each target.
:class:`Rows` holds them as rows, one per target neuron: the sources of target ``t`` are
``src[indptr[t]:indptr[t+1]]``, network-wide, ascending within a row for one projection.
A convolution's rows are built straight from its kernel (one tap joins a source and a
target), 8 bytes per synapse, without the (source, target, weight) triples of
:func:`neurosim.snn.connectivity.synapses` and without sorting them.

Everything the partitioner asks of the rows is counted in one or two passes, O(synapses),
with a *stamp* array in place of a sort: ``stamp[s] == tag`` marks source ``s`` as seen
in the current row or range, so a new tag resets every mark at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from neurosim.snn.connectivity import conv_output_shape
from neurosim.snn.network import Projection


@dataclass(frozen=True, eq=False)
class Rows:
    """Synapses by target: row ``t`` is ``src[indptr[t]:indptr[t+1]]`` (network-wide sources)."""

    indptr: np.ndarray
    src: np.ndarray

    @property
    def n_targets(self) -> int:
        return len(self.indptr) - 1

    def lengths(self) -> np.ndarray:
        """Synapses onto each target."""
        return np.diff(self.indptr)

    def targets(self) -> np.ndarray:
        """The target of every synapse."""
        return np.repeat(np.arange(self.n_targets, dtype=np.int64), self.lengths())

    def select(self, lo: int, hi: int, targets: np.ndarray | None = None) -> Rows:
        """The synapses from sources ``lo <= s < hi``, of ``targets`` (renumbered 0, 1, …
        in that order) or of all targets. The rows must be ascending (as
        :func:`projection_rows` makes them): each row's range is found by bisection."""
        targets = (np.arange(self.n_targets, dtype=np.int64) if targets is None
                   else np.ascontiguousarray(targets, dtype=np.int64))
        counts = _count_between(self.indptr, self.src, int(lo), int(hi), targets)
        indptr = np.zeros(len(targets) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return Rows(indptr, _fill_between(self.indptr, self.src, int(lo), int(hi), targets,
                                          indptr))

    def row_sums(self, values: np.ndarray) -> np.ndarray:
        """Σ ``values[s]`` over each row's sources, added in row order (as ``np.bincount``
        over the synapses in target order adds them)."""
        return _row_sums(self.indptr, self.src, np.asarray(values, dtype=np.float64))


def concat_rows(parts: list[Rows]) -> Rows:
    """One row per target: the rows of ``parts`` (all over the same targets) joined in order."""
    if len(parts) == 1:
        return parts[0]
    n = parts[0].n_targets
    counts = sum((p.lengths() for p in parts), np.zeros(n, dtype=np.int64))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    src = np.empty(int(indptr[-1]), dtype=np.int64)
    at = indptr[:-1].copy()
    for p in parts:
        _place(p.indptr, p.src, at, src)
    return Rows(indptr, src)


def projection_rows(proj: Projection, source_shape: tuple[int, ...], first_source: int) -> Rows:
    """The non-zero synapses of ``proj`` by target, sources network-wide (``first_source``
    is the source population's first neuron). A row lists its sources in the order of
    :func:`neurosim.snn.connectivity.synapses` (ascending)."""
    if proj.kind != "conv":
        tgt, src = np.nonzero(np.asarray(proj.weight))
        indptr = np.zeros(proj.weight.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(tgt, minlength=proj.weight.shape[0]), out=indptr[1:])
        return Rows(indptr, src.astype(np.int64) + first_source)
    _, h, w = source_shape
    c_out, ho, wo = conv_output_shape(proj, source_shape)
    # Non-zero taps (c, ky, kx) of every output channel, in CSR form, in (c, ky, kx) order.
    o, c, ky, kx = np.nonzero(np.asarray(proj.weight) != 0)
    o_ptr = np.zeros(c_out + 1, dtype=np.int64)
    np.cumsum(np.bincount(o, minlength=c_out), out=o_ptr[1:])
    args = (o_ptr, c.astype(np.int64), ky.astype(np.int64), kx.astype(np.int64), h, w, ho, wo,
            proj.stride[0], proj.stride[1], proj.padding[0], proj.padding[1])
    indptr = np.zeros(c_out * ho * wo + 1, dtype=np.int64)
    np.cumsum(_conv_row_counts(*args), out=indptr[1:])
    return Rows(indptr, _conv_row_fill(*args, indptr, int(first_source)))


def group_members(rows: list[Rows], cuts: np.ndarray) -> np.ndarray:
    """(targets, groups) booleans: whether target t has a synapse from a source of group g
    (``cuts`` as in :func:`neurosim.compiler.fanin.source_cuts`; rows ascending)."""
    n = rows[0].n_targets
    out = np.zeros((n, len(cuts) + 1), dtype=np.bool_)
    edges = np.asarray(cuts, dtype=np.int64)
    for r in rows:
        _mark_groups(r.indptr, r.src, edges, out)
    return out


def mark_sources(rows: list[Rows], n_ids: int) -> np.ndarray:
    """The distinct sources of all ``rows``, ascending."""
    seen = np.zeros(n_ids, dtype=np.bool_)
    for r in rows:
        seen[r.src] = True
    return np.flatnonzero(seen).astype(np.int64)


def distinct_per_row(rows: Rows, n_ids: int) -> np.ndarray:
    """Distinct sources of each row."""
    return _distinct_per_row(rows.indptr, rows.src, n_ids)


def range_axons(rows: Rows, cuts: np.ndarray, n_ids: int) -> np.ndarray:
    """Distinct sources of the targets ``cuts[i] <= t < cuts[i+1]``, per range."""
    return _range_axons(rows.indptr, rows.src, np.asarray(cuts, dtype=np.int64), n_ids)


class AxonReach:
    """How far a range of targets may grow from a start before its distinct sources exceed
    a cap (they only grow with the range): a scan that marks sources as it goes."""

    def __init__(self, rows: Rows, n_ids: int) -> None:
        self.rows = rows
        self.stamp = np.full(max(n_ids, 1), -1, dtype=np.int64)

    def __call__(self, a: int, hi: int, cap: int) -> int:
        """The largest ``b <= hi`` with at most ``cap`` distinct sources in targets [a, b)."""
        return int(_axon_reach(self.rows.indptr, self.rows.src, a, hi, cap, self.stamp))


def rows_unit_pairs(rows: Rows, unit_of_target: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (source, unit) pairs of the synapses, sorted, and their synapse counts
    (as :func:`neurosim.compiler.route.count_pairs` of the listed synapses gives them)."""
    unit_of_target = np.ascontiguousarray(unit_of_target, dtype=np.int64)
    if not len(rows.src):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    lo = int(rows.src.min())  # sources are counted from the lowest one present
    return _rows_unit_pairs(rows.indptr, rows.src, unit_of_target, lo,
                            int(rows.src.max()) + 1 - lo)


# --- kernels ------------------------------------------------------------------------------

@numba.njit(cache=True, parallel=True)
def _conv_row_counts(o_ptr, tap_c, tap_ky, tap_kx, h, w, ho, wo, sy, sx, py, px):
    """Synapses onto every target (o, oy, ox): the taps of channel o that read an input."""
    c_out = len(o_ptr) - 1
    plane = ho * wo
    out = np.zeros(c_out * plane, dtype=np.int64)
    for o in numba.prange(c_out):
        for oy in range(ho):
            for ox in range(wo):
                n = 0
                for j in range(o_ptr[o], o_ptr[o + 1]):
                    iy = oy * sy - py + tap_ky[j]
                    ix = ox * sx - px + tap_kx[j]
                    if 0 <= iy < h and 0 <= ix < w:
                        n += 1
                out[o * plane + oy * wo + ox] = n
    return out


@numba.njit(cache=True, parallel=True)
def _conv_row_fill(o_ptr, tap_c, tap_ky, tap_kx, h, w, ho, wo, sy, sx, py, px, indptr, first):
    c_out = len(o_ptr) - 1
    plane = ho * wo
    src = np.empty(indptr[-1], dtype=np.int64)
    for o in numba.prange(c_out):
        for oy in range(ho):
            for ox in range(wo):
                k = indptr[o * plane + oy * wo + ox]
                for j in range(o_ptr[o], o_ptr[o + 1]):
                    iy = oy * sy - py + tap_ky[j]
                    ix = ox * sx - px + tap_kx[j]
                    if 0 <= iy < h and 0 <= ix < w:
                        src[k] = first + (tap_c[j] * h + iy) * w + ix
                        k += 1
    return src


@numba.njit(cache=True)
def _count_between(indptr, src, lo, hi, targets):
    out = np.zeros(len(targets), dtype=np.int64)
    for i in range(len(targets)):
        row = src[indptr[targets[i]]:indptr[targets[i] + 1]]
        out[i] = max(0, np.searchsorted(row, hi) - np.searchsorted(row, lo))  # none if hi <= lo
    return out


@numba.njit(cache=True)
def _fill_between(indptr, src, lo, hi, targets, out_ptr):
    out = np.empty(out_ptr[-1], dtype=np.int64)
    for i in range(len(targets)):
        a = indptr[targets[i]]
        row = src[a:indptr[targets[i] + 1]]
        first = a + np.searchsorted(row, lo)
        out[out_ptr[i]:out_ptr[i + 1]] = src[first:first + out_ptr[i + 1] - out_ptr[i]]
    return out


@numba.njit(cache=True)
def _mark_groups(indptr, src, cuts, out):
    for t in range(len(indptr) - 1):
        a, b = indptr[t], indptr[t + 1]
        if a == b:
            continue
        # Groups from the first source's to the last's: bisect the row at each cut between.
        g = np.searchsorted(cuts, src[a], side="right")
        last = np.searchsorted(cuts, src[b - 1], side="right")
        out[t, g] = True
        for h in range(g + 1, last + 1):
            row = src[a:b]
            if np.searchsorted(row, cuts[h - 1]) < (np.searchsorted(row, cuts[h]) if h < len(cuts)
                                                    else b - a):
                out[t, h] = True


@numba.njit(cache=True)
def _place(indptr, src, at, out):
    for t in range(len(indptr) - 1):
        for k in range(indptr[t], indptr[t + 1]):
            out[at[t]] = src[k]
            at[t] += 1


@numba.njit(cache=True)
def _row_sums(indptr, src, values):
    out = np.zeros(len(indptr) - 1)
    for t in range(len(indptr) - 1):
        s = 0.0
        for k in range(indptr[t], indptr[t + 1]):
            s += values[src[k]]
        out[t] = s
    return out


@numba.njit(cache=True)
def _distinct_per_row(indptr, src, n_ids):
    stamp = np.full(max(n_ids, 1), -1, dtype=np.int64)
    out = np.zeros(len(indptr) - 1, dtype=np.int64)
    for t in range(len(indptr) - 1):
        n = 0
        for k in range(indptr[t], indptr[t + 1]):
            if stamp[src[k]] != t:
                stamp[src[k]] = t
                n += 1
        out[t] = n
    return out


@numba.njit(cache=True)
def _range_axons(indptr, src, cuts, n_ids):
    stamp = np.full(max(n_ids, 1), -1, dtype=np.int64)
    out = np.zeros(max(len(cuts) - 1, 0), dtype=np.int64)
    for r in range(len(cuts) - 1):
        n = 0
        for k in range(indptr[cuts[r]], indptr[cuts[r + 1]]):
            if stamp[src[k]] != r:
                stamp[src[k]] = r
                n += 1
        out[r] = n
    return out


@numba.njit(cache=True)
def _axon_reach(indptr, src, a, hi, cap, stamp):
    """Largest b <= hi with at most ``cap`` distinct sources in rows [a, b); ``stamp`` is
    tagged with ``a`` (a new start never equals an earlier one, as starts only grow)."""
    n = 0
    for t in range(a, hi):
        for k in range(indptr[t], indptr[t + 1]):
            s = src[k]
            if stamp[s] != a:
                stamp[s] = a
                n += 1
        if n > cap:
            # Unmark nothing: the next start is at least t > a, so its tag differs.
            return t
    return hi


@numba.njit(cache=True)
def _rows_unit_pairs(indptr, src, unit_of_target, lo, n_ids):
    # Counting sort of the synapses by source; within a source, units in target order.
    n_syn = len(src)
    start = np.zeros(n_ids + 1, dtype=np.int64)
    for k in range(n_syn):
        start[src[k] - lo + 1] += 1
    for s in range(n_ids):
        start[s + 1] += start[s]
    pos = start[:-1].copy()
    units = np.empty(n_syn, dtype=np.int64)
    for t in range(len(indptr) - 1):
        u = unit_of_target[t]
        for k in range(indptr[t], indptr[t + 1]):
            i = src[k] - lo
            units[pos[i]] = u
            pos[i] += 1
    # Per source: sort its units (already sorted when units grow with the target) and
    # count runs.
    n_pairs = 0
    for s in range(n_ids):
        a, b = start[s], start[s + 1]
        if b - a > 1:
            ordered = True
            for k in range(a + 1, b):
                if units[k] < units[k - 1]:
                    ordered = False
                    break
            if not ordered:
                units[a:b] = np.sort(units[a:b])
        for k in range(a, b):
            if k == a or units[k] != units[k - 1]:
                n_pairs += 1
    out_src = np.empty(n_pairs, dtype=np.int64)
    out_unit = np.empty(n_pairs, dtype=np.int64)
    out_count = np.zeros(n_pairs, dtype=np.int64)
    m = -1
    for s in range(n_ids):
        for k in range(start[s], start[s + 1]):
            if k == start[s] or units[k] != units[k - 1]:
                m += 1
                out_src[m] = s + lo
                out_unit[m] = units[k]
            out_count[m] += 1
    return out_src, out_unit, out_count
