"""The report figures of a network on a chip: latency, throughput, energy per inference.

Two runs make them (:func:`measure_hardware`):

* **latency** — the first image alone on a reset chip: ``E_{L−1}``, the end of the last
  step that carries its events (``L = snn.latency_steps``), input to read-out;
* **throughput and energy** — all images streamed back to back
  (:func:`~neurosim.engine.run.simulate_hardware`): throughput from the steps in which
  the pipeline is full (:attr:`HardwareRun.throughput_inferences_per_s
  <neurosim.engine.run.HardwareRun.throughput_inferences_per_s>`), energy per inference
  from :mod:`neurosim.energy.model`.

Given an executor, :func:`measure_hardware` runs the streams of the streamed run as
parallel tasks and merges them with :meth:`HardwareRun.merge
<neurosim.engine.run.HardwareRun.merge>`: the result is the serial one.
"""

from __future__ import annotations

import concurrent.futures as cf
from dataclasses import dataclass

import numpy as np

import neurosim.energy.model as energy_model
from neurosim.compiler.mapping import CoreMapping
from neurosim.engine.run import IMAGES_PER_STREAM, HardwareRun, simulate_hardware, stream_slices
from neurosim.engine.tables import EngineTables, build_tables
from neurosim.errors import NeurosimError
from neurosim.hardware.model import Hardware
from neurosim.snn.network import SNN
from neurosim.threads import map_in_order


@dataclass(frozen=True)
class HardwareFigures:
    """What a user asks of a network on a chip, for one inference."""

    latency_s: float
    throughput_inferences_per_s: float
    energy_per_inference_j: float
    energy_breakdown_j: dict[str, float]
    edp_j_s: float
    run_energy: energy_model.RunEnergy


@dataclass(frozen=True, eq=False)
class HardwareMeasurement:
    """The streamed run, the one-image latency run, and the figures drawn from them."""

    run: HardwareRun
    latency_run: HardwareRun
    figures: HardwareFigures
    tables: EngineTables


def hardware_figures(run: HardwareRun, latency_run: HardwareRun, hw: Hardware) -> HardwareFigures:
    """Figures from a streamed run and a one-image run of the same network and mapping."""
    latency = float(latency_run.readout_s[0])
    breakdown = energy_model.energy_breakdown_j(run, hw)
    energy = energy_model.total_j(breakdown)
    return HardwareFigures(
        latency_s=latency,
        throughput_inferences_per_s=run.throughput_inferences_per_s,
        energy_per_inference_j=energy,
        energy_breakdown_j=breakdown,
        edp_j_s=energy_model.edp_j_s(energy, latency),
        run_energy=energy_model.run_energy(run, hw),
    )


def _one_stream(snn: SNN, mapping: CoreMapping, hw: Hardware, images: np.ndarray,
                first_image: int, record_steps: bool = False) -> HardwareRun:
    """One stream from a reset chip, ``images[0]`` being image ``first_image`` (a task)."""
    return simulate_hardware(snn, mapping, hw, images, images_per_stream=len(images),
                             first_image=first_image, record_steps=record_steps)


def measure_hardware(snn: SNN, mapping: CoreMapping, hw: Hardware, images: np.ndarray, *,
                     images_per_stream: int = IMAGES_PER_STREAM, record_spikes: bool = False,
                     record_steps: bool = False,
                     executor: cf.Executor | None = None,
                     n_threads: int | None = None) -> HardwareMeasurement:
    """Stream ``images``, run the first one alone, and compute the figures.

    Without an ``executor``, the streams of ``images_per_stream`` images and the one-image
    run share up to ``n_threads`` threads of this process (default
    :func:`neurosim.threads.threads`). With an ``executor`` (a process pool or a Dask
    cluster, :mod:`neurosim.executors`) each stream is one task and the one-image run stays
    in this process. Either way the streams merge in image order, exactly as a serial run
    merges them, so the result is the serial result bit for bit. ``record_steps`` keeps
    each step's counts per core in the streamed run (for per-step traces).
    """
    images = np.asarray(images)
    if len(images) == 0:
        raise NeurosimError("no images to simulate", fix="pass at least one image")
    tables = build_tables(snn, mapping, hw)
    parts = stream_slices(len(images), images_per_stream)
    if len(images) == 1 and not (record_spikes or record_steps):
        # One image streamed from a reset chip is the one-image latency run itself (the same
        # call), so it is simulated once: half the work and memory of a one-image measure.
        alone = simulate_hardware(snn, mapping, hw, images[:1], tables=tables, n_threads=1)
        return HardwareMeasurement(run=alone, latency_run=alone,
                                   figures=hardware_figures(alone, alone, hw), tables=tables)
    if executor is None:
        # The one-image run last: it is the shortest, and fills a thread as the streams end.
        tasks = [(images[part], part.start, record_spikes, record_steps) for part in parts]
        tasks.append((images[:1], 0, False, False))

        def run(task: tuple[np.ndarray, int, bool, bool]) -> HardwareRun:
            some, first, spikes, steps = task
            return simulate_hardware(snn, mapping, hw, some, images_per_stream=len(some),
                                     first_image=first, record_spikes=spikes,
                                     record_steps=steps, tables=tables, n_threads=1)

        *runs, alone = map_in_order(run, tasks, n_threads)
    else:
        futures = [executor.submit(_one_stream, snn, mapping, hw, images[part], part.start,
                                   record_steps)
                   for part in parts]
        alone = simulate_hardware(snn, mapping, hw, images[:1], tables=tables)
        try:
            runs = [future.result() for future in futures]
        finally:
            for future in futures:
                future.cancel()
    run = runs[0] if len(runs) == 1 else HardwareRun.merge(runs)
    return HardwareMeasurement(run=run, latency_run=alone,
                               figures=hardware_figures(run, alone, hw), tables=tables)
