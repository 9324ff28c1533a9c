"""Synapse pairs by unit without expanding synapses: equal to counting the expanded list."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim.compiler.pairs import unit_pairs
from neurosim.compiler.route import count_pairs
from neurosim.snn.connectivity import conv_output_shape, synapses
from neurosim.snn.network import Projection


def _expanded(proj, shape, unit_of_target, n_units):
    src, tgt, _ = synapses(proj, shape)
    return count_pairs(src, unit_of_target[tgt], n_units)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), c_in=st.integers(1, 4), c_out=st.integers(1, 5),
       size=st.integers(1, 9), kernel=st.integers(1, 4), stride=st.integers(1, 3),
       pad=st.integers(0, 2), zeros=st.floats(0.0, 0.9), n_units=st.integers(1, 12))
def test_conv_pairs_equal_the_expanded_count(seed, c_in, c_out, size, kernel, stride, pad, zeros,
                                             n_units):
    rng = np.random.default_rng(seed)
    if size + 2 * pad < kernel:
        return
    weight = rng.integers(-3, 4, size=(c_out, c_in, kernel, kernel)) * (rng.random(
        (c_out, c_in, kernel, kernel)) >= zeros)
    proj = Projection("p", "a", "b", "conv", weight.astype(np.float64), (stride, stride), (pad, pad))
    shape = (c_in, size, size + 1) if size + 1 + 2 * pad >= kernel else (c_in, size, size)
    n_target = int(np.prod(conv_output_shape(proj, shape)))
    unit_of_target = rng.integers(0, n_units, size=n_target)
    got = unit_pairs(proj, shape, unit_of_target, n_units)
    want = _expanded(proj, shape, unit_of_target, n_units)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_src=st.integers(1, 30), n_tgt=st.integers(1, 30),
       zeros=st.floats(0.0, 0.95), n_units=st.integers(1, 8))
def test_dense_pairs_equal_the_expanded_count(seed, n_src, n_tgt, zeros, n_units):
    rng = np.random.default_rng(seed)
    weight = rng.normal(size=(n_tgt, n_src)) * (rng.random((n_tgt, n_src)) >= zeros)
    proj = Projection("p", "a", "b", "dense", weight)
    unit_of_target = rng.integers(0, n_units, size=n_tgt)
    got = unit_pairs(proj, (n_src,), unit_of_target, n_units)
    want = _expanded(proj, (n_src,), unit_of_target, n_units)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
