"""Hardware descriptions: a board of chips, a mesh of tiles, cores with limits and costs.

Load a shipped model by name or a YAML file by path, with optional overrides::

    >>> from neurosim.hardware import load_hardware
    >>> hw = load_hardware("loihi", ["core.neurons=2048"])
    >>> hw.chip.core.neurons, hw.chip.costs.energy_synop_j
    (2048, 3.55e-11)

The data model is in :mod:`neurosim.hardware.model`, the YAML schema (every key path that
an override may name) in :mod:`neurosim.hardware.schema`.
"""

from __future__ import annotations

from neurosim.hardware.loader import (
    DEFAULT_HARDWARE,
    hw_models_dir,
    list_hardware,
    load_hardware,
    parse_override,
)
from neurosim.hardware.model import (
    Board,
    Chip,
    CoreLimits,
    EventCosts,
    Hardware,
    NoC,
    Source,
    Sync,
)

__all__ = [
    "DEFAULT_HARDWARE",
    "Board",
    "Chip",
    "CoreLimits",
    "EventCosts",
    "Hardware",
    "NoC",
    "Source",
    "Sync",
    "hw_models_dir",
    "list_hardware",
    "load_hardware",
    "parse_override",
]
