"""What a projection connects: its effect on a batch, and its synapses when expanded.

Convolutional projections keep one shared kernel; :func:`conv_synapses` expands them into
explicit (source, target, weight) lists only for a consumer that needs them (a chip
without weight sharing, or the event engine's synapse tables).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numba
import numpy as np

from neurosim.ann import ops

if TYPE_CHECKING:  # network.py imports this module; the type is for annotations only
    from neurosim.snn.network import Projection


def conv_output_shape(proj: Projection, source_shape: tuple[int, ...]) -> tuple[int, int, int]:
    _, h, w = source_shape
    kh, kw = proj.kernel_size
    ho = (h + 2 * proj.padding[0] - kh) // proj.stride[0] + 1
    wo = (w + 2 * proj.padding[1] - kw) // proj.stride[1] + 1
    return (int(proj.weight.shape[0]), int(ho), int(wo))


# Below this fraction of non-zero source values, scattering each one's synapses beats a
# dense matrix product (spike trains of the rate code are mostly zeros).
_SPARSE_DENSITY = 0.35
# Per projection: conv taps (conv_taps) or the transposed dense matrix, as float64.
_prepared: weakref.WeakKeyDictionary[Projection, tuple[np.ndarray, ...]] = (
    weakref.WeakKeyDictionary())


def conv_taps(proj: Projection, source_shape: tuple[int, ...]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each source pixel, the (kernel tap, output pixel) pairs it reaches, sorted by pixel.

    Returns ``(start, kernel, target)``: source pixel ``p`` (``y·W + x``) reaches output
    pixel ``target[s]`` through kernel tap ``kernel[s]`` (``ky·kw + kx``) for each ``s``
    in ``start[p]:start[p+1]``. A source pixel reaches an output pixel through one tap at
    most, so these pairs and a channel pair name each synapse once.
    """
    _, height, width = source_shape
    _, out_h, out_w = conv_output_shape(proj, source_shape)
    kh, kw = proj.kernel_size
    oy, ox, ky, kx = np.meshgrid(np.arange(out_h), np.arange(out_w), np.arange(kh),
                                 np.arange(kw), indexing="ij")
    y = oy * proj.stride[0] - proj.padding[0] + ky
    x = ox * proj.stride[1] - proj.padding[1] + kx
    keep = (y >= 0) & (y < height) & (x >= 0) & (x < width)
    pixel = (y * width + x)[keep]
    order = np.argsort(pixel, kind="stable")
    start = np.zeros(height * width + 1, dtype=np.int64)
    np.cumsum(np.bincount(pixel, minlength=height * width), out=start[1:])
    kernel = (ky * kw + kx)[keep][order].astype(np.int64)
    target = (oy * out_w + ox)[keep][order].astype(np.int64)
    return start, kernel, target


def _prepare(proj: Projection, source_shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    prepared = _prepared.get(proj)
    if prepared is None:
        if proj.kind == "conv":
            c_out, c_in, kh, kw = proj.weight.shape
            weight = np.ascontiguousarray(proj.weight.astype(np.float64)
                                          .transpose(1, 2, 3, 0).reshape(c_in, kh * kw, c_out))
            prepared = (*conv_taps(proj, source_shape), weight)
        else:
            prepared = (np.ascontiguousarray(proj.weight.astype(np.float64).T),)
        _prepared[proj] = prepared
    return prepared


@numba.njit(nogil=True, cache=True)
def _scatter_dense(weight_t: np.ndarray, values: np.ndarray,
                   out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out[b, j] += w_ji · values[b, i]`` over the non-zero values and weights, sources
    in ascending order (each target's float sum is taken in that order)."""
    for b in range(values.shape[0]):
        for i in range(values.shape[1]):
            v = values[b, i]
            if v != 0.0:
                row = weight_t[i]
                for j in range(row.shape[0]):
                    if row[j] != 0.0:
                        out[b, j] += row[j] * v


@numba.njit(nogil=True, cache=True)
def _scatter_conv(start: np.ndarray, kernel: np.ndarray, target: np.ndarray, weight: np.ndarray,
                  pixels_in: int, pixels_out: int, values: np.ndarray,
                  out: np.ndarray) -> None:  # pragma: no cover - compiled
    """A convolution of (B, C_in·H·W) values through the shared kernel ``weight``
    (C_in, kh·kw, C_out), non-zero values and weights only, sources in ascending order."""
    for b in range(values.shape[0]):
        for i in range(values.shape[1]):
            v = values[b, i]
            if v == 0.0:
                continue
            c = i // pixels_in
            pixel = i - c * pixels_in
            for s in range(start[pixel], start[pixel + 1]):
                taps = weight[c, kernel[s]]
                for o in range(taps.shape[0]):
                    if taps[o] != 0.0:
                        out[b, o * pixels_out + target[s]] += taps[o] * v


def propagate(proj: Projection, values: np.ndarray, source_shape: tuple[int, ...]) -> np.ndarray:
    """Input to the target, shape (B, target size), from source values of shape (B, source size).

    For a spike train this is ``Σ_i w_ji · values_i``; computed in float64, which is exact
    for the integers the converter produces (their sums stay below 2**53). Sparse inputs are
    scattered source by source through the projection's own weights (a convolution's shared
    kernel, never an expanded synapse list), dense ones go through a matrix product.
    """
    batch = values.shape[0]
    if values.size and np.count_nonzero(values) < _SPARSE_DENSITY * values.size:
        values = np.ascontiguousarray(values, dtype=np.float64)
        prepared = _prepare(proj, source_shape)
        if proj.kind == "dense":
            out = np.zeros((batch, proj.weight.shape[0]))
            _scatter_dense(prepared[0], values, out)
        else:
            shape = conv_output_shape(proj, source_shape)
            out = np.zeros((batch, int(np.prod(shape))))
            _scatter_conv(*prepared, int(np.prod(source_shape[1:])), shape[1] * shape[2],
                          values, out)
        return out
    if proj.kind == "dense":
        return values @ proj.weight.T.astype(np.float64)
    x = values.reshape((batch, *source_shape)).astype(np.float64)
    out = ops.conv2d(x, proj.weight.astype(np.float64), None, proj.stride, proj.padding)
    return out.reshape(batch, -1)


def _conv_pairs_1d(size: int, out_size: int, kernel: int, stride: int, pad: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (input position, output position, kernel offset) triples along one axis."""
    o = np.repeat(np.arange(out_size), kernel)
    k = np.tile(np.arange(kernel), out_size)
    i = o * stride - pad + k
    keep = (i >= 0) & (i < size)
    return i[keep], o[keep], k[keep]


def conv_synapses(proj: Projection, source_shape: tuple[int, ...]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Explicit synapses of a conv projection: (source index, target index, weight), flat C order."""
    c_in, h, w = source_shape
    c_out, ho, wo = conv_output_shape(proj, source_shape)
    kh, kw = proj.kernel_size
    iy, oy, ky = _conv_pairs_1d(h, ho, kh, proj.stride[0], proj.padding[0])
    ix, ox, kx = _conv_pairs_1d(w, wo, kw, proj.stride[1], proj.padding[1])
    # Every combination of a row triple and a column triple is one spatial tap.
    sy, sx = np.meshgrid(np.arange(len(iy)), np.arange(len(ix)), indexing="ij")
    sy, sx = sy.ravel(), sx.ravel()
    src_pix = iy[sy] * w + ix[sx]
    tgt_pix = oy[sy] * wo + ox[sx]
    co, ci = np.meshgrid(np.arange(c_out), np.arange(c_in), indexing="ij")
    co, ci = co.ravel(), ci.ravel()
    src = (ci[:, None] * (h * w) + src_pix[None, :]).ravel()
    tgt = (co[:, None] * (ho * wo) + tgt_pix[None, :]).ravel()
    wgt = proj.weight[co[:, None], ci[:, None], ky[sy][None, :], kx[sx][None, :]].ravel()
    keep = wgt != 0
    return src[keep].astype(np.int64), tgt[keep].astype(np.int64), wgt[keep]


def synapses(proj: Projection, source_shape: tuple[int, ...]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Explicit non-zero synapses of any projection: (source index, target index, weight)."""
    if proj.kind == "conv":
        return conv_synapses(proj, source_shape)
    tgt, src = np.nonzero(proj.weight)
    return src.astype(np.int64), tgt.astype(np.int64), proj.weight[tgt, src]


def conv_synapse_count(proj: Projection, source_shape: tuple[int, ...]) -> int:
    """Number of non-zero explicit synapses of a conv projection, without expanding it."""
    _, h, w = source_shape
    _, ho, wo = conv_output_shape(proj, source_shape)
    kh, kw = proj.kernel_size
    ky = _conv_pairs_1d(h, ho, kh, proj.stride[0], proj.padding[0])[2]
    kx = _conv_pairs_1d(w, wo, kw, proj.stride[1], proj.padding[1])[2]
    taps_y = np.bincount(ky, minlength=kh)  # how often each kernel row is used
    taps_x = np.bincount(kx, minlength=kw)
    nonzero = (proj.weight != 0).astype(np.int64)  # (C_out, C_in, kh, kw)
    return int(np.einsum("oiyx,y,x->", nonzero, taps_y, taps_x))
