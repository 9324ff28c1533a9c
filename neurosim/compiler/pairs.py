"""(source neuron, target unit) pairs of one projection, without listing its synapses.

The compiler needs, for every projection and every grouping of its target neurons into
units (blocks or cores), the distinct pairs ``(s, u)`` with at least one non-zero synapse
from source ``s`` onto a neuron of unit ``u``, and how many such synapses there are:
``count(s, u) = #{t ∈ u : w(t, s) ≠ 0}``. Listing every synapse and sorting the list costs
O(S log S) time and 16–24 bytes per synapse, which a 4-billion-synapse ResNet-50 cannot
afford. Here the cost is O(S) time and memory proportional to the pairs:

* a convolution walks each source's projective field: source ``(c, y, x)`` reaches the
  targets ``(o, oy, ox)`` with ``oy·s_y − p_y + ky = y`` and ``ox·s_x − p_x + kx = x`` for
  every kernel tap ``(ky, kx)`` and every output channel ``o`` with ``W[o, c, ky, kx] ≠ 0``;
  the units it meets are counted in a scratch table (numba, sources split over threads);
* a dense projection sums its non-zero pattern over the rows of each unit (one
  ``reduceat`` over the rows sorted by unit).

Pairs come sorted by (source, unit), sources population-local.
"""

from __future__ import annotations

import numba
import numpy as np

from neurosim.snn.connectivity import conv_output_shape
from neurosim.snn.network import Projection


def unit_pairs(proj: Projection, source_shape: tuple[int, ...], unit_of_target: np.ndarray,
               n_units: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, unit, synapses) of ``proj`` for targets grouped by ``unit_of_target``.

    ``unit_of_target`` gives the unit (0 … ``n_units`` − 1) of every target neuron of the
    projection, in the target population's flat C order.
    """
    unit_of_target = np.ascontiguousarray(unit_of_target, dtype=np.int64)
    if proj.kind == "conv":
        return _conv_unit_pairs(proj, tuple(source_shape), unit_of_target, n_units)
    return _dense_unit_pairs(np.asarray(proj.weight), unit_of_target)


def _dense_unit_pairs(weight: np.ndarray, unit_of_target: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(unit_of_target, kind="stable")
    units = unit_of_target[order]
    if not len(units):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]])
    nonzero = (weight[order] != 0).astype(np.int32)
    counts = np.add.reduceat(nonzero, starts, axis=0)      # (units present, sources)
    src, k = np.nonzero(counts.T)                           # sorted by source, then unit
    return src.astype(np.int64), units[starts][k].astype(np.int64), \
        counts.T[src, k].astype(np.int64)


def _conv_unit_pairs(proj: Projection, source_shape: tuple[int, ...], unit_of_target: np.ndarray,
                     n_units: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c_in, h, w = source_shape
    _, ho, wo = conv_output_shape(proj, source_shape)
    kh, kw = proj.kernel_size
    # The output channels with a non-zero weight at each tap (c, ky, kx), in CSR form, so
    # the walk visits synapses only (a shortcut's identity kernel is mostly zeros).
    c, ky, kx, o = np.nonzero(np.transpose(np.asarray(proj.weight) != 0, (1, 2, 3, 0)))
    tap = (c * kh + ky) * kw + kx
    tap_ptr = np.zeros(c_in * kh * kw + 1, dtype=np.int64)
    np.cumsum(np.bincount(tap, minlength=c_in * kh * kw), out=tap_ptr[1:])
    # Units by (position, channel): a tap's output channels are then read side by side.
    c_out = int(proj.weight.shape[0])
    unit_by_position = np.ascontiguousarray(unit_of_target.reshape(c_out, ho * wo).T).ravel()
    args = (tap_ptr, o.astype(np.int64), kh, kw, h, w, ho, wo, proj.stride[0], proj.stride[1],
            proj.padding[0], proj.padding[1], unit_by_position, c_out, n_units)
    per_source = _conv_count(*args)
    indptr = np.zeros(c_in * h * w + 1, dtype=np.int64)
    np.cumsum(per_source, out=indptr[1:])
    units, counts = _conv_fill(*args, indptr)
    src = np.repeat(np.arange(c_in * h * w, dtype=np.int64), per_source)
    return src, units, counts


@numba.njit(cache=True, nogil=True)
def _source_units(s, tap_ptr, tap_o, kh, kw, h, w, ho, wo, sy, sx, py, px, unit_by_position,
                  c_out, slot, units, counts):
    """The distinct units source ``s`` reaches, in ``units[:m]`` with synapse counts; returns
    ``m``. ``unit_by_position[p · c_out + o]`` is the unit of target (o, p); ``slot`` (−1
    everywhere on entry and on return) maps a unit to its position."""
    c = s // (h * w)
    y = (s // w) % h
    x = s % w
    m = 0
    for ky in range(kh):
        oy_s = y + py - ky
        if oy_s < 0 or oy_s % sy != 0:
            continue
        oy = oy_s // sy
        if oy >= ho:
            continue
        for kx in range(kw):
            ox_s = x + px - kx
            if ox_s < 0 or ox_s % sx != 0:
                continue
            ox = ox_s // sx
            if ox >= wo:
                continue
            base = (oy * wo + ox) * c_out
            t = (c * kh + ky) * kw + kx
            last_u, last_k = -1, -1  # neighbouring channels mostly share a unit
            for j in range(tap_ptr[t], tap_ptr[t + 1]):
                u = unit_by_position[base + tap_o[j]]
                if u == last_u:
                    counts[last_k] += 1
                    continue
                k = slot[u]
                if k < 0:
                    k = m
                    slot[u] = m
                    units[m] = u
                    counts[m] = 1
                    m += 1
                else:
                    counts[k] += 1
                last_u, last_k = u, k
    for k in range(m):
        slot[units[k]] = -1
    return m


@numba.njit(cache=True, parallel=True)
def _conv_count(tap_ptr, tap_o, kh, kw, h, w, ho, wo, sy, sx, py, px, unit_by_position, c_out,
                n_units):
    """Distinct units reached by every source."""
    n_src = (len(tap_ptr) - 1) // (kh * kw) * h * w
    out = np.zeros(n_src, dtype=np.int64)
    n_chunks = max(1, min(64, n_src))
    size = -(-n_src // n_chunks)
    cap = max(1, len(tap_o))
    for chunk in numba.prange(n_chunks):
        slot = np.full(n_units, -1, dtype=np.int64)
        units = np.empty(min(cap, n_units), dtype=np.int64)
        counts = np.empty(min(cap, n_units), dtype=np.int64)
        for s in range(chunk * size, min(n_src, (chunk + 1) * size)):
            out[s] = _source_units(s, tap_ptr, tap_o, kh, kw, h, w, ho, wo, sy, sx, py, px,
                                   unit_by_position, c_out, slot, units, counts)
    return out


@numba.njit(cache=True, parallel=True)
def _conv_fill(tap_ptr, tap_o, kh, kw, h, w, ho, wo, sy, sx, py, px, unit_by_position, c_out,
               n_units, indptr):
    """The units (ascending) and synapse counts of every source, in CSR order."""
    n_src = (len(tap_ptr) - 1) // (kh * kw) * h * w
    out_units = np.empty(indptr[-1], dtype=np.int64)
    out_counts = np.empty(indptr[-1], dtype=np.int64)
    n_chunks = max(1, min(64, n_src))
    size = -(-n_src // n_chunks)
    cap = max(1, len(tap_o))
    for chunk in numba.prange(n_chunks):
        slot = np.full(n_units, -1, dtype=np.int64)
        units = np.empty(min(cap, n_units), dtype=np.int64)
        counts = np.empty(min(cap, n_units), dtype=np.int64)
        for s in range(chunk * size, min(n_src, (chunk + 1) * size)):
            m = _source_units(s, tap_ptr, tap_o, kh, kw, h, w, ho, wo, sy, sx, py, px,
                              unit_by_position, c_out, slot, units, counts)
            order = np.argsort(units[:m])
            a = indptr[s]
            for k in range(m):
                out_units[a + k] = units[order[k]]
                out_counts[a + k] = counts[order[k]]
    return out_units, out_counts
