"""Synapse rows by target and the counts taken from them, against the expanded synapse
list of :func:`neurosim.snn.connectivity.synapses` counted one synapse at a time."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim.compiler.rows import (
    AxonReach,
    concat_rows,
    distinct_per_row,
    group_members,
    mark_sources,
    projection_rows,
    range_axons,
    rows_unit_pairs,
)
from neurosim.snn.connectivity import conv_output_shape, synapses
from neurosim.snn.network import Projection

FIRST = 7  # the source population's first neuron, network-wide


@st.composite
def projections(draw):
    """A random conv (any stride and padding, some zero taps) or dense projection."""
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    zeros = draw(st.floats(0.0, 0.9))
    if draw(st.booleans()):
        n_src, n_tgt = draw(st.integers(1, 30)), draw(st.integers(1, 12))
        weight = rng.integers(-3, 4, (n_tgt, n_src)) * (rng.random((n_tgt, n_src)) >= zeros)
        return Projection("p", "a", "b", "dense", weight.astype(np.float64)), (n_src,), rng
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kernel, stride, pad = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h, w = draw(st.integers(kernel, 7)), draw(st.integers(kernel, 7))
    weight = rng.integers(-3, 4, (c_out, c_in, kernel, kernel)) * (
        rng.random((c_out, c_in, kernel, kernel)) >= zeros)
    proj = Projection("p", "a", "b", "conv", weight.astype(np.float64), (stride, stride), (pad, pad))
    return proj, (c_in, h, w), rng


def _listed(proj, shape):
    src, tgt, _ = synapses(proj, shape)
    n_tgt = proj.weight.shape[0] if proj.kind == "dense" else int(np.prod(conv_output_shape(proj, shape)))
    return src + FIRST, tgt, n_tgt


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=projections(), n_units=st.integers(1, 6), cap=st.integers(1, 20))
def test_rows_and_their_counts_equal_the_expanded_synapses(case, n_units, cap):
    proj, shape, rng = case
    src, tgt, n_tgt = _listed(proj, shape)
    rows = projection_rows(proj, shape, FIRST)
    assert rows.n_targets == n_tgt
    # Each row: its target's sources, ascending (what bisection in select relies on).
    for t in range(n_tgt):
        row = rows.src[rows.indptr[t]:rows.indptr[t + 1]]
        assert row.tolist() == sorted(src[tgt == t].tolist())
    n_ids = FIRST + int(np.prod(shape))
    assert mark_sources([rows], n_ids).tolist() == sorted(set(src.tolist()))
    assert distinct_per_row(rows, n_ids).tolist() == [len(set(src[tgt == t])) for t in range(n_tgt)]
    # Sources of a range, a selection, row sums and (source, unit) pairs.
    lo, hi = FIRST + int(rng.integers(0, n_ids - FIRST)), FIRST + int(rng.integers(0, n_ids - FIRST + 1))
    picked = np.sort(rng.choice(n_tgt, size=int(rng.integers(0, n_tgt + 1)), replace=False))
    sel = rows.select(lo, hi, picked)
    for i, t in enumerate(picked):
        keep = (tgt == t) & (src >= lo) & (src < hi)
        assert sel.src[sel.indptr[i]:sel.indptr[i + 1]].tolist() == sorted(src[keep].tolist())
    values = rng.random(n_ids)
    np.testing.assert_allclose(rows.row_sums(values), np.bincount(tgt, weights=values[src],
                                                                  minlength=n_tgt))
    unit = rng.integers(0, n_units, n_tgt)
    pairs: dict[tuple[int, int], int] = {}
    for s, t in zip(src, tgt):
        pairs[(int(s), int(unit[t]))] = pairs.get((int(s), int(unit[t])), 0) + 1
    got_s, got_u, got_c = rows_unit_pairs(rows, unit)
    assert list(zip(got_s.tolist(), got_u.tolist(), got_c.tolist())) == [
        (s, u, c) for (s, u), c in sorted(pairs.items())]
    cuts = np.unique(np.r_[0, rng.integers(0, n_tgt + 1, 3), n_tgt])
    assert range_axons(rows, cuts, n_ids).tolist() == [
        len(set(src[(tgt >= a) & (tgt < b)])) for a, b in pairwise(cuts)]
    # The greedy reach: the largest b with at most cap distinct sources in [a, b).
    reach = AxonReach(rows, n_ids)
    for a in range(0, n_tgt, max(1, n_tgt // 3)):
        want = max(b for b in range(a, n_tgt + 1) if len(set(src[(tgt >= a) & (tgt < b)])) <= cap)
        assert reach(a, n_tgt, cap) == want


def test_group_members_and_concatenation_by_hand():
    # Two projections over three targets; sources 0-9, groups cut at 4 and 8.
    a = projection_rows(Projection("p", "a", "b", "dense", np.array(
        [[1, 0, 0, 0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0, 0, 1]],
        dtype=np.float64)), (10,), 0)
    b = projection_rows(Projection("q", "c", "b", "dense", np.array([[0, 1], [1, 0], [0, 0]],
                                                                    dtype=np.float64)), (2,), 10)
    assert group_members([a], np.array([4, 8])).tolist() == [
        [True, True, False], [False, False, False], [True, False, True]]
    both = concat_rows([a, b])
    assert [both.src[both.indptr[t]:both.indptr[t + 1]].tolist() for t in range(3)] == [
        [0, 5, 11], [10], [2, 9]]
    assert group_members([a, b], np.array([4, 8, 10])).tolist() == [
        [True, True, False, True], [False, False, False, True], [True, False, True, False]]
