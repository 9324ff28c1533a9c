"""Batched numpy kernels for the linear layers (shared by the ANN and the SNN simulators).

All take a batch on the first axis. They compute in the dtype they are given: float64
arrays holding integers stay exact as long as every partial sum stays below 2**53, which
the SNN converter checks.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# Rows of the im2col matrix processed at once, to bound memory on large batches.
_CHUNK_ELEMENTS = 1 << 24


def _windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """View of shape (B, C, Ho, Wo, kh, kw) over the kernel-sized windows of ``x``."""
    view = sliding_window_view(x, kernel, axis=(2, 3))
    return view[:, :, :: stride[0], :: stride[1]]


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None,
           stride: tuple[int, int], padding: tuple[int, int]) -> np.ndarray:
    """Cross-correlation of ``x`` (B, C, H, W) with ``weight`` (O, C, kh, kw), plus ``bias``."""
    ph, pw = padding
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out_c, in_c, kh, kw = weight.shape
    win = _windows(x, (kh, kw), stride)
    batch, _, ho, wo = win.shape[:4]
    w2 = weight.reshape(out_c, in_c * kh * kw).T
    out = np.empty((batch, ho, wo, out_c), dtype=np.result_type(x, weight))
    per_sample = ho * wo * in_c * kh * kw
    step = max(1, _CHUNK_ELEMENTS // max(per_sample, 1))
    for start in range(0, batch, step):
        cols = win[start:start + step].transpose(0, 2, 3, 1, 4, 5).reshape(-1, in_c * kh * kw)
        out[start:start + step] = (cols @ w2).reshape(-1, ho, wo, out_c)
    out = out.transpose(0, 3, 1, 2)
    if bias is not None:  # per channel (O,) or a bias map (O, Ho, Wo)
        out = out + (bias.reshape(1, -1, 1, 1) if bias.ndim == 1 else bias[None])
    return np.ascontiguousarray(out)


def avg_pool2d(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Mean over each kernel window of ``x`` (B, C, H, W), no padding."""
    return _windows(x, kernel, stride).mean(axis=(4, 5))


def max_pool2d(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Maximum over each kernel window of ``x`` (B, C, H, W), no padding."""
    return _windows(x, kernel, stride).max(axis=(4, 5))
