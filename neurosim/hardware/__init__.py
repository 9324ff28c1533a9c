"""Hardware descriptions: a board of chips, a mesh of tiles, cores with limits and costs.

Load a shipped model by name or a YAML file by path, with optional overrides::

    >>> from neurosim.hardware import load_hardware
    >>> hw = load_hardware("loihi", ["core.neurons=2048"])
    >>> hw.chip.core.neurons, hw.chip.costs.energy_synop_j
    (2048, 3.55e-11)

A name without a slash or ``.yaml`` suffix is looked up among the shipped models
(:func:`list_hardware`); anything else is a path. :func:`save_hardware` writes a model
back to YAML. The data model is in :mod:`neurosim.hardware.model`, the YAML schema (every
key path that an override may name) in :mod:`neurosim.hardware.schema`, the SANA-FE
import in :mod:`neurosim.hardware.sanafe`.
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
from neurosim.hardware.writer import dump_hardware, hardware_to_dict, save_hardware

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
    "dump_hardware",
    "hardware_to_dict",
    "hw_models_dir",
    "list_hardware",
    "load_hardware",
    "parse_override",
    "save_hardware",
]
