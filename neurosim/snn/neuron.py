"""One step of a neuron, as pure functions of (state, input, step, parameters).

These are the equations of :mod:`neurosim.snn.network` written once for numpy arrays of
any shape and either dtype (int64 in integer mode, float64 in ideal mode). The event
engine repeats them in numba and is tested to give identical spikes.
"""

from __future__ import annotations

import numpy as np

from neurosim.snn.network import Population


def fs_step(v: np.ndarray, k: int, pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """FS (and TTFS) firing at window step ``k``: ``z = [v > T(k)]``, ``v ← v − h(k)·z``."""
    z = v > pop.threshold[k]
    return v - pop.reset[k] * z, z


def if_step(v: np.ndarray, drive: np.ndarray, k: int, pop: Population
            ) -> tuple[np.ndarray, np.ndarray]:
    """Integrate-and-fire at window step ``k``: ``v ← v + drive``, ``z = [v ≥ θ]``, ``v ← v − θ·z``.

    ``drive`` is the synaptic input plus the bias; the caller zeroes ``v`` at ``k == 0``.
    """
    v = v + drive
    z = v >= pop.threshold[k]
    return v - pop.reset[k] * z, z
