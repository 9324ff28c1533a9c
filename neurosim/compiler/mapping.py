"""Where every neuron lives: blocks of a population placed on cores.

Cores are numbered across the whole board. A core's number encodes its place:
``core = (chip · tiles_per_chip + tile) · cores_per_tile + slot`` with
``chip = chip_y · chips_x + chip_x`` and ``tile = tile_y · mesh_x + tile_x``. For routing,
the board is one large mesh of tiles: tile ``(tile_x, tile_y)`` of chip
``(chip_x, chip_y)`` sits at ``(chip_x · mesh_x + tile_x, chip_y · mesh_y + tile_y)``, and a
link between two tiles of different chips is an inter-chip link.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from neurosim.hardware.model import Hardware
from neurosim.snn.network import SNN


@dataclass(frozen=True)
class CoreLocation:
    chip_x: int
    chip_y: int
    tile_x: int
    tile_y: int
    slot: int

    @property
    def chip(self) -> tuple[int, int]:
        return (self.chip_x, self.chip_y)


def core_location(hw: Hardware, core: int) -> CoreLocation:
    chip = hw.chip
    tile_global, slot = divmod(int(core), chip.cores_per_tile)
    chip_index, tile = divmod(tile_global, chip.tiles)
    chip_y, chip_x = divmod(chip_index, hw.board.chips_x)
    tile_y, tile_x = divmod(tile, chip.mesh_x)
    return CoreLocation(chip_x, chip_y, tile_x, tile_y, slot)


def mesh_coordinates(hw: Hardware, cores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each core: (x, y) of its tile on the board-wide mesh, and its chip index."""
    chip = hw.chip
    tile_global = np.asarray(cores, dtype=np.int64) // chip.cores_per_tile
    chip_index, tile = np.divmod(tile_global, chip.tiles)
    chip_y, chip_x = np.divmod(chip_index, hw.board.chips_x)
    tile_y, tile_x = np.divmod(tile, chip.mesh_x)
    return chip_x * chip.mesh_x + tile_x, chip_y * chip.mesh_y + tile_y, chip_index


def layout_hash(hw: Hardware) -> str:
    """A hash of what a mapping depends on: the board's and chip's geometry and the core limits.

    Event costs, NoC timing and power do not enter, so a mapping stays valid across a sweep
    of those; a different core size or mesh gives a different hash.
    """
    core = asdict(hw.chip.core)
    # Whether fan-in may be split does not change what a mapping means; a mapping with
    # partial compartments is refused on a chip without the feature when it is loaded. So
    # mappings written before the key existed keep their hash.
    core.pop("fanin_split")
    layout = {"board": [hw.board.chips_x, hw.board.chips_y],
              "chip": [hw.chip.mesh_x, hw.chip.mesh_y, hw.chip.cores_per_tile],
              "core": core}
    return hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class Block:
    """Neurons of one population (population-local indices, ascending) on one core.

    ``usage`` records what the block costs its core, by :class:`CoreLimits` field name.
    ``group`` 0 is a block of the neurons themselves (their home); ``group`` g >= 1 is a
    *partial block*: a partial compartment of each listed neuron, which sums the neuron's
    inputs from source group g (:attr:`CoreMapping.fanin_groups`) and sends the sum to the
    neuron's home core within the step.
    """

    population: str
    neurons: np.ndarray
    core: int
    label: str = ""  # e.g. "channels 0-7, rows 0-3, cols 0-7"
    usage: dict[str, int] = field(default_factory=dict)
    group: int = 0


@dataclass(frozen=True, eq=False)
class CoreMapping:
    """A placement of every neuron of an SNN on the cores of a hardware description.

    ``fanin_groups`` names the populations whose fan-in is split: for each, the
    network-wide neuron numbers at which source groups 1, 2, ... begin (a source neuron
    ``s`` is in group ``searchsorted(cuts, s, "right")``). Synapses from group 0 land on
    the neuron's home block, those from group g >= 1 on its partial block of group g.
    """

    snn_name: str
    hardware_name: str
    layout_hash: str          # layout_hash(hw) of the hardware compiled for
    blocks: tuple[Block, ...]
    placer: str = "baseline"
    seed: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    fanin_groups: dict[str, tuple[int, ...]] = field(default_factory=dict)
    file_hash: str = ""       # Hardware.file_hash of the file compiled for ("" if unknown)

    def hardware_match(self, hw: Hardware) -> str:
        """How ``hw`` matches the hardware this mapping was compiled for.

        ``"file"``: the same hardware file (file hash) and layout; ``"layout"``: another
        file (e.g. other event costs) or no recorded file, with the same layout hash, for
        which the mapping is as valid; ``""``: another layout, for which it is not.
        """
        if self.layout_hash != layout_hash(hw):
            return ""
        return "file" if self.file_hash and self.file_hash == hw.file_hash else "layout"

    def cores_used(self) -> np.ndarray:
        return np.unique([b.core for b in self.blocks])

    def chips_used(self, hw: Hardware) -> np.ndarray:
        return np.unique(self.cores_used() // hw.chip.cores)

    def core_of_neuron(self, snn: SNN) -> np.ndarray:
        """Home core of every neuron in the network-wide numbering (−1 if unplaced)."""
        cores = np.full(snn.n_neurons, -1, dtype=np.int64)
        for block in self.blocks:
            if block.group == 0:
                cores[snn.first_neuron(block.population) + block.neurons] = block.core
        return cores
