"""The functional simulator's integer runs: exact, memory independent of T, both cores.

What :func:`neurosim.snn.functional.simulate` computes for an integer network, computed
per chunk of images with every population laid out channels-last (a source neuron's
synapses into a convolution are then contiguous runs of output channels) and every
projection applied by a numba kernel that scatters only the non-zero sources through the
shared kernel, ``out[b, j] += w_ji · x[b, i]``. The chunks run on
:func:`neurosim.threads.threads` threads (the kernels release the GIL): each thread runs
the whole network over its own images,
so threads never wait for each other inside a step (a barrier per kernel call costs more
than it gains on a machine shared with other jobs). Images are independent and integer
sums do not depend on their order, so results are bit-identical to the numpy path for any
number of threads and any chunking.

* FS and TTFS (``fs`` dynamics): a population's input is gathered once from its sources'
  decoded values ``Σ_k d(k)·z(k)``; then its whole window runs neuron by neuron through
  :func:`neurosim.dynamics.fs_fire`. A source's values are dropped once its last target
  has read them.
* Rate (``if``/``poisson`` dynamics): the network steps in time, every population once per
  step; it holds the potentials, running spike counts and output sums, never a spike train.
  :func:`rate_run` can read the state out after several window lengths (the anytime
  read-outs of :mod:`neurosim.snn.anytime`).

Sums are int32 where one population's input provably fits (:func:`_drive_dtype`; twice
the SIMD width), else int64: exact either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numba
import numpy as np

from neurosim.dynamics import fs_fire, if_fire
from neurosim.snn.connectivity import conv_taps
from neurosim.snn.network import SNN, Population, Projection
from neurosim.snn.neuron import poisson_step
from neurosim.threads import map_in_order, threads

# Neurons × images of one chunk: all of a network's neurons for a few images (a rate run
# holds an int64 potential, an int32 count and input sum and a spike flag for each).
CHUNK_VALUES = 1 << 23

Progress = Callable[[int, int], object]
Result = TypeVar("Result")


def is_rate_network(snn: SNN) -> bool:
    """An integer network of the rate code: plain IF neurons (no leak, refractory steps, reset
    to a value or persistence: those run in the numpy path), current or Poisson input, IF
    read-out."""
    return (snn.integer and snn.output.dynamics == "if"
            and all(p.dynamics in ("if", "poisson") for p in snn.populations if p.spiking)
            and all(p.plain_if for p in snn.populations if p.dynamics == "if"))


def is_fs_network(snn: SNN) -> bool:
    """An integer network of ``fs`` dynamics only (the FS and TTFS codes)."""
    return snn.integer and all(p.dynamics == "fs" for p in snn.populations)


def chunk_size(snn: SNN) -> int:
    """Images per chunk: :data:`CHUNK_VALUES` neuron-images over the whole network."""
    return max(1, CHUNK_VALUES // snn.n_neurons)


def _over_chunks(n_images: int, chunk: int, work: Callable[[int, int], Result],
                 progress: Progress | None) -> list[Result]:
    """``work(start, stop)`` over consecutive image ranges, on :func:`neurosim.threads.threads`
    threads.

    The ranges hold at most ``chunk`` images and there are at least as many as threads
    (when there are images enough); results come back in image order.
    """
    workers = max(1, min(threads(), n_images))
    pieces = max(-(-n_images // chunk), workers) if n_images else 0
    bounds = [(n_images * i // pieces, n_images * (i + 1) // pieces) for i in range(pieces)]

    def done(i: int, _: Result) -> None:
        if progress is not None:
            progress(bounds[i][1], n_images)

    return map_in_order(lambda ab: work(*ab), bounds, workers, done)


# --- layout and kernels ------------------------------------------------------------------

def channels_last(pop: Population) -> np.ndarray:
    """Index map: position in the run's layout → neuron index of ``pop`` (C order)."""
    index = np.arange(pop.size)
    if len(pop.shape) == 3:
        index = index.reshape(pop.shape).transpose(1, 2, 0).ravel()
    return index


@numba.njit(nogil=True, cache=True)
def _dense_spikes(fired: np.ndarray, weight_t: np.ndarray,
                  out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out[b] += Σ_i weight_t[i]`` over the neurons ``i`` that fired in image ``b``."""
    for b in range(fired.shape[0]):
        target = out[b]
        for i in range(fired.shape[1]):
            if fired[b, i]:
                row = weight_t[i]
                for j in range(row.shape[0]):
                    target[j] += row[j]


@numba.njit(nogil=True, cache=True)
def _dense_values(values: np.ndarray, weight_t: np.ndarray,
                  out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out[b] += Σ_i values[b, i] · weight_t[i]`` over the non-zero values."""
    for b in range(values.shape[0]):
        target = out[b]
        for i in range(values.shape[1]):
            v = values[b, i]
            if v != 0:
                row = weight_t[i]
                for j in range(row.shape[0]):
                    target[j] += row[j] * v


@numba.njit(nogil=True, cache=True)
def _conv_spikes(fired: np.ndarray, channels: int, tap_start: np.ndarray, tap_kernel: np.ndarray,
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


@numba.njit(nogil=True, cache=True)
def _conv_values(values: np.ndarray, channels: int, tap_start: np.ndarray,
                 tap_kernel: np.ndarray, tap_target: np.ndarray, weight: np.ndarray,
                 out: np.ndarray) -> None:  # pragma: no cover - compiled
    """:func:`_conv_spikes` for integer source values: each tap adds ``weight · value``."""
    c_out = weight.shape[2]
    for b in range(values.shape[0]):
        target = out[b]
        for i in range(values.shape[1]):
            v = values[b, i]
            if v == 0:
                continue
            pixel = i // channels
            c = i - pixel * channels
            for s in range(tap_start[pixel], tap_start[pixel + 1]):
                taps = weight[c, tap_kernel[s]]
                base = tap_target[s] * c_out
                into = target[base:base + c_out]
                for o in range(c_out):
                    into[o] += taps[o] * v


@numba.njit(nogil=True, cache=True)
def _integrate_and_fire(v: np.ndarray, drive: np.ndarray, threshold: np.int64, reset: np.int64,
                        strict: bool, counts: np.ndarray, fired: np.ndarray
                        ) -> None:  # pragma: no cover
    """:func:`neurosim.dynamics.if_fire` on every neuron in place, counting the spikes
    (``strict``: the network's ``threshold_compare`` is ``gt``)."""
    for b in range(v.shape[0]):
        for i in range(v.shape[1]):
            u, spike = if_fire(v[b, i], drive[b, i], threshold, reset, strict)
            if spike:
                counts[b, i] += 1
            v[b, i] = u
            fired[b, i] = spike


@numba.njit(nogil=True, cache=True)
def _fs_window(v: np.ndarray, threshold: np.ndarray, reset: np.ndarray, out_weight: np.ndarray,
               value: np.ndarray, counts: np.ndarray) -> None:  # pragma: no cover - compiled
    """A whole FS window of every neuron from its loaded potential ``v`` (int64, left as is):
    :func:`neurosim.dynamics.fs_fire` at each step ``k``; ``value = Σ_k d(k)·z(k)``."""
    for b in range(v.shape[0]):
        for i in range(v.shape[1]):
            u = v[b, i]
            carried = 0
            spikes = 0
            for k in range(threshold.shape[0]):
                u, z = fs_fire(u, threshold[k], reset[k])
                if z:
                    carried += out_weight[k]
                    spikes += 1
            value[b, i] = carried
            counts[b, i] = spikes


class _Synapses:
    """One projection prepared for the channels-last layout, in its target's sum dtype."""

    def __init__(self, proj: Projection, source: Population, target: Population,
                 source_order: np.ndarray, target_order: np.ndarray, dtype: type) -> None:
        self.source = proj.source
        self.kind = proj.kind
        self.dtype = dtype
        weight = np.asarray(proj.weight, dtype=dtype)
        if proj.kind == "dense":
            self._weight = np.ascontiguousarray(weight[target_order][:, source_order].T)
        else:
            c_out, c_in, kh, kw = weight.shape
            self._weight = np.ascontiguousarray(
                weight.transpose(1, 2, 3, 0).reshape(c_in, kh * kw, c_out))
            self.channels = c_in
            self.taps = conv_taps(proj, source.shape)
        self._scaled: dict[int, np.ndarray] = {}

    def add_spikes(self, fired: np.ndarray, out_weight: int, out: np.ndarray) -> None:
        """``out += `` the input from the spikes ``fired`` (B, source size) of weight ``d``.

        The weights are stored already multiplied by each ``d`` the sender uses (one value
        for the rate code), so a spike adds a weight.
        """
        weight = self._scaled.get(out_weight)
        if weight is None:
            weight = self._scaled[out_weight] = self._weight * self._weight.dtype.type(out_weight)
        if self.kind == "dense":
            _dense_spikes(fired, weight, out)
        else:
            _conv_spikes(fired, self.channels, *self.taps, weight, out)

    def add_values(self, values: np.ndarray, out: np.ndarray) -> None:
        """``out += Σ_i w_ji · values_i`` for integer source values (B, source size)."""
        values = values.astype(self.dtype, copy=False)
        if self.kind == "dense":
            _dense_values(values, self._weight, out)
        else:
            _conv_values(values, self.channels, *self.taps, self._weight, out)


def _largest_value(pop: Population, per_step: bool) -> float:
    """The largest |value| ``pop`` sends in one step (rate) or one window (FS): |d| or Σ|d|."""
    d = np.abs(pop.out_weight.astype(np.float64))
    return float(d.max(initial=0.0) if per_step else d.sum())


def _drive_dtype(snn: SNN, pop: Population, per_step: bool) -> type:
    """int32 when ``pop``'s summed input provably fits it (twice as fast), else int64.

    The bound is |bias| plus, per projection, the largest row sum of |w| times the largest
    value a source sends; every partial sum of the kernels is below it too.
    """
    if pop.role == "input":
        return np.int64
    bound = float(np.abs(pop.bias.astype(np.float64)).max(initial=0.0))
    for proj in snn.incoming(pop.name):
        w = np.abs(proj.weight.astype(np.float64))
        fan_in = w.sum(axis=1) if proj.kind == "dense" else w.sum(axis=(1, 2, 3))
        bound += float(fan_in.max(initial=0.0)) * _largest_value(snn.population(proj.source),
                                                                  per_step)
    return np.int32 if bound < 2 ** 31 - 1 else np.int64


@dataclass
class _Prepared:
    """A network's layout, sum dtypes and synapses for one kind of run."""

    orders: dict[str, np.ndarray]
    dtypes: dict[str, type]
    synapses: dict[str, list[_Synapses]]


def _prepare(snn: SNN, per_step: bool) -> _Prepared:
    orders = {p.name: channels_last(p) for p in snn.populations}
    dtypes = {p.name: _drive_dtype(snn, p, per_step) for p in snn.populations}
    synapses = {p.name: [_Synapses(q, snn.population(q.source), p, orders[q.source],
                                   orders[p.name], dtypes[p.name])
                         for q in snn.incoming(p.name)]
                for p in snn.populations}
    return _Prepared(orders, dtypes, synapses)


def _in_order(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """From the run's layout back to the network's neuron order."""
    out = np.empty_like(values)
    out[:, order] = values
    return out


def _bias(pop: Population, encoded: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The bias in the run's layout: (B, n) for the input (the image), (1, n) otherwise."""
    bias = encoded if pop.role == "input" else np.asarray(pop.bias, np.int64)[None, :]
    return np.ascontiguousarray(bias[:, order])


# --- FS and TTFS -------------------------------------------------------------------------

@dataclass
class IntegerRun:
    """Integer results in the network's neuron order: output potentials (sums over the
    window for IF read-outs), spike counts and decoded values ``Σ_k d(k)·z(k)`` (if asked)."""

    output: np.ndarray
    counts: dict[str, np.ndarray]
    values: dict[str, np.ndarray]


def fs_run(snn: SNN, images: np.ndarray, *, record_values: bool = False,
           progress: Progress | None = None) -> IntegerRun:
    """Every image alone through an ``fs`` network (:func:`is_fs_network`), in integers."""
    prepared = _prepare(snn, per_step=False)
    position = {p.name: i for i, p in enumerate(snn.populations)}
    last_read: dict[str, int] = {}  # the last population (by position) reading each source
    for q in snn.projections:
        last_read[q.source] = max(last_read.get(q.source, -1), position[q.target])

    def work(start: int, stop: int) -> IntegerRun:
        part = images[start:stop]
        encoded = snn.encode(part)
        carried: dict[str, np.ndarray] = {}
        output = np.zeros((len(part), snn.output.size), np.int64)
        counts, values = {}, {}
        for index, pop in enumerate(snn.populations):
            order = prepared.orders[pop.name]
            drive = np.empty((len(part), pop.size), prepared.dtypes[pop.name])
            drive[:] = _bias(pop, encoded, order)
            for syn in prepared.synapses[pop.name]:
                syn.add_values(carried[syn.source], drive)
            for source in [s for s in carried if last_read[s] <= index]:
                del carried[source]  # every target has read it
            if pop.role == "output":
                output = _in_order(drive.astype(np.int64), order)
                continue
            value = np.empty((len(part), pop.size), np.int64)
            count = np.empty((len(part), pop.size), np.int32)
            _fs_window(drive.astype(np.int64), np.asarray(pop.threshold, np.int64),
                       np.asarray(pop.reset, np.int64), np.asarray(pop.out_weight, np.int64),
                       value, count)
            if pop.name in last_read:
                carried[pop.name] = value
            counts[pop.name] = _in_order(count, order)
            if record_values:
                values[pop.name] = _in_order(value, order)
        return IntegerRun(output, counts, values)

    return _join(_over_chunks(len(images), chunk_size(snn), work, progress), snn)


# --- rate --------------------------------------------------------------------------------

def rate_run(snn: SNN, images: np.ndarray, windows: Sequence[int] = (), *,
             record_values: bool = False, progress: Progress | None = None
             ) -> dict[int, IntegerRun]:
    """Every image alone through a rate network (:func:`is_rate_network`), stepped in time.

    Returns the state after each of ``windows`` steps (default: the network's window):
    the output sum, spike counts and (if ``record_values``) ``Σ_k d(k)·z(k)`` so far. The
    Poisson draws of image ``i`` of ``images`` are those of image number ``i``.
    """
    steps = sorted(set(windows) or {snn.window})
    prepared = _prepare(snn, per_step=True)
    orders = prepared.orders
    spiking = [p for p in snn.populations if p.spiking]
    out_pop = snn.output
    seed = int(snn.params.get("seed", 0))

    def work(start: int, stop: int) -> dict[int, IntegerRun]:
        part = images[start:stop]
        batch = len(part)
        encoded = snn.encode(part)
        ids = np.arange(start, stop)
        bias = {p.name: _bias(p, encoded, orders[p.name]) for p in snn.populations}
        potential = {p.name: np.zeros((batch, p.size), np.int64) for p in spiking}
        counts = {p.name: np.zeros((batch, p.size), np.int32) for p in spiking}
        sent = {p.name: np.zeros((batch, p.size), np.int64) for p in spiking} if record_values else {}
        out_sum = np.zeros((batch, out_pop.size), np.int64)
        fired = {p.name: np.zeros((batch, p.size), np.bool_) for p in spiking}
        drive = {p.name: np.empty((batch, p.size), prepared.dtypes[p.name])
                 for p in snn.populations}
        state: dict[int, IntegerRun] = {}
        for k in range(steps[-1]):
            for pop in snn.populations:
                into = drive[pop.name]
                into[:] = bias[pop.name]
                for syn in prepared.synapses[pop.name]:
                    source = snn.population(syn.source)
                    syn.add_spikes(fired[syn.source], int(source.out_weight[k]), into)
                if pop.role == "output":
                    out_sum += into
                    continue
                if pop.dynamics == "poisson":
                    fired[pop.name] = poisson_step(encoded, k, pop, ids, seed)[:, orders[pop.name]]
                    counts[pop.name] += fired[pop.name]
                else:
                    _integrate_and_fire(potential[pop.name], into, np.int64(pop.threshold[k]),
                                        np.int64(pop.reset[k]), snn.strict_threshold,
                                        counts[pop.name], fired[pop.name])
                if record_values:
                    sent[pop.name] += fired[pop.name] * np.int64(pop.out_weight[k])
            if k + 1 in steps:
                state[k + 1] = IntegerRun(
                    output=_in_order(out_sum, orders[out_pop.name]),
                    counts={p.name: _in_order(counts[p.name], orders[p.name]) for p in spiking},
                    values={n: _in_order(v, orders[n]) for n, v in sent.items()})
        return state

    parts = _over_chunks(len(images), chunk_size(snn), work, progress)
    return {t: _join([part[t] for part in parts], snn) for t in steps}


def _join(runs: list[IntegerRun], snn: SNN) -> IntegerRun:
    if not runs:
        names = [p.name for p in snn.populations if p.spiking]
        return IntegerRun(np.zeros((0, snn.output.size), np.int64),
                          {n: np.zeros((0, snn.population(n).size), np.int32) for n in names}, {})
    return IntegerRun(
        output=np.concatenate([r.output for r in runs]),
        counts={n: np.concatenate([r.counts[n] for r in runs]) for n in runs[0].counts},
        values={n: np.concatenate([r.values[n] for r in runs]) for n in runs[0].values})
