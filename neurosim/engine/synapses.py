"""What one spike does to its targets, for the three ways the engine stores a projection.

A projection is held in one of three forms (chosen in :mod:`neurosim.engine.tables`):

``ROWS``
    a dense projection as its transposed weight matrix (one contiguous int32 row of
    target weights per source neuron): 4 bytes per stored weight, no index;
``SPARSE``
    a dense projection with many zero weights as compressed rows (int32 target index,
    int32 weight, in ``csr_idx`` / ``csr_w``): 8 bytes per non-zero synapse;
``CONV``
    a convolution as its shared kernel, reordered to ``(C_in, kh, kw, C_out)``; the targets
    of a source neuron are computed from the geometry when it spikes, so the kernel is
    stored once, never expanded. Its target population's ring slots are channel-last, so
    each kernel tap adds one contiguous run of ``C_out`` weights.

:func:`accumulate` adds ``w · d`` for every synapse of one source neuron into a ring slot
(in slot order); :func:`list_targets` lists the non-zero synapses of one source neuron in
natural (population-local) numbers, on the tables before their target columns are put in
slot order (used once, to build the per-core synapse counts that time the packets). Both walk the same geometry as
:func:`neurosim.snn.connectivity.conv_synapses`, which the tests hold them to.
"""

from __future__ import annotations

import numba
import numpy as np

ROWS, SPARSE, CONV = 0, 1, 2
# Columns of the projection geometry table.
(G_CIN, G_H, G_W, G_COUT, G_HO, G_WO, G_KH, G_KW, G_SY, G_SX, G_PY, G_PX) = range(12)


@numba.njit(inline="always", cache=True)
def add_scaled(slot: np.ndarray, lo: int, weights: np.ndarray, w_lo: int, n: int, d: int
               ) -> None:
    """``slot[lo + j] += weights[w_lo + j] · d`` for ``0 ≤ j < n``.

    Written on two contiguous slices indexed by the loop counter alone, so numba needs no
    negative-index fix-up per element and LLVM turns the loop into SIMD; a factor of 1
    (every rate or TTFS spike) skips the multiply.
    """
    out = slot[lo:lo + n]
    w = weights[w_lo:w_lo + n]
    if d == 1:
        for j in range(n):
            out[j] += w[j]
    else:
        for j in range(n):
            out[j] += w[j] * d


@numba.njit(inline="always", cache=True)
def first_tap(top: int, stride: int, n_out: int, k: int) -> tuple[int, int, int]:
    """Along one axis, the kernel taps ``k0, k0 + s, …, < k1`` of a source at
    ``top = position + padding`` that reach an output ``o = (top − tap) / s`` in
    ``0 ≤ o < n_out``; returns (k0, the output of k0, k1).

    ``k0`` is the least tap ``≥ top − (n_out − 1)·s`` congruent to ``top`` mod ``s``;
    ``k1 = min(k, top + 1)``. No tap reaches an output when ``k0 ≥ k1``.
    """
    k0 = top % stride
    lowest = top - (n_out - 1) * stride
    if lowest > k0:
        k0 += (lowest - k0 + stride - 1) // stride * stride
    return k0, (top - k0) // stride, min(k, top + 1)


# Inlined into the engine's spike loop: a call costs about as much as a stride-2 source's
# 34 synapses (1.6 against 1.1 ns per synapse, inlined; benchmarks/RESULTS.md, issue 14 rules).
@numba.njit(inline="always", cache=True, nogil=True)
def accumulate(kind: int, geom: np.ndarray, w_off: int, ptr_off: int, tgt_first: int,
               tgt_size: int, src: int, d: int, weights: np.ndarray, csr_ptr: np.ndarray,
               csr_idx: np.ndarray, csr_w: np.ndarray, slot: np.ndarray) -> None:
    """``slot[target] += w · d`` for every synapse of source ``src`` (population-local).

    ``slot`` is indexed in *slot order* (:func:`neurosim.engine.tables.slot_positions`):
    the target of a convolution channel-last, ``(y · W_out + x) · C_out + c``, so the
    ``C_out`` targets of one kernel tap are one contiguous run, as the kernel's
    ``(C_in, kh, kw, C_out)`` rows are; rows and compressed rows were stored with their
    target columns in the same order.
    """
    if kind == ROWS:
        add_scaled(slot, tgt_first, weights, w_off + src * tgt_size, tgt_size, d)
    elif kind == SPARSE:
        lo = csr_ptr[ptr_off + src]
        hi = csr_ptr[ptr_off + src + 1]
        out = slot[tgt_first:tgt_first + tgt_size]
        for s in range(lo, hi):
            out[np.uint32(csr_idx[s])] += np.int64(csr_w[s]) * d  # unsigned: no fix-up
    else:
        h, w = geom[G_H], geom[G_W]
        c_out, ho, wo = geom[G_COUT], geom[G_HO], geom[G_WO]
        kh, kw = geom[G_KH], geom[G_KW]
        sy, sx, py, px = geom[G_SY], geom[G_SX], geom[G_PY], geom[G_PX]
        ci = src // (h * w)
        rest = src - ci * (h * w)
        iy = rest // w
        ix = rest - iy * w
        # The taps that reach an output: ky with iy + py − ky = oy·sy, 0 ≤ oy < ho (and
        # the same along x), walked directly, with no division per tap. Integer sums do
        # not depend on their order, so the slot is that of the per-tap test.
        ky0, oy0, ky1 = first_tap(iy + py, sy, ho, kh)
        kx0, ox0, kx1 = first_tap(ix + px, sx, wo, kw)
        oy = oy0
        for ky in range(ky0, ky1, sy):
            row = tgt_first + oy * wo * c_out
            taps = w_off + (ci * kh + ky) * kw * c_out
            ox = ox0
            for kx in range(kx0, kx1, sx):
                add_scaled(slot, row + ox * c_out, weights, taps + kx * c_out, c_out, d)
                ox -= 1
            oy -= 1


@numba.njit(cache=True, nogil=True)
def list_targets(kind: int, geom: np.ndarray, w_off: int, ptr_off: int, tgt_size: int,
                 src: int, weights: np.ndarray, csr_ptr: np.ndarray, csr_idx: np.ndarray,
                 out: np.ndarray) -> int:
    """Write the population-local targets of source ``src``'s non-zero synapses into ``out``.

    Returns how many there are; ``out`` must hold the projection's largest fan-out.
    """
    n = 0
    if kind == ROWS:
        base = w_off + src * tgt_size
        for j in range(tgt_size):
            if weights[base + j] != 0:
                out[n] = j
                n += 1
    elif kind == SPARSE:
        for s in range(csr_ptr[ptr_off + src], csr_ptr[ptr_off + src + 1]):
            out[n] = csr_idx[s]
            n += 1
    else:
        h, w = geom[G_H], geom[G_W]
        c_out, ho, wo = geom[G_COUT], geom[G_HO], geom[G_WO]
        kh, kw = geom[G_KH], geom[G_KW]
        sy, sx, py, px = geom[G_SY], geom[G_SX], geom[G_PY], geom[G_PX]
        ci = src // (h * w)
        iy = (src // w) % h
        ix = src % w
        for ky in range(kh):
            ny = iy + py - ky
            if ny < 0 or ny % sy != 0 or ny // sy >= ho:
                continue
            for kx in range(kw):
                nx = ix + px - kx
                if nx < 0 or nx % sx != 0 or nx // sx >= wo:
                    continue
                kernel = w_off + ((ci * kh + ky) * kw + kx) * c_out
                for co in range(c_out):
                    if weights[kernel + co] != 0:
                        out[n] = co * ho * wo + (ny // sy) * wo + nx // sx
                        n += 1
    return n
