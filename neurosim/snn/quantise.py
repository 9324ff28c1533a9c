"""From ANN units to the integers a chip computes with.

A converted network is first built in the ANN's own units (ideal mode). Quantising it
chooses, per population, the value of one unit of its potential (``unit``) and of one unit
of its output weight (``out_unit``), so that every weight fits ``weight_bits`` and every
output weight ``sequence_bits`` (signed), and rounds everything to integers:

* ``d_int(k) = round(d(k) / s_d)``: ``s_d`` is exact when ``d`` is a multiple of one value
  (rate: all equal; TTFS: ``T − k``; ReLU-FS: powers of two, while ``2^(K−1) < 2^(b−1)``),
  else ``max|d| / (2^(b−1) − 1)``;
* ``w_int = round(w · s_d / u)`` with ``u = max over incoming projections of s_w · s_d``,
  where ``s_w = max|w| / (2^(b−1) − 1)``;
* thresholds, resets and biases ``round(x / u)``.

Potentials are then sums of integer products; the simulators hold them in int64 (and
compute projections in float64, exact below 2^53, which :func:`check_exact` enforces).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from neurosim.coding import code_info
from neurosim.errors import NeurosimError
from neurosim.snn.network import SNN, Population, Projection


@dataclass(frozen=True)
class Precision:
    """Bit widths of the integer network; ``integer=False`` is the ideal float mode."""

    integer: bool = True
    weight_bits: int = 8
    sequence_bits: int = 16
    input_bits: int = 12

    def __post_init__(self) -> None:
        for name in ("weight_bits", "sequence_bits", "input_bits"):
            bits = getattr(self, name)
            if not isinstance(bits, int) or not 2 <= bits <= 32:
                raise NeurosimError(f"{name} = {bits} is outside 2…32", fix="use e.g. 8 or 16")

    @classmethod
    def ideal(cls) -> Precision:
        return cls(integer=False)


# Largest ratio between thresholds for which the input unit keeps them exact (thresholds
# live in the potential register, not in a spike payload).
_THRESHOLD_BITS = 32


def _max_int(bits: int) -> int:
    return 2 ** (bits - 1) - 1


def _out_weight_scale(d: np.ndarray, bits: int) -> float:
    magnitude = np.abs(d[np.isfinite(d) & (d != 0)])
    if magnitude.size == 0:
        return 1.0
    step = magnitude.min()
    ratios = magnitude / step
    if ratios.max() <= _max_int(bits) and np.allclose(ratios, np.rint(ratios), rtol=0, atol=1e-9):
        return float(step)
    return float(magnitude.max() / _max_int(bits))


def _weight_scale(weight: np.ndarray, bits: int) -> float:
    top = float(np.abs(weight).max()) if weight.size else 0.0
    return top / _max_int(bits) if top > 0 else 1.0


def _round(x: np.ndarray) -> np.ndarray:
    """Round to int64, keeping +inf (the "never"/"silence" marker) for :func:`make_finite`."""
    x = np.asarray(x, dtype=np.float64)
    out = np.where(np.isfinite(x), np.rint(x), 0).astype(np.int64)
    return np.where(np.isposinf(x), np.iinfo(np.int64).max, out)


def quantise(snn: SNN, precision: Precision, input_range: tuple[float, float]) -> SNN:
    """The integer network for an ideal (ANN-unit) one; sequences may hold ±inf markers."""
    s_d = {p.name: _out_weight_scale(p.out_weight, precision.sequence_bits)
           for p in snn.populations if p.spiking}
    s_w = {q.name: _weight_scale(q.weight, precision.weight_bits) for q in snn.projections}
    unit: dict[str, float] = {}
    for pop in snn.populations:
        if pop.role == "input":
            # Fine enough for the thresholds (exact when they share a step: they live in
            # the potential register, not in a spike payload) and for input_bits of
            # resolution below the largest threshold.
            finite = pop.threshold[np.isfinite(pop.threshold)]
            top = float(np.abs(finite).max(initial=0.0)) or 1.0
            step = _out_weight_scale(finite, _THRESHOLD_BITS)
            # A whole fraction of the step, so the thresholds stay exact.
            unit[pop.name] = step / np.ceil(step * 2 ** precision.input_bits / top)
        else:
            unit[pop.name] = max(s_w[q.name] * s_d[q.source] for q in snn.incoming(pop.name))
    projections = []
    for q in snn.projections:
        # unit ≥ s_w · s_d of every incoming projection, so |w| ≤ 2^(b−1) − 1 by construction.
        projections.append(replace(q, weight=_round(q.weight * s_d[q.source] / unit[q.target])))
    populations = []
    for pop in snn.populations:
        u = unit[pop.name]
        populations.append(replace(
            pop,
            threshold=_round(pop.threshold / u),
            reset=_round(pop.reset / u),
            out_weight=(_round(pop.out_weight / s_d[pop.name]) if pop.spiking
                        else np.zeros(pop.window, dtype=np.int64)),
            bias=_round(pop.bias / u),
            unit=u,
            out_unit=s_d.get(pop.name, 1.0),
        ))
    return replace(snn, populations=tuple(populations), projections=tuple(projections),
                   integer=True)


def _row_abs_sum_max(proj: Projection) -> float:
    w = np.abs(proj.weight.astype(np.float64))
    return float(w.sum(axis=1).max() if proj.kind == "dense" else w.sum(axis=(1, 2, 3)).max())


def potential_bound(snn: SNN, pop: Population, input_peak: float) -> float:
    """An upper bound on |v| of ``pop`` (in its own units) for any input within range.

    ``input_peak`` is the largest |pixel| in ANN units. An "fs" neuron loads the input of a
    whole window, in which a sender may fire at every step (Σ_k |d(k)|); an "if" neuron
    takes one step's input at a time.
    """
    if pop.role == "input":
        drive = input_peak / pop.unit / (1 if pop.dynamics == "fs" else pop.window)
    else:
        def sent(name: str) -> float:
            d = np.abs(snn.population(name).out_weight.astype(np.float64))
            # TTFS senders fire at most once a window; other "fs" senders at every step.
            return float(d.max() if pop.dynamics != "fs" or _one_spike_per_window(snn.code)
                         else d.sum())
        drive = sum(_row_abs_sum_max(q) * sent(q.source) for q in snn.incoming(pop.name))
    bias = float(np.abs(pop.bias.astype(np.float64)).max(initial=0.0))
    if pop.dynamics != "fs":  # at most a window of drive, less what spikes removed
        return pop.window * (drive + bias)
    # A negative reset (fitted FS sequences have some) raises the potential after a spike.
    rise = float(np.clip(-pop.reset.astype(np.float64), 0.0, None).sum())
    return drive + bias + rise


def make_finite(snn: SNN, input_peak: float) -> SNN:
    """Replace the infinite markers by finite values with the same effect.

    A threshold marked +inf becomes one above the bound on the potential (never crossed);
    a reset marked +inf becomes one that takes any potential below every threshold of the
    window (silent until the next window loads a new potential).
    """
    big = np.iinfo(np.int64).max if snn.integer else np.inf
    populations = []
    for pop in snn.populations:
        bound = potential_bound(snn, pop, input_peak)
        if not pop.spiking:
            populations.append(pop)
            continue
        threshold = pop.threshold.copy()
        reset = pop.reset.copy()
        never = threshold == big
        threshold[never] = np.ceil(bound) + 1
        lowest = float(threshold.min())
        silence = reset == big
        reset[silence] = np.ceil(bound) + abs(lowest) + 1
        populations.append(replace(pop, threshold=threshold, reset=reset))
    return replace(snn, populations=tuple(populations))


def check_exact(snn: SNN, input_peak: float) -> None:
    """Refuse an integer network whose sums could leave the exact range of float64."""
    for pop in snn.populations:
        bound = potential_bound(snn, pop, input_peak) + float(np.abs(pop.reset).max(initial=0))
        if bound >= 2.0 ** 52:
            raise NeurosimError(
                f"potentials of population {pop.name!r} could reach {bound:.3g}, beyond exact "
                "integer arithmetic", fix="lower sequence_bits or weight_bits")


def potential_bits_needed(snn: SNN) -> int:
    """Signed bits that hold every potential of an integer network in the worst case.

    A bound, not a measurement: a chip with fewer potential bits may still never overflow
    on real inputs, but cannot be proven safe by this count.
    """
    low, high = snn.params.get("input_range", (0.0, 1.0))
    peak = max(abs(low), abs(high))
    top = max(potential_bound(snn, pop, peak) + float(np.abs(pop.reset).max(initial=0))
              for pop in snn.populations)
    return int(np.ceil(np.log2(top + 1))) + 1


def _one_spike_per_window(code: str) -> bool:
    """Whether a sender of ``code`` fires at most once a window (the registry says)."""
    info = code_info(code)
    return bool(info and info.one_spike_per_window)
