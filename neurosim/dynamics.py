"""The neuron dynamics, each written once, and the numbers that name them.

Every simulator of the package steps a neuron with these functions: the event engine's
kernel (:mod:`neurosim.engine.kernel`) calls them compiled by numba on scalars, and the
numpy simulators (:mod:`neurosim.snn.neuron`, :mod:`neurosim.coding.fs`) call the very same
Python source (``f.py_func``) on whole arrays, so the equations cannot drift apart. They
work for either dtype (int64 in integer mode, float64 in ideal mode).

The module sits below every stage (it imports nothing of neurosim) because the spike codes
(:mod:`neurosim.coding`) and the SNN and the engine all use it.
"""

from __future__ import annotations

import numba
import numpy as np

# Dynamics of a population, as the engine tables store them (Population.dynamics).
DYNAMICS_FS = 0
DYNAMICS_IF = 1
DYNAMICS_POISSON = 2
DYNAMICS = ("fs", "if", "poisson")
"""Population.dynamics names, indexed by the DYNAMICS_* numbers."""

# Role of a population (Population.role).
ROLE_INPUT = 0
ROLE_HIDDEN = 1
ROLE_OUTPUT = 2
ROLES = ("input", "hidden", "output")
"""Population.role names, indexed by the ROLE_* numbers."""


@numba.njit(inline="always", cache=True)
def window_position(t, offset, window, n_images):
    """Where a population whose first window opens at step ``offset`` is at global step ``t``.

    ``image = ⌊(t − offset) / window⌋``, ``k = (t − offset) − image · window`` (so
    ``0 ≤ k < window``), and it is *in its window* when ``0 ≤ image < n_images``.
    Returns (image, k, in_window).
    """
    rel = t - offset
    image = rel // window
    k = rel - image * window
    return image, k, image >= 0 and image < n_images


@numba.njit(inline="always", cache=True)
def fs_fire(v, threshold, reset):
    """FS (and TTFS) firing at one step: ``z = [v > T]``, ``v ← v − h·z``; returns (v, z)."""
    z = v > threshold
    return v - reset * z, z


@numba.njit(inline="always", cache=True)
def if_fire(v, drive, threshold, reset, strict=False):
    """Integrate-and-fire at one step: ``v ← v + drive``, ``z = [v ≥ θ]``, ``v ← v − θ·z``.

    ``drive`` is the synaptic input plus the bias; the caller zeroes ``v`` at the start of
    a window. ``strict`` fires on ``v > θ`` instead (the chip's ``core.threshold_compare:
    gt``, SANA-FE's rule; written out here, not as a helper, because the numpy simulators
    run this function's Python source on arrays). Returns (v, z).
    """
    v = v + drive
    z = (v > threshold) if strict else (v >= threshold)
    return v - reset * z, z


@numba.njit(inline="always", cache=True)
def poisson_fire(uniform, drive, threshold):
    """Poisson firing at one step: fire with probability ``drive / T`` given ``uniform`` in [0, 1)."""
    return uniform * threshold < drive


# Reset modes of a leaky neuron (Population.reset_mode), indexed as snn.network.RESET_MODES.
RESET_SUBTRACT = 0
RESET_VALUE = 1
RESET_NONE = 2


@numba.njit(inline="always", cache=True)
def leak_decay(v, leak):
    """Loihi's decay of an integer ``v`` by ``leak``/4096 per step: ``trunc(v·(4096 − leak)/4096)``.

    The decayed value is rounded toward zero, ``sign(p)·(|p| >> 12)`` with
    ``p = v·(4096 − leak)``, as in Lava's bit-accurate Loihi LIF. (An integer network
    simulated in float64 holding integers gets the same numbers.)
    """
    p = v * (4096 - leak)
    return np.sign(p) * (np.abs(p) // 4096)


def leak_decay_ideal(v, leak):  # type: ignore[no-untyped-def]
    """The decay of an ideal (float) ``v``: ``v·(4096 − leak)/4096``, exact."""
    return v * ((4096 - leak) / 4096.0)


@numba.njit(inline="always", cache=True)
def lif_fire(v, decayed, r, drive, threshold, reset, reset_mode, reset_value, refractory,
             strict=False):
    """Leaky integrate-and-fire at one step; returns (v, r, z).

    ``decayed`` is ``λ(v)``, :func:`leak_decay` (integer) or :func:`leak_decay_ideal`. A
    neuron whose refractory count ``r > 0`` counts down and drops ``drive`` (``v`` held, no
    spike). Otherwise ``v ← λ(v) + drive``, ``z = [v ≥ θ]`` and on a spike
    ``v ← v − reset`` (RESET_SUBTRACT), ``reset_value`` (RESET_VALUE) or ``v``
    (RESET_NONE), and ``r ← refractory``; ``strict`` compares ``u > θ`` (:func:`if_fire`).
    The caller zeroes ``v`` and ``r`` at a window's start unless the population is
    persistent. Works on scalars and on arrays.
    """
    free = r <= 0
    u = decayed + drive
    z = ((u > threshold) if strict else (u >= threshold)) & free
    if reset_mode == RESET_SUBTRACT:
        u = u - reset * z
    elif reset_mode == RESET_VALUE:
        u = u - (u - reset_value) * z
    v = v + (u - v) * free
    r = refractory * z + (r - 1) * (1 - free)
    return v, r, z
