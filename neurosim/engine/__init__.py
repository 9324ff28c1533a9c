"""The event engine: spike packets between cores, core service, NoC contention, barriers.

A discrete-event simulation of a compiled SNN on a described chip, compiled with numba on
struct-of-arrays tables. Its neurons compute exactly what
:func:`neurosim.snn.functional.simulate_stream` computes (the same integer arithmetic,
spike for spike); around them it times every update, spike, packet, hop and synaptic
event, and counts them per core, per link, per population and per image::

    >>> run = simulate_hardware(snn, mapping, hw, images)          # doctest: +SKIP

The figures a user asks for (latency, throughput, energy per inference) are drawn from
runs one stage up, by :func:`neurosim.energy.measure_hardware`.

Modules: :mod:`~neurosim.engine.tables` (packing), :mod:`~neurosim.engine.synapses`
(what a spike does), :mod:`~neurosim.engine.mesh` (links), :mod:`~neurosim.engine.kernel`
(the step loop and its timing rules), :mod:`~neurosim.engine.network` (packets over the
links and into their cores), :mod:`~neurosim.engine.columns` (the count, latency and
trace layouts), :mod:`~neurosim.engine.run` (streams, records,
merging; given an executor, the streams of a run on a process pool or Dask cluster).
"""

from __future__ import annotations

from neurosim.engine.kernel import COUNT_KINDS, TRACE_COLUMNS
from neurosim.engine.run import (
    IMAGES_PER_STREAM,
    HardwareRun,
    StreamRecord,
    simulate_hardware,
    stream_slices,
)
from neurosim.engine.tables import EngineTables, build_tables

__all__ = [
    "COUNT_KINDS",
    "IMAGES_PER_STREAM",
    "TRACE_COLUMNS",
    "EngineTables",
    "HardwareRun",
    "StreamRecord",
    "build_tables",
    "simulate_hardware",
    "stream_slices",
]
