"""Read-outs of a rate-code T sweep from one run of the longest window ("anytime").

A rate network converted for ``T`` steps and the one converted for ``T_max`` are, in
integer mode, the same integers: a spike stands for λ/T and the threshold is λ/T, so the
quantiser's units carry the 1/T (``s_d = λ/T``, ``unit ∝ 1/T``) and every stored integer
(weights, thresholds, resets, output weights, biases, encoded input) is T-independent.
The windows only differ in length; offsets and delays count stages, not T; Poisson input
draws depend on (seed, image, step, neuron), not on T. Every IF neuron starts a window
from zero, so the state after ``t`` steps of a ``T_max`` window *is* the state of a
``t``-step window: the spike counts after ``T`` steps are the ``T`` network's counts, and
the output potential after ``T`` steps, times the ``T`` network's output unit, is its
output. As SNN Toolbox plots accuracy against time, one ``T_max`` run gives every row.

This holds only when it is checked, not assumed: :func:`shares_run` compares the two
networks integer by integer (and their encodings of the images); anything else — ideal
(float) mode, where the parameters are λ/T in ANN units and float sums of them are not the
same numbers at another T, another code, another seed or input range — is simulated on
its own by :func:`neurosim.snn.functional.simulate`.

The run is :func:`neurosim.snn.integer_run.rate_run`, the functional simulator's own rate
run (no per-step spike tensor: per image chunk it holds the potentials, the running spike
counts and output sums), with a copy of its state taken at each requested T.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neurosim.snn.functional import FunctionalResult, from_integer_run, simulate
from neurosim.snn.integer_run import is_rate_network, rate_run
from neurosim.snn.network import SNN, Population, Projection


def _same_prefix(short: np.ndarray, long: np.ndarray) -> bool:
    return len(short) <= len(long) and np.array_equal(short, long[:len(short)])


def _same_population(a: Population, b: Population) -> bool:
    return (a.name == b.name and a.shape == b.shape and a.role == b.role
            and a.dynamics == b.dynamics and a.offset == b.offset
            and _same_prefix(a.threshold, b.threshold) and _same_prefix(a.reset, b.reset)
            and _same_prefix(a.out_weight, b.out_weight) and np.array_equal(a.bias, b.bias))


def _same_projection(a: Projection, b: Projection) -> bool:
    return (a.name == b.name and a.source == b.source and a.target == b.target
            and a.kind == b.kind and a.stride == b.stride and a.padding == b.padding
            and a.delay == b.delay and a.weight.shape == b.weight.shape
            and np.array_equal(a.weight, b.weight))


def shares_run(short: SNN, long: SNN, images: np.ndarray) -> bool:
    """Whether ``short``'s results on ``images`` are the first ``short.window`` steps of ``long``'s.

    True only for two integer rate networks whose every stored integer is the same (the
    sequences of ``short`` a prefix of ``long``'s), whose encodings of ``images`` are
    equal and whose Poisson seeds agree. The output unit may differ: it is applied to the
    read-out of each network separately.
    """
    if not (is_rate_network(short) and is_rate_network(long)) or short.window > long.window:
        return False
    if (len(short.populations) != len(long.populations)
            or len(short.projections) != len(long.projections)):
        return False
    if not all(_same_population(a, b) for a, b in zip(short.populations, long.populations)):
        return False
    if not all(_same_projection(a, b) for a, b in zip(short.projections, long.projections)):
        return False
    if short.input.dynamics == "poisson" and (
            int(short.params.get("seed", 0)) != int(long.params.get("seed", 0))):
        return False
    return bool(np.array_equal(short.encode(images), long.encode(images)))


def simulate_windows(snns: Sequence[SNN], images: np.ndarray) -> list[FunctionalResult]:
    """:func:`~neurosim.snn.functional.simulate` of each network, sharing one run where it can.

    The networks that :func:`shares_run` with the longest-window one are read out of one
    run of it at their own window; every other network (ideal mode, another code or any
    difference in its integers) is simulated separately. The results equal separate runs
    exactly: outputs, predictions and every spike count.
    """
    images = np.asarray(images)
    results: list[FunctionalResult | None] = [None] * len(snns)
    rate = [i for i, s in enumerate(snns) if is_rate_network(s)]
    if rate:
        longest = snns[max(rate, key=lambda i: snns[i].window)]
        shared = [i for i in rate if shares_run(snns[i], longest, images)]
        if len(shared) > 1:
            for i, result in zip(shared, anytime_readouts(longest, [snns[i] for i in shared],
                                                          images)):
                results[i] = result
    return [r if r is not None else simulate(s, images) for r, s in zip(results, snns)]


# --- the run -------------------------------------------------------------------------------

def anytime_readouts(longest: SNN, readouts: Sequence[SNN], images: np.ndarray
                     ) -> list[FunctionalResult]:
    """One run of ``longest`` over ``images``, read out at each network of ``readouts``.

    Each read-out network must :func:`share the run <shares_run>` (checked by
    :func:`simulate_windows`; this function trusts it): its spike counts are the counts
    after its window, its outputs the output potential then, times its output unit.
    """
    runs = rate_run(longest, np.asarray(images), [s.window for s in readouts])
    return [from_integer_run(snn, runs[snn.window]) for snn in readouts]
