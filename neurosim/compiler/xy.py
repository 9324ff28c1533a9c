"""XY routing, written once: the next hop of a packet, and whether a tile lies on its path.

A packet goes along x to its destination's column first, then along y. Every user of the
route calls :func:`xy_direction` (and :func:`xy_hops` for a route's length by kind): the compiler's paths (:func:`neurosim.compiler.route.xy_path`),
the engine's hop tables (:mod:`neurosim.engine.tables`) and the engine kernel's routers
(:mod:`neurosim.engine.kernel`), which compiles it inline.

Directions are numbered as the links of :mod:`neurosim.engine.mesh`: ``+x, −x, +y, −y``.
"""

from __future__ import annotations

import numba
import numpy as np

EAST, WEST, NORTH, SOUTH = 0, 1, 2, 3   # +x, −x, +y, −y
ARRIVED = -1
STEP_X = (1, -1, 0, 0)
STEP_Y = (0, 0, 1, -1)


@numba.njit(inline="always", cache=True)
def xy_direction(x, y, dest_x, dest_y):
    """The direction (EAST … SOUTH) a packet at tile (x, y) leaves in; ARRIVED at its destination."""
    if dest_x > x:
        return EAST
    if dest_x < x:
        return WEST
    if dest_y > y:
        return NORTH
    if dest_y < y:
        return SOUTH
    return ARRIVED


@numba.njit(inline="always", cache=True)
def on_xy_path(src_x, src_y, dest_x, dest_y, x, y):
    """Whether tile (x, y) is on the XY path from (src_x, src_y) to (dest_x, dest_y).

    The path is the source's row from the source to the destination's column, then that
    column from the source's row to the destination (both ends included).
    """
    if y == src_y and min(src_x, dest_x) <= x <= max(src_x, dest_x):
        return True
    return x == dest_x and min(src_y, dest_y) <= y <= max(src_y, dest_y)


def xy_hops(src_x: np.ndarray, src_y: np.ndarray, dest_x: np.ndarray, dest_y: np.ndarray,
            mesh_x: int, mesh_y: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Links of each XY route, by kind, in closed form: (E–W on chip, N–S on chip, inter-chip).

    Board-wide tile coordinates on chips of ``mesh_x × mesh_y`` tiles. Along x the route
    crosses ``|Δx|`` links, ``|Δ(x // mesh_x)|`` of them between chips; the same along y.
    """
    chip_x = np.abs(dest_x // mesh_x - src_x // mesh_x)
    chip_y = np.abs(dest_y // mesh_y - src_y // mesh_y)
    return (np.abs(dest_x - src_x) - chip_x, np.abs(dest_y - src_y) - chip_y, chip_x + chip_y)
