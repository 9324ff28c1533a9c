"""Energy and the report figures: event counts × per-event costs, and what a run measures.

The stage after the engine: :mod:`~neurosim.energy.model` prices a
:class:`~neurosim.engine.run.HardwareRun`'s counts (energy by category, population and
core), and :mod:`~neurosim.energy.measure` runs the engine twice (a stream and one image
alone) to give latency, throughput and energy per inference. The engine never imports
this package.
"""

from __future__ import annotations

from neurosim.energy.measure import (
    HardwareFigures,
    HardwareMeasurement,
    hardware_figures,
    measure_hardware,
)
from neurosim.energy.model import (
    CATEGORIES,
    DYNAMIC,
    RunEnergy,
    dynamic_energy_j,
    edp_j_s,
    energy_breakdown_j,
    energy_per_inference_j,
    run_energy,
    total_j,
)

__all__ = [
    "CATEGORIES",
    "DYNAMIC",
    "HardwareFigures",
    "HardwareMeasurement",
    "RunEnergy",
    "dynamic_energy_j",
    "edp_j_s",
    "energy_breakdown_j",
    "energy_per_inference_j",
    "hardware_figures",
    "measure_hardware",
    "run_energy",
    "total_j",
]
