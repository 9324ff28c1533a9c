"""One step of a neuron, as pure functions of (state, input, step, parameters).

These are the equations of :mod:`neurosim.snn.network` for numpy arrays of any shape and
either dtype (int64 in integer mode, float64 in ideal mode). Each one evaluates the single
definition in :mod:`neurosim.dynamics` on arrays; the event engine compiles the same
definition with numba, so both step a neuron by one source.
"""

from __future__ import annotations

import numpy as np

from neurosim.dynamics import fs_fire, if_fire, leak_decay, leak_decay_ideal, lif_fire, poisson_fire
from neurosim.snn.network import Population


def fs_step(v: np.ndarray, k: int, pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """FS (and TTFS) firing at window step ``k``: ``z = [v > T(k)]``, ``v ← v − h(k)·z``."""
    return fs_fire.py_func(v, pop.threshold[k], pop.reset[k])


def if_step(v: np.ndarray, drive: np.ndarray, k: int, pop: Population, strict: bool = False
            ) -> tuple[np.ndarray, np.ndarray]:
    """Integrate-and-fire at window step ``k``: ``v ← v + drive``, ``z = [v ≥ θ]``, ``v ← v − θ·z``.

    ``drive`` is the synaptic input plus the bias; the caller zeroes ``v`` at ``k == 0``.
    ``strict``: ``z = [v > θ]`` (the chip's ``threshold_compare: gt``).
    """
    return if_fire.py_func(v, drive, pop.threshold[k], pop.reset[k], strict)


def lif_step(v: np.ndarray, r: np.ndarray, drive: np.ndarray, k: int, pop: Population,
             integer: bool, strict: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The neuron-model IF step (leak, reset mode, refractory) at window step ``k``.

    Returns (v, r, z); see :func:`neurosim.dynamics.lif_fire`. With the default fields it
    equals :func:`if_step`. The caller zeroes ``v`` and ``r`` at ``k == 0`` unless
    ``pop.persistent``. ``strict`` as in :func:`if_step`.
    """
    if pop.plain_if:
        v, z = if_step(v, drive, k, pop, strict)
        return v, r, z
    return lif_fire.py_func(v, decay(v, pop, integer), r, drive, pop.threshold[k],
                            pop.reset[k], pop.reset_code, pop.reset_value, pop.refractory,
                            strict)


def decay(v: np.ndarray, pop: Population, integer: bool) -> np.ndarray:
    """``λ(v)``: the population's leak, Loihi's integer rule or the exact ideal one."""
    if pop.leak == 0:
        return v
    return leak_decay.py_func(v, pop.leak) if integer else leak_decay_ideal(v, pop.leak)


def integrate_step(v: np.ndarray, drive: np.ndarray, pop: Population, integer: bool
                   ) -> np.ndarray:
    """A non-firing (output) IF neuron at one step: ``v ← λ(v) + drive`` (a leaky integrator)."""
    return decay(v, pop, integer) + drive


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """A 64-bit mixing function (Steele, Lea & Flood 2014): a counter in, uniform bits out."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def uniform_draws(seed: int, image: np.ndarray, k: int, size: int) -> np.ndarray:
    """Uniform numbers in [0, 1) for (image, step k, neuron 0..size−1): shape (len(image), size)."""
    image = np.asarray(image, dtype=np.uint64).reshape(-1, 1)
    neuron = np.arange(size, dtype=np.uint64).reshape(1, -1)
    with np.errstate(over="ignore"):
        counter = _splitmix64(np.uint64(seed) ^ _splitmix64(image ^ (np.uint64(k) << np.uint64(40))))
        bits = _splitmix64(counter + neuron)
    return (bits >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def poisson_step(drive: np.ndarray, k: int, pop: Population, image: np.ndarray, seed: int
                 ) -> np.ndarray:
    """Poisson input at window step ``k``: fire with probability ``drive / T(k)``.

    ``drive`` has shape (len(image), n); the draws depend only on (seed, image, k, neuron).
    """
    u = uniform_draws(seed, image, k, drive.shape[-1])
    return poisson_fire.py_func(u, drive, pop.threshold[k])
