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

The run keeps no per-step spike tensor: per image chunk it holds the potentials, the
running spike counts and output sums, and a copy of them at each requested T. Spikes go
through numba scatter kernels in integers (int32 where one step's input provably fits,
else int64: exact either way), one call per projection per step, with every population
laid out channels-last inside the run so a spike adds a contiguous run of output channels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

from neurosim.dynamics import if_fire
from neurosim.snn.connectivity import conv_output_shape
from neurosim.snn.functional import FunctionalResult, simulate
from neurosim.snn.network import SNN, Population, Projection
from neurosim.snn.neuron import poisson_step

# Neurons × images held per chunk (each an int64 potential and an int32 count).
_CHUNK_VALUES = 1 << 23


def _is_rate_network(snn: SNN) -> bool:
    return (snn.integer and snn.output.dynamics == "if"
            and all(p.dynamics in ("if", "poisson") for p in snn.populations if p.spiking))


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
    if not (_is_rate_network(short) and _is_rate_network(long)) or short.window > long.window:
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
    rate = [i for i, s in enumerate(snns) if _is_rate_network(s)]
    if rate:
        longest = snns[max(rate, key=lambda i: snns[i].window)]
        shared = [i for i in rate if shares_run(snns[i], longest, images)]
        if len(shared) > 1:
            for i, result in zip(shared, anytime_readouts(longest, [snns[i] for i in shared],
                                                          images)):
                results[i] = result
    return [r if r is not None else simulate(s, images) for r, s in zip(results, snns)]


# --- the run -------------------------------------------------------------------------------

def _channels_last(pop: Population) -> np.ndarray:
    """Index map: position in the run's layout → neuron index of ``pop`` (C order)."""
    index = np.arange(pop.size)
    if len(pop.shape) == 3:
        index = index.reshape(pop.shape).transpose(1, 2, 0).ravel()
    return index


@numba.njit(cache=True)
def _scatter_dense(fired: np.ndarray, weight_t: np.ndarray,
                   out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out[b] += Σ_i weight_t[i]`` over the neurons ``i`` that fired in image ``b``."""
    for b in range(fired.shape[0]):
        target = out[b]
        for i in range(fired.shape[1]):
            if fired[b, i]:
                row = weight_t[i]
                for j in range(row.shape[0]):
                    target[j] += row[j]


@numba.njit(cache=True)
def _scatter_conv(fired: np.ndarray, channels: int, tap_start: np.ndarray, tap_kernel: np.ndarray,
                  tap_target: np.ndarray, weight: np.ndarray,
                  out: np.ndarray) -> None:  # pragma: no cover - compiled
    """A convolution of channels-last spikes: source pixel ``p`` reaches, for each entry
    ``s`` of ``tap_start[p]:tap_start[p+1]``, the output pixel ``tap_target[s]`` through
    kernel tap ``tap_kernel[s]``; ``weight`` is (C_in, kh·kw, C_out)."""
    c_out = weight.shape[2]
    for b in range(fired.shape[0]):
        target = out[b]
        for i in range(fired.shape[1]):
            if not fired[b, i]:
                continue
            pixel = i // channels
            c = i - pixel * channels
            for s in range(tap_start[pixel], tap_start[pixel + 1]):
                taps = weight[c, tap_kernel[s]]
                base = tap_target[s] * c_out
                into = target[base:base + c_out]  # a view: the loop below vectorises
                for o in range(c_out):
                    into[o] += taps[o]


def _conv_taps(proj: Projection, source_shape: tuple[int, ...]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each source pixel, the (kernel tap, output pixel) pairs it reaches, sorted by pixel."""
    _, height, width = source_shape
    _, out_h, out_w = conv_output_shape(proj, source_shape)
    kh, kw = proj.kernel_size
    oy, ox, ky, kx = np.meshgrid(np.arange(out_h), np.arange(out_w), np.arange(kh),
                                 np.arange(kw), indexing="ij")
    y = oy * proj.stride[0] - proj.padding[0] + ky
    x = ox * proj.stride[1] - proj.padding[1] + kx
    keep = (y >= 0) & (y < height) & (x >= 0) & (x < width)
    pixel = (y * width + x)[keep]
    order = np.argsort(pixel, kind="stable")
    start = np.zeros(height * width + 1, dtype=np.int64)
    np.cumsum(np.bincount(pixel, minlength=height * width), out=start[1:])
    kernel = (ky * kw + kx)[keep][order].astype(np.int64)
    target = (oy * out_w + ox)[keep][order].astype(np.int64)
    return start, kernel, target


@numba.njit(cache=True)
def _integrate_and_fire(v: np.ndarray, drive: np.ndarray, threshold: np.int64, reset: np.int64,
                        counts: np.ndarray, fired: np.ndarray) -> None:  # pragma: no cover
    """:func:`neurosim.dynamics.if_fire` on every neuron in place, counting the spikes."""
    for b in range(v.shape[0]):
        for i in range(v.shape[1]):
            u, spike = if_fire(v[b, i], drive[b, i], threshold, reset)
            if spike:
                counts[b, i] += 1
            v[b, i] = u
            fired[b, i] = spike


class _Synapses:
    """One projection prepared for the run's channels-last layout.

    A spike of step ``k`` adds ``w · d(k)``: the weights are stored already multiplied by
    each output weight ``d`` the sender uses (one value for the rate code).
    """

    def __init__(self, proj: Projection, source: Population, target: Population,
                 source_order: np.ndarray, target_order: np.ndarray, dtype: type) -> None:
        self.source = proj.source
        self.kind = proj.kind
        weight = np.asarray(proj.weight, dtype=dtype)
        if proj.kind == "dense":
            self._weight = np.ascontiguousarray(weight[target_order][:, source_order].T)
        else:
            c_out, c_in, kh, kw = weight.shape
            self._weight = np.ascontiguousarray(
                weight.transpose(1, 2, 3, 0).reshape(c_in, kh * kw, c_out))
            self.channels = c_in
            self.taps = _conv_taps(proj, source.shape)
        self._scaled: dict[int, np.ndarray] = {}

    def add(self, fired: np.ndarray, out_weight: int, out: np.ndarray) -> None:
        """``out += `` the input from the spikes ``fired`` (B, source size) of weight ``d``."""
        weight = self._scaled.get(out_weight)
        if weight is None:
            weight = self._scaled[out_weight] = self._weight * self._weight.dtype.type(out_weight)
        if self.kind == "dense":
            _scatter_dense(fired, weight, out)
        else:
            _scatter_conv(fired, self.channels, *self.taps, weight, out)


def _drive_dtype(snn: SNN, pop: Population) -> type:
    """int32 when one step's input to ``pop`` provably fits it (twice as fast), else int64."""
    if pop.role == "input":
        return np.int64
    bound = float(np.abs(pop.bias.astype(np.float64)).max(initial=0.0))
    for proj in snn.incoming(pop.name):
        w = np.abs(proj.weight.astype(np.float64))
        fan_in = w.sum(axis=1) if proj.kind == "dense" else w.sum(axis=(1, 2, 3))
        d = np.abs(snn.population(proj.source).out_weight.astype(np.float64)).max(initial=0.0)
        bound += float(fan_in.max(initial=0.0)) * d
    return np.int32 if bound < 2 ** 31 - 1 else np.int64


def anytime_readouts(longest: SNN, readouts: Sequence[SNN], images: np.ndarray
                     ) -> list[FunctionalResult]:
    """One run of ``longest`` over ``images``, read out at each network of ``readouts``.

    Each read-out network must :func:`share the run <shares_run>` (checked by
    :func:`simulate_windows`; this function trusts it): its spike counts are the counts
    after its window, its outputs the output potential then, times its output unit.
    """
    images = np.asarray(images)
    steps = sorted({s.window for s in readouts})
    orders = {p.name: _channels_last(p) for p in longest.populations}
    dtypes = {p.name: _drive_dtype(longest, p) for p in longest.populations}
    synapses = {p.name: [_Synapses(q, longest.population(q.source), p, orders[q.source],
                                   orders[p.name], dtypes[p.name])
                         for q in longest.incoming(p.name)]
                for p in longest.populations}
    spiking = [p for p in longest.populations if p.spiking]
    out_pop = longest.output
    seed = int(longest.params.get("seed", 0))
    chunk = max(1, _CHUNK_VALUES // max(p.size for p in longest.populations))
    counts_at: dict[int, dict[str, list[np.ndarray]]] = {t: {p.name: [] for p in spiking}
                                                         for t in steps}
    sums_at: dict[int, list[np.ndarray]] = {t: [] for t in steps}
    for start in range(0, len(images), chunk):
        part = images[start:start + chunk]
        batch = len(part)
        encoded = longest.encode(part)
        ids = np.arange(start, start + batch)
        bias = {p.name: (encoded if p.role == "input" else np.asarray(p.bias, np.int64)
                         [None, :])[:, orders[p.name]] for p in longest.populations}
        potential = {p.name: np.zeros((batch, p.size), np.int64) for p in spiking}
        counts = {p.name: np.zeros((batch, p.size), np.int32) for p in spiking}
        out_sum = np.zeros((batch, out_pop.size), np.int64)
        fired = {p.name: np.zeros((batch, p.size), np.bool_) for p in spiking}
        drive = {p.name: np.empty((batch, p.size), dtypes[p.name]) for p in longest.populations}
        for k in range(steps[-1]):
            for pop in longest.populations:
                into = drive[pop.name]
                into[:] = bias[pop.name]
                for syn in synapses[pop.name]:
                    source = longest.population(syn.source)
                    syn.add(fired[syn.source], int(source.out_weight[k]), into)
                if pop.role == "output":
                    out_sum += into
                elif pop.dynamics == "poisson":
                    fired[pop.name] = poisson_step(encoded, k, pop, ids, seed)[:, orders[pop.name]]
                    counts[pop.name] += fired[pop.name]
                else:
                    _integrate_and_fire(potential[pop.name], into, np.int64(pop.threshold[k]),
                                        np.int64(pop.reset[k]), counts[pop.name], fired[pop.name])
            if k + 1 in sums_at:
                in_order = np.empty_like(out_sum)
                in_order[:, orders[out_pop.name]] = out_sum
                sums_at[k + 1].append(in_order)
                for pop in spiking:
                    in_order = np.empty_like(counts[pop.name])
                    in_order[:, orders[pop.name]] = counts[pop.name]
                    counts_at[k + 1][pop.name].append(in_order)
    results = []
    for snn in readouts:
        t = snn.window
        total = np.concatenate(sums_at[t]) if sums_at[t] else np.zeros((0, out_pop.size), np.int64)
        results.append(FunctionalResult(
            outputs=total.astype(np.float64) * snn.output.unit,
            spike_counts={name: np.concatenate(parts) for name, parts in counts_at[t].items()},
            window=snn.window, latency_steps=snn.latency_steps))
    return results
