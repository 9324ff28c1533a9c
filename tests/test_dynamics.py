"""The one definition of each neuron's dynamics: compiled and numpy forms agree, by hand too."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.dynamics import fs_fire, if_fire, poisson_fire

ints = st.integers(-(1 << 40), 1 << 40)


def test_hand_worked_steps() -> None:
    # FS fires strictly above the threshold, IF at or above it.
    assert fs_fire(5, 4, 3) == (2, True)
    assert fs_fire(4, 4, 3) == (4, False)
    assert if_fire(1, 3, 4, 4) == (0, True)
    assert if_fire(1, 2, 4, 4) == (3, False)
    assert poisson_fire(0.25, 1.0, 2.0) is True   # 0.25·2 < 1
    assert poisson_fire(0.5, 1.0, 2.0) is False   # 0.5·2 = 1, not below


@settings(max_examples=200, deadline=None)
@given(v=st.lists(ints, min_size=1, max_size=20), drive=ints, threshold=ints, reset=ints)
def test_compiled_equals_numpy_on_integers(v: list[int], drive: int, threshold: int,
                                           reset: int) -> None:
    """The numba scalar form, element by element, equals the numpy array form."""
    arr = np.array(v, dtype=np.int64)
    for fire, args in ((fs_fire, (threshold, reset)), (if_fire, (drive, threshold, reset))):
        vec_v, vec_z = fire.py_func(arr, *args)
        for i, x in enumerate(arr):
            one_v, one_z = fire(x, *args)
            assert (one_v, one_z) == (vec_v[i], vec_z[i])


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), threshold=st.floats(0.1, 100.0))
def test_compiled_equals_numpy_on_floats(seed: int, threshold: float) -> None:
    rng = np.random.default_rng(seed)
    v, drive, u = rng.normal(0, 50, 16), rng.normal(0, 50, 16), rng.random(16)
    reset = float(rng.normal(0, 10))
    vec = [fs_fire.py_func(v, threshold, reset), if_fire.py_func(v, drive, threshold, reset)]
    for i in range(16):
        assert fs_fire(v[i], threshold, reset) == (vec[0][0][i], vec[0][1][i])
        assert if_fire(v[i], drive[i], threshold, reset) == (vec[1][0][i], vec[1][1][i])
    z = poisson_fire.py_func(u, np.abs(drive), threshold)
    assert [poisson_fire(u[i], abs(drive[i]), threshold) for i in range(16)] == list(z)

