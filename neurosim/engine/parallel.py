"""Many images on many workers: the streamed run split into its streams.

A run of ``N`` images is a sequence of independent streams (:func:`stream_slices`), each
from a reset chip. :func:`measure_hardware_parallel` runs every stream as one task on an
executor (a process pool or a Dask cluster, :mod:`neurosim.executors`), merges the
streams once, in image order, exactly as the serial run merges them, and computes the
figures as :func:`~neurosim.engine.measure.measure_hardware` does: its result is the
serial result, bit for bit.
"""

from __future__ import annotations

import concurrent.futures as cf

import numpy as np

from neurosim.compiler.mapping import Mapping
from neurosim.engine.measure import HardwareMeasurement, hardware_figures
from neurosim.engine.run import IMAGES_PER_STREAM, HardwareRun, simulate_hardware, stream_slices
from neurosim.engine.tables import build_tables
from neurosim.errors import NeurosimError
from neurosim.hardware.model import Hardware
from neurosim.snn.network import SNN


def simulate_stream(snn: SNN, mapping: Mapping, hw: Hardware, images: np.ndarray,
                    first_image: int) -> HardwareRun:
    """One stream: ``images`` from a reset chip, ``images[0]`` being image ``first_image``."""
    return simulate_hardware(snn, mapping, hw, images, images_per_stream=len(images),
                             first_image=first_image)


def measure_hardware_parallel(snn: SNN, mapping: Mapping, hw: Hardware, images: np.ndarray,
                              executor: cf.Executor, *,
                              images_per_stream: int = IMAGES_PER_STREAM) -> HardwareMeasurement:
    """:func:`~neurosim.engine.measure.measure_hardware` with the streams run on ``executor``.

    The one-image latency run stays in this process (it is one short stream).
    """
    images = np.asarray(images)
    if len(images) == 0:
        raise NeurosimError("no images to simulate", fix="pass at least one image")
    tables = build_tables(snn, mapping, hw)
    futures = [executor.submit(simulate_stream, snn, mapping, hw, images[part], part.start)
               for part in stream_slices(len(images), images_per_stream)]
    alone = simulate_hardware(snn, mapping, hw, images[:1], tables=tables)
    try:
        runs = [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()
    run = runs[0] if len(runs) == 1 else HardwareRun.merge(runs)
    return HardwareMeasurement(run=run, latency_run=alone,
                               figures=hardware_figures(run, alone, hw), tables=tables)
