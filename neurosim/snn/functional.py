"""The functional simulator: what the network computes, without the hardware.

Two ways to run the same equations (:mod:`neurosim.snn.network`):

* :func:`simulate` runs each image alone, vectorised over a batch of images and over
  neurons, layer by layer. It is the fast path for accuracy and spike counts. Integer
  networks of the FS, TTFS and rate codes run in :mod:`neurosim.snn.integer_run` (numba,
  both cores, memory independent of T); ideal (float) mode, and any network mixing the
  two dynamics, runs in numpy here (:func:`simulate_numpy`), which keeps each rate
  population's spike train of a window.
* :func:`simulate_stream` steps the whole pipeline in global time with images back to
  back (layer ``l`` fires image ``n`` while it collects image ``n + 1``), and records every
  spike with its step. It is the reference the event engine must match spike for spike.

Because a window starts from a fresh potential, images never leak into each other, so
both give the same spikes and outputs for every image (a tested property). Both compare an
``if`` neuron's potential with θ by the network's ``threshold_compare`` (``v ≥ θ``, or
``v > θ`` for a chip whose ``core.threshold_compare`` is ``gt``:
:meth:`~neurosim.snn.network.SNN.with_threshold_compare`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neurosim.dynamics import window_position
from neurosim.snn import integer_run
from neurosim.snn.connectivity import propagate
from neurosim.snn.network import SNN, Population
from neurosim.snn.neuron import fs_step, integrate_step, lif_step, poisson_step

# Images per chunk of the batched simulator; the rate code holds (chunk, window, neurons).
_CHUNK_VALUES = 1 << 23


@dataclass
class FunctionalResult:
    """Outputs and spike counts of a batch of images run one at a time."""

    outputs: np.ndarray
    spike_counts: dict[str, np.ndarray]
    window: int
    latency_steps: int
    values: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def predictions(self) -> np.ndarray:
        return np.argmax(self.outputs, axis=1)

    def accuracy(self, labels: np.ndarray) -> float:
        return float(np.mean(self.predictions == np.asarray(labels)))

    def spikes_per_neuron(self) -> float:
        """Spikes per spiking neuron per image, over all spiking populations."""
        total = sum(c.sum() for c in self.spike_counts.values())
        neurons = sum(c.shape[1] for c in self.spike_counts.values())
        images = next(iter(self.spike_counts.values())).shape[0]
        return float(total / max(neurons * images, 1))

    def spikes_per_neuron_by_population(self) -> dict[str, float]:
        return {name: float(c.mean()) for name, c in self.spike_counts.items()}

    def mean_spike_counts(self) -> dict[str, np.ndarray]:
        """Spikes per neuron averaged over the images (the compiler's traffic estimate)."""
        return {name: c.mean(axis=0) for name, c in self.spike_counts.items()}


def _run_fs(pop: Population, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A whole FS window from the loaded potential: (value Σ d(k)·z(k), spike count)."""
    value = np.zeros_like(v)
    count = np.zeros(v.shape, dtype=np.int32)
    for k in range(pop.window):
        v, z = fs_step(v, k, pop)
        value = value + pop.out_weight[k] * z
        count += z
    return value, count


def _run_if(pop: Population, drive: np.ndarray, integer: bool, strict: bool) -> np.ndarray:
    """A whole IF window; ``drive`` is (B, window, n). Returns spikes (B, window, n) as 0/1."""
    v = np.zeros((drive.shape[0], drive.shape[2]), dtype=drive.dtype)
    r = np.zeros(v.shape, dtype=np.int64)
    spikes = np.zeros(drive.shape, dtype=drive.dtype)
    for k in range(pop.window):
        v, r, z = lif_step(v, r, drive[:, k], k, pop, integer, strict)
        spikes[:, k] = z
    return spikes


def _integrate(pop: Population, drive: np.ndarray, integer: bool) -> np.ndarray:
    """An IF output's potential at the end of its window; ``drive`` is (B, window, n)."""
    if pop.leak == 0:
        return drive.sum(axis=1)
    v = np.zeros((drive.shape[0], drive.shape[2]), dtype=drive.dtype)
    for k in range(pop.window):
        v = integrate_step(v, drive[:, k], pop, integer)
    return v


def _run_poisson(pop: Population, drive: np.ndarray, image_ids: np.ndarray, seed: int
                 ) -> np.ndarray:
    """Poisson input spikes (B, window, n) for the images numbered ``image_ids``."""
    return np.stack([poisson_step(drive, k, pop, image_ids, seed) for k in range(pop.window)],
                    axis=1).astype(drive.dtype)


def _simulate_chunk(snn: SNN, images: np.ndarray, record_values: bool, first_image: int
                    ) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    encoded = snn.encode(images)
    batch = len(images)
    # For "fs" sources a population's output is its decoded value (B, n); for "if"
    # sources it is the spike train (B, window, n) weighted by d(k).
    carried: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    outputs = np.empty(0)
    for pop in snn.populations:
        shape_in = (batch, pop.size) if pop.dynamics == "fs" else (batch, pop.window, pop.size)
        total_in = np.zeros(shape_in, dtype=np.float64)
        for proj in snn.incoming(pop.name):
            src = snn.population(proj.source)
            x = carried[proj.source]
            if pop.dynamics == "fs":
                total_in += propagate(proj, x, src.shape)
            else:
                flat = x.reshape(batch * pop.window, src.size)
                total_in += propagate(proj, flat, src.shape).reshape(shape_in)
        # Integer mode runs in float64 holding integers: exact below 2**53 (check_exact).
        bias = (encoded if pop.role == "input" else pop.bias).astype(np.float64)
        if pop.dynamics == "fs":
            v = total_in + bias
            if pop.role == "output":
                outputs = v * pop.unit
                continue
            value, count = _run_fs(pop, v)
            carried[pop.name] = value
            counts[pop.name] = count
            if record_values:
                values[pop.name] = value * pop.out_unit
        else:
            drive = total_in + (bias[:, None, :] if bias.ndim == 2 else bias)
            if pop.role == "output":
                outputs = _integrate(pop, drive, snn.integer) * pop.unit
                continue
            if pop.dynamics == "poisson":
                ids = np.arange(first_image, first_image + batch)
                spikes = _run_poisson(pop, encoded, ids, int(snn.params.get("seed", 0)))
            else:
                spikes = _run_if(pop, drive, snn.integer, snn.strict_threshold)
            carried[pop.name] = spikes * pop.out_weight[None, :, None]
            counts[pop.name] = spikes.sum(axis=1).astype(np.int32)
            if record_values:
                values[pop.name] = (spikes * pop.out_weight[None, :, None]).sum(axis=1) * pop.out_unit
    return outputs, counts, values


def simulate(snn: SNN, images: np.ndarray, *, record_values: bool = False,
             progress: object | None = None) -> FunctionalResult:
    """Run every image alone (vectorised over the batch); outputs are in ANN units.

    ``record_values`` keeps each spiking population's decoded output ``Σ_k d(k)·z(k)``
    (in ANN units) per image, for comparison with the ANN. ``progress(done, total)`` hears
    after each chunk of images. Integer FS/TTFS and rate networks run in
    :mod:`neurosim.snn.integer_run`; the results are those of :func:`simulate_numpy`
    exactly (the same integers), only faster and without per-step arrays. A network with a
    ``persistent`` population carries state from image to image, so it runs as one stream.
    """
    images = np.asarray(images)
    if integer_run.is_fs_network(snn):
        run = integer_run.fs_run(snn, images, record_values=record_values,
                                 progress=progress)  # type: ignore[arg-type]
    elif integer_run.is_rate_network(snn):
        run = integer_run.rate_run(snn, images, record_values=record_values,
                                   progress=progress)[snn.window]  # type: ignore[arg-type]
    else:
        return simulate_numpy(snn, images, record_values=record_values, progress=progress)
    return from_integer_run(snn, run)


def from_integer_run(snn: SNN, run: integer_run.IntegerRun) -> FunctionalResult:
    """The result of an integer run in ANN units: outputs ``v · unit``, values ``· out_unit``."""
    return FunctionalResult(
        outputs=run.output.astype(np.float64) * snn.output.unit,
        spike_counts=run.counts,
        window=snn.window,
        latency_steps=snn.latency_steps,
        values={n: v.astype(np.float64) * snn.population(n).out_unit
                for n, v in run.values.items()},
    )


def simulate_numpy(snn: SNN, images: np.ndarray, *, record_values: bool = False,
                   progress: object | None = None) -> FunctionalResult:
    """:func:`simulate` in numpy, for any network (the path of ideal mode).

    Each rate population holds its spike train of a window, (chunk, window, neurons), and
    sparse inputs go through the expanded synapse tables of
    :func:`~neurosim.snn.connectivity.propagate`: fine for small networks, slow and large
    for big ones.
    """
    images = np.asarray(images)
    if any(p.persistent for p in snn.populations):
        return _simulate_persistent(snn, images, record_values)
    per_image = max(p.size * (1 if p.dynamics == "fs" else p.window) for p in snn.populations)
    chunk = max(1, _CHUNK_VALUES // per_image)
    outs, counts, values = [], [], []
    for start in range(0, len(images), chunk):
        o, c, v = _simulate_chunk(snn, images[start:start + chunk], record_values, start)
        outs.append(o)
        counts.append(c)
        values.append(v)
        if progress is not None:
            progress(min(start + chunk, len(images)), len(images))  # type: ignore[operator]
    names = [p.name for p in snn.populations if p.spiking]
    return FunctionalResult(
        outputs=np.concatenate(outs),
        spike_counts={n: np.concatenate([c[n] for c in counts]) for n in names},
        window=snn.window,
        latency_steps=snn.latency_steps,
        values={n: np.concatenate([v[n] for v in values]) for n in names} if record_values else {},
    )


def _simulate_persistent(snn: SNN, images: np.ndarray, record_values: bool) -> FunctionalResult:
    """:func:`simulate` of a network whose state crosses images: one stream, spikes by image."""
    ref = simulate_stream(snn, images)
    counts: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    for pop in snn.populations:
        if not pop.spiking:
            continue
        first = snn.first_neuron(pop.name)
        mine = (ref.spike_neurons >= first) & (ref.spike_neurons < first + pop.size)
        image, k = np.divmod(ref.spike_steps[mine] - pop.offset, pop.window)
        local = ref.spike_neurons[mine] - first
        count = np.zeros((len(images), pop.size), dtype=np.int32)
        np.add.at(count, (image, local), 1)
        counts[pop.name] = count
        if record_values:
            value = np.zeros((len(images), pop.size))
            np.add.at(value, (image, local), pop.out_weight[k])
            values[pop.name] = value * pop.out_unit
    return FunctionalResult(outputs=ref.outputs, spike_counts=counts, window=snn.window,
                            latency_steps=snn.latency_steps, values=values)


@dataclass
class StreamResult:
    """Every spike of a pipelined run, and each image's output and read-out step."""

    spike_steps: np.ndarray      # (S,) step of each spike, ascending
    spike_neurons: np.ndarray    # (S,) network-wide neuron index (SNN.first_neuron + local)
    outputs: np.ndarray          # (N, n_out) in ANN units
    readout_steps: np.ndarray    # (N,) steps elapsed (from step 0) when each output is known
    steps: int                   # steps that carry events: SNN.stream_steps(N)

    @property
    def predictions(self) -> np.ndarray:
        return np.argmax(self.outputs, axis=1)


def simulate_stream(snn: SNN, images: np.ndarray, first_image: int = 0) -> StreamResult:
    """Step the pipeline in global time with ``images`` back to back; record every spike.

    ``first_image`` numbers the images for Poisson input draws (the stream's first image
    is image ``first_image`` of a longer run).
    """
    encoded = snn.encode(images)
    n_images = len(images)
    steps = snn.stream_steps(n_images)
    dtype = np.int64 if snn.integer else np.float64
    ring = {p.name: max([q.delay for q in snn.incoming(p.name)], default=0) + 2
            for p in snn.populations}
    slots = {p.name: np.zeros((ring[p.name], p.size), dtype=dtype) for p in snn.populations}
    v = {p.name: np.zeros(p.size, dtype=dtype) for p in snn.populations}
    refractory = {p.name: np.zeros(p.size, dtype=np.int64) for p in snn.populations}
    pending = {p.name: np.zeros(p.size, dtype=dtype) for p in snn.populations}
    outputs = np.zeros((n_images, snn.output.size))
    readout = np.zeros(n_images, dtype=np.int64)
    spike_steps: list[np.ndarray] = []
    spike_neurons: list[np.ndarray] = []
    # One more step than the events need: an "fs" output reads its value at that step.
    for t in range(steps + 1):
        for pop in snn.populations:
            name = pop.name
            slot = slots[name][(t - 1) % ring[name]]
            e = slot.copy() if t > 0 else np.zeros_like(slot)
            slot[:] = 0
            image, k, active = window_position.py_func(t, pop.offset, pop.window, n_images)
            bias = encoded[image] if (pop.role == "input" and active) else pop.bias
            z = None
            if pop.dynamics == "fs":
                pending[name] += e
                if not active:
                    continue
                if k == 0:
                    v[name] = pending[name] + bias
                    pending[name][:] = 0
                    if pop.role == "output":
                        outputs[image] = v[name] * pop.unit
                        readout[image] = t
                if pop.spiking:
                    v[name], z = fs_step(v[name], k, pop)
            else:
                if not active:
                    continue
                if k == 0 and not pop.persistent:
                    v[name][:] = 0
                    refractory[name][:] = 0
                if pop.role == "output":
                    v[name] = integrate_step(v[name], e + bias, pop, snn.integer)
                    if k == pop.window - 1:
                        outputs[image] = v[name] * pop.unit
                        readout[image] = t
                elif pop.dynamics == "poisson":
                    z = poisson_step(bias[None, :], k, pop, np.array([first_image + image]),
                                     int(snn.params.get("seed", 0)))[0]
                else:
                    v[name], refractory[name], z = lif_step(v[name], refractory[name], e + bias,
                                                            k, pop, snn.integer,
                                                            snn.strict_threshold)
            if z is None or not z.any():
                continue
            fired = np.flatnonzero(z)
            spike_steps.append(np.full(len(fired), t, dtype=np.int64))
            spike_neurons.append(fired + snn.first_neuron(name))
            sent = (z * pop.out_weight[k]).astype(np.float64)[None, :]
            for proj in snn.outgoing(name):
                target = proj.target
                arrived = propagate(proj, sent, pop.shape)[0]
                slots[target][(t + proj.delay) % ring[target]] += (
                    np.rint(arrived).astype(np.int64) if snn.integer else arrived)
    return StreamResult(
        spike_steps=np.concatenate(spike_steps) if spike_steps else np.zeros(0, np.int64),
        spike_neurons=np.concatenate(spike_neurons) if spike_neurons else np.zeros(0, np.int64),
        outputs=outputs,
        readout_steps=readout,
        steps=steps,
    )
