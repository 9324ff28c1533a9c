"""The board as one mesh of tiles, and the directed links between neighbouring tiles.

Tile ``(x, y)`` of the board-wide mesh (see :func:`neurosim.compiler.mapping.mesh_coordinates`)
has the number ``y · X + x`` where ``X = chips_x · mesh_x``. Every tile has four outgoing
links, numbered ``4 · tile + direction`` with the directions ``+x, −x, +y, −y``
(:data:`DIRECTIONS`); a link that would leave the board has no next tile (−1) and is never
used. A link whose two tiles sit on different chips is an inter-chip link and takes the
board's costs and bandwidth; the others are east–west (``±x``) or north–south (``±y``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.hardware.model import Hardware

DIRECTIONS = ("+x", "-x", "+y", "-y")
LINK_KINDS = ("ew", "ns", "interchip")
EW, NS, INTERCHIP = 0, 1, 2


@dataclass(frozen=True, eq=False)
class Mesh:
    """Link tables of a board: one entry per (tile, direction)."""

    size_x: int
    size_y: int
    next_tile: np.ndarray       # (L,) int64, −1 off the board
    kind: np.ndarray            # (L,) int64: EW, NS or INTERCHIP
    latency_s: np.ndarray       # (L,) float64 hop latency
    serialisation_s: np.ndarray  # (L,) float64 time a packet occupies the link

    @property
    def tiles(self) -> int:
        return self.size_x * self.size_y

    def tile_xy(self, tile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tile = np.asarray(tile, dtype=np.int64)
        return tile % self.size_x, tile // self.size_x


def build_mesh(hw: Hardware) -> Mesh:
    """The link tables of ``hw``'s board."""
    chip, board, noc = hw.chip, hw.board, hw.chip.noc
    size_x, size_y = board.chips_x * chip.mesh_x, board.chips_y * chip.mesh_y
    tile = np.arange(size_x * size_y, dtype=np.int64)
    x, y = tile % size_x, tile // size_x
    next_tile = np.full((len(tile), 4), -1, dtype=np.int64)
    kind = np.zeros((len(tile), 4), dtype=np.int64)
    for d, (dx, dy) in enumerate(((1, 0), (-1, 0), (0, 1), (0, -1))):
        nx, ny = x + dx, y + dy
        inside = (nx >= 0) & (nx < size_x) & (ny >= 0) & (ny < size_y)
        next_tile[inside, d] = (ny * size_x + nx)[inside]
        crosses = (nx // chip.mesh_x != x // chip.mesh_x) | (ny // chip.mesh_y != y // chip.mesh_y)
        kind[:, d] = np.where(crosses, INTERCHIP, EW if dx else NS)
    kind = kind.ravel()
    latency = np.array([noc.latency_hop_ew_s, noc.latency_hop_ns_s, board.latency_interchip_hop_s])
    serialisation = np.array([noc.serialisation_s, noc.serialisation_s,
                              noc.packet_bits / board.interchip_bandwidth_bits_per_s])
    return Mesh(size_x=size_x, size_y=size_y, next_tile=next_tile.ravel(), kind=kind,
                latency_s=latency[kind], serialisation_s=serialisation[kind])
