"""The engine's unchecked element access (neurosim.engine.unchecked) reads and writes the
same elements as numba's own indexing, for the dtypes and index types the engine uses."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from neurosim.engine.unchecked import at, put


@numba.njit(cache=True)
def _copy_through(src, dst, order):  # pragma: no cover - compiled
    """dst[order[i]] = src[order[i]] via at/put; returns the sum read by at and by []."""
    s_at = 0.0
    s_ix = 0.0
    for i in range(len(order)):
        j = order[i]
        put(dst, j, at(src, j))
        s_at += at(src, j)
        s_ix += src[j]
    return s_at, s_ix


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float64, np.uint8])
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32, np.uint64])
def test_at_put_match_indexing(dtype, index_dtype) -> None:
    rng = np.random.default_rng(0)
    src = rng.integers(0, 100, size=37).astype(dtype)
    order = rng.permutation(37).astype(index_dtype)
    dst = np.zeros_like(src)
    s_at, s_ix = _copy_through(src, dst, order)
    np.testing.assert_array_equal(dst, src)
    assert s_at == s_ix == float(src.astype(np.float64).sum())


@numba.njit(cache=True)
def _flat_rows(ent, e):  # pragma: no cover - compiled
    """Entry e's two words through a flat view, as the network's loops read them."""
    words = ent.reshape(2 * len(ent))
    times = words.view(np.float64)
    return at(times, 2 * e), at(words, 2 * e + 1)


def test_flat_view_reads_the_row() -> None:
    ent = np.zeros((5, 2), np.int64)
    ent.view(np.float64)[3, 0] = 2.5e-9
    ent[3, 1] = (7 << 24) | 5
    assert _flat_rows(ent, 3) == (2.5e-9, (7 << 24) | 5)
