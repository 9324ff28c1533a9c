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
    stored once, never expanded.

:func:`accumulate` adds ``w · d`` for every synapse of one source neuron into a ring slot;
:func:`list_targets` lists the non-zero synapses of one source neuron (used once, to build
the per-core synapse counts that time the packets). Both walk the same geometry as
:func:`neurosim.snn.connectivity.conv_synapses`, which the tests hold them to.
"""

from __future__ import annotations

import numba
import numpy as np

ROWS, SPARSE, CONV = 0, 1, 2
# Columns of the projection geometry table.
(G_CIN, G_H, G_W, G_COUT, G_HO, G_WO, G_KH, G_KW, G_SY, G_SX, G_PY, G_PX) = range(12)


@numba.njit(cache=True, nogil=True)
def accumulate(kind: int, geom: np.ndarray, w_off: int, ptr_off: int, tgt_first: int,
               tgt_size: int, src: int, d: int, weights: np.ndarray, csr_ptr: np.ndarray,
               csr_idx: np.ndarray, csr_w: np.ndarray, slot: np.ndarray) -> None:
    """``slot[target] += w · d`` for every synapse of source ``src`` (population-local)."""
    if kind == ROWS:
        base = w_off + src * tgt_size
        for j in range(tgt_size):
            slot[tgt_first + j] += np.int64(weights[base + j]) * d
    elif kind == SPARSE:
        lo = csr_ptr[ptr_off + src]
        hi = csr_ptr[ptr_off + src + 1]
        for s in range(lo, hi):
            slot[tgt_first + csr_idx[s]] += np.int64(csr_w[s]) * d
    else:
        h, w = geom[G_H], geom[G_W]
        c_out, ho, wo = geom[G_COUT], geom[G_HO], geom[G_WO]
        kh, kw = geom[G_KH], geom[G_KW]
        sy, sx, py, px = geom[G_SY], geom[G_SX], geom[G_PY], geom[G_PX]
        ci = src // (h * w)
        iy = (src // w) % h
        ix = src % w
        plane = ho * wo
        for ky in range(kh):
            ny = iy + py - ky
            if ny < 0 or ny % sy != 0 or ny // sy >= ho:
                continue
            for kx in range(kw):
                nx = ix + px - kx
                if nx < 0 or nx % sx != 0 or nx // sx >= wo:
                    continue
                target = tgt_first + (ny // sy) * wo + nx // sx
                kernel = w_off + ((ci * kh + ky) * kw + kx) * c_out
                for co in range(c_out):
                    slot[target + co * plane] += np.int64(weights[kernel + co]) * d


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
