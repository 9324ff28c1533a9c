"""Grouping integer keys by sorting.

NumPy 2's :func:`numpy.unique` uses hashing for integers, which on ten million keys is
tens of times slower than a sort; the compiler groups synapse pairs this way instead.
"""

from __future__ import annotations

import numpy as np


def _starts(sorted_keys: np.ndarray) -> np.ndarray:
    if not len(sorted_keys):
        return np.zeros(0, dtype=np.int64)
    new = np.empty(len(sorted_keys), dtype=bool)
    new[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    return np.flatnonzero(new)


def distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of ``keys``, ascending."""
    s = np.sort(np.asarray(keys).ravel())
    return s[_starts(s)]


def distinct_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``keys``, ascending, and how often each occurs."""
    s = np.sort(np.asarray(keys).ravel())
    starts = _starts(s)
    return s[starts], np.diff(np.append(starts, len(s))).astype(np.int64)


def group_sum(keys: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``keys``, ascending, and the sum of ``weights`` over each."""
    keys = np.asarray(keys).ravel()
    order = np.argsort(keys)
    s = keys[order]
    starts = _starts(s)
    if not len(starts):
        return s, np.zeros(0, dtype=np.asarray(weights).dtype)
    return s[starts], np.add.reduceat(np.asarray(weights)[order], starts)


def distinct_rows(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs (a[i], b[i]), sorted by a then b."""
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    if not len(a):
        return a, b
    new = np.empty(len(a), dtype=bool)
    new[0] = True
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[new], b[new]
