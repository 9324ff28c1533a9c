"""Putting blocks on cores: a layer-ordered baseline and an optimising placer.

The objective is the expected traffic of one image: ``Σ_{a,b} P(a, b) · hops(core a, core
b)`` over pairs of blocks, where ``P(a, b)`` is the expected number of packets from block
``a`` to block ``b`` (each spike of a neuron sends one packet to each of its destination
blocks, :func:`neurosim.compiler.route.traffic_matrix`) and ``hops`` counts the XY links
between the cores' tiles on the board-wide mesh, an inter-chip link counting as one. With
multicast the true cost counts tree links instead; the optimiser still works on the
pairwise cost, a close proxy, and :func:`neurosim.compiler.compile.compile_network` compares the results on
the true cost.

``baseline``
    blocks in population order onto cores in core-number order (chip by chip, tile by
    tile), the placement a user would write by hand.
``optimised``
    uses the fewest chips, chosen as a compact group on the board; places blocks by greedy
    growth (the block most connected to those placed goes next, to the free core that
    costs least), then improves the placement by simulated annealing with swap moves
    (mostly towards a neighbour's tile), updating the cost incrementally from the block
    graph's adjacency lists. The best placement seen is kept, and the baseline is
    returned instead if it is better. The same seed gives the same placement.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from neurosim.compiler.keys import group_sum
from neurosim.compiler.route import core_xy
from neurosim.hardware.model import Hardware

PLACERS = ("baseline", "optimised")
T0_SCALE = 0.3
FINAL_RATIO = 1e-2


def layer_ordered(n_blocks: int) -> np.ndarray:
    """The baseline: block ``i`` (blocks in population order) on core ``i``."""
    return np.arange(n_blocks, dtype=np.int64)


def chips_needed(hw: Hardware, n_blocks: int) -> int:
    return max(1, -(-n_blocks // hw.chip.cores))


def compact_chips(hw: Hardware, n_chips: int) -> np.ndarray:
    """``n_chips`` chip indices forming a compact group: the first chips, row by row, of
    the smallest-perimeter rectangle of the board that holds them."""
    bx, by = hw.board.chips_x, hw.board.chips_y
    best = None
    for a in range(1, bx + 1):
        b = -(-n_chips // a)
        if b <= by and (best is None or (a + b, a * b) < (best[0] + best[1], best[0] * best[1])):
            best = (a, b)
    if best is None:
        raise ValueError(f"{n_chips} chips do not fit a {bx}×{by} board")
    a, b = best
    chips = [y * bx + x for y in range(b) for x in range(a)]
    return np.array(chips[:n_chips], dtype=np.int64)


def block_adjacency(n_blocks: int, src: np.ndarray, dst: np.ndarray, packets: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric CSR (indptr, neighbour, weight) of the block graph, without self-loops:
    the weight of {a, b} is P(a, b) + P(b, a)."""
    off = src != dst
    a = np.concatenate([src[off], dst[off]])
    b = np.concatenate([dst[off], src[off]])
    w = np.concatenate([packets[off], packets[off]])
    keys, weight = group_sum(a * n_blocks + b, w)
    indptr = np.zeros(n_blocks + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys // n_blocks, minlength=n_blocks), out=indptr[1:])
    return indptr, (keys % n_blocks).astype(np.int64), weight


def placement_cost(hw: Hardware, src: np.ndarray, dst: np.ndarray, packets: np.ndarray,
                   core_of_block: np.ndarray) -> tuple[float, float]:
    """(packets × hops, packets × inter-chip hops) of a placement, pairwise (unicast)."""
    sx, sy = core_xy(hw, core_of_block[src])
    dx, dy = core_xy(hw, core_of_block[dst])
    total = np.abs(sx - dx) + np.abs(sy - dy)
    inter = (np.abs(sx // hw.chip.mesh_x - dx // hw.chip.mesh_x)
             + np.abs(sy // hw.chip.mesh_y - dy // hw.chip.mesh_y))
    return float(packets @ total), float(packets @ inter)


@numba.njit(cache=True)
def _greedy_growth(indptr, nbr, weight, slot_x, slot_y, n_blocks, centre_x, centre_y):
    """Place blocks one by one: next the block most attached to those placed, on the free
    slot with the least cost to its placed neighbours (ties: nearest the centre)."""
    n_slots = len(slot_x)
    slot_of = np.full(n_blocks, -1, dtype=np.int64)
    free = np.ones(n_slots, dtype=np.bool_)
    attach = np.zeros(n_blocks)
    strength = np.zeros(n_blocks)
    for a in range(n_blocks):
        for k in range(indptr[a], indptr[a + 1]):
            strength[a] += weight[k]
    cost = np.zeros(n_slots)
    for step in range(n_blocks):
        pick = -1
        for a in range(n_blocks):
            if slot_of[a] < 0 and (pick < 0 or attach[a] > attach[pick]
                                   or (attach[a] == attach[pick] and step == 0
                                       and strength[a] > strength[pick])):
                pick = a
        for s in range(n_slots):
            cost[s] = 1e-9 * (abs(slot_x[s] - centre_x) + abs(slot_y[s] - centre_y))
        for k in range(indptr[pick], indptr[pick + 1]):
            n = nbr[k]
            if slot_of[n] >= 0:
                px, py = slot_x[slot_of[n]], slot_y[slot_of[n]]
                for s in range(n_slots):
                    cost[s] += weight[k] * (abs(slot_x[s] - px) + abs(slot_y[s] - py))
        best = -1
        for s in range(n_slots):
            if free[s] and (best < 0 or cost[s] < cost[best]):
                best = s
        slot_of[pick] = best
        free[best] = False
        for k in range(indptr[pick], indptr[pick + 1]):
            attach[nbr[k]] += weight[k]
    return slot_of


@numba.njit(cache=True)
def _cost(indptr, nbr, weight, slot_x, slot_y, slot_of):
    total = 0.0
    for a in range(len(indptr) - 1):
        for k in range(indptr[a], indptr[a + 1]):
            b = nbr[k]
            total += weight[k] * (abs(slot_x[slot_of[a]] - slot_x[slot_of[b]])
                                  + abs(slot_y[slot_of[a]] - slot_y[slot_of[b]]))
    return 0.5 * total


@numba.njit(cache=True)
def _delta(a, s, indptr, nbr, weight, slot_x, slot_y, slot_of, block_of):
    """Change of cost when block ``a`` moves to slot ``s`` (swapping with its block, if any)."""
    pa = slot_of[a]
    b = block_of[s]
    d = 0.0
    for k in range(indptr[a], indptr[a + 1]):
        n = nbr[k]
        if n == b:
            continue
        pn = slot_of[n]
        d += weight[k] * (abs(slot_x[s] - slot_x[pn]) + abs(slot_y[s] - slot_y[pn])
                          - abs(slot_x[pa] - slot_x[pn]) - abs(slot_y[pa] - slot_y[pn]))
    if b >= 0:
        for k in range(indptr[b], indptr[b + 1]):
            n = nbr[k]
            if n == a:
                continue
            pn = slot_of[n]
            d += weight[k] * (abs(slot_x[pa] - slot_x[pn]) + abs(slot_y[pa] - slot_y[pn])
                              - abs(slot_x[s] - slot_x[pn]) - abs(slot_y[s] - slot_y[pn]))
    return d


@numba.njit(cache=True)
def _propose(rng, a, indptr, nbr, slot_of, slot_x, slot_y, tile_start, tile_count, x0, y0, width,
             height, n_slots):
    """A target slot for block ``a``: mostly on or next to a neighbour's tile."""
    deg = indptr[a + 1] - indptr[a]
    if deg == 0 or rng.random() < 0.2:
        return rng.integers(0, n_slots)
    n = nbr[indptr[a] + rng.integers(0, deg)]
    tx = slot_x[slot_of[n]] + rng.integers(-1, 2) - x0
    ty = slot_y[slot_of[n]] + rng.integers(-1, 2) - y0
    if tx < 0 or ty < 0 or tx >= width or ty >= height:
        return rng.integers(0, n_slots)
    t = ty * width + tx
    if tile_count[t] == 0:
        return rng.integers(0, n_slots)
    return tile_start[t] + rng.integers(0, tile_count[t])


@numba.njit(cache=True)
def _anneal(indptr, nbr, weight, slot_x, slot_y, slot_of, tile_start, tile_count, x0, y0,
            width, height, iterations, rng, t0_scale, final_ratio):
    n_blocks = len(slot_of)
    n_slots = len(slot_x)
    block_of = np.full(n_slots, -1, dtype=np.int64)
    for a in range(n_blocks):
        block_of[slot_of[a]] = a
    cost = _cost(indptr, nbr, weight, slot_x, slot_y, slot_of)
    best_cost = cost
    best = slot_of.copy()
    # Initial temperature: the typical cost increase of a proposed move, so that the
    # start accepts about a third of the worsening moves; it falls geometrically 1000-fold.
    ups = 0.0
    n_ups = 0
    for _ in range(200):
        a = rng.integers(0, n_blocks)
        s = _propose(rng, a, indptr, nbr, slot_of, slot_x, slot_y, tile_start, tile_count, x0, y0,
                     width, height, n_slots)
        d = _delta(a, s, indptr, nbr, weight, slot_x, slot_y, slot_of, block_of)
        if d > 0:
            ups += d
            n_ups += 1
    if n_ups == 0:
        return best, best_cost
    t0 = t0_scale * ups / n_ups
    stages = 100
    per_stage = max(1, iterations // stages)
    alpha = final_ratio ** (1.0 / stages)
    temp = t0
    for _ in range(stages):
        for _ in range(per_stage):
            a = rng.integers(0, n_blocks)
            s = _propose(rng, a, indptr, nbr, slot_of, slot_x, slot_y, tile_start, tile_count, x0,
                         y0, width, height, n_slots)
            b = block_of[s]
            if b == a:
                continue
            d = _delta(a, s, indptr, nbr, weight, slot_x, slot_y, slot_of, block_of)
            if d <= 0 or rng.random() < math.exp(-d / temp):
                pa = slot_of[a]
                slot_of[a] = s
                block_of[s] = a
                block_of[pa] = b
                if b >= 0:
                    slot_of[b] = pa
                cost += d
                if cost < best_cost - 1e-9 * abs(best_cost):
                    best_cost = cost
                    best[:] = slot_of
        temp *= alpha
    return best, _cost(indptr, nbr, weight, slot_x, slot_y, best)


def optimise(hw: Hardware, n_blocks: int, src: np.ndarray, dst: np.ndarray, packets: np.ndarray,
             seed: int = 0, effort: float = 1.0) -> np.ndarray:
    """The optimised core of every block (see the module docstring), before the comparison
    with the baseline."""
    if n_blocks == 0:
        return np.zeros(0, dtype=np.int64)
    chips = compact_chips(hw, chips_needed(hw, n_blocks))
    cores = (chips[:, None] * hw.chip.cores + np.arange(hw.chip.cores)[None, :]).ravel()
    slot_x, slot_y = core_xy(hw, cores)
    # Slots grouped by tile (cores of a tile are consecutive), for moves towards a tile.
    x0, y0 = int(slot_x.min()), int(slot_y.min())
    width, height = int(slot_x.max()) - x0 + 1, int(slot_y.max()) - y0 + 1
    tile = (slot_y - y0) * width + (slot_x - x0)
    order = np.argsort(tile, kind="stable")
    cores, slot_x, slot_y, tile = cores[order], slot_x[order], slot_y[order], tile[order]
    tile_count = np.bincount(tile, minlength=width * height).astype(np.int64)
    tile_start = np.concatenate([[0], np.cumsum(tile_count)[:-1]]).astype(np.int64)
    indptr, nbr, weight = block_adjacency(n_blocks, src, dst, packets)
    centre_x, centre_y = float(np.median(slot_x)), float(np.median(slot_y))
    starts = [_greedy_growth(indptr, nbr, weight, slot_x, slot_y, n_blocks, centre_x, centre_y),
              np.arange(n_blocks, dtype=np.int64)]  # layer order on the chosen chips
    costs = [_cost(indptr, nbr, weight, slot_x, slot_y, s) for s in starts]
    start = starts[int(np.argmin(costs))].copy()
    iterations = int(effort * min(max(2000 * n_blocks, 300_000), 5_000_000))
    best, _ = _anneal(indptr, nbr, weight, slot_x, slot_y, start, tile_start, tile_count, x0, y0,
                      width, height, iterations, np.random.default_rng(seed), T0_SCALE, FINAL_RATIO)
    return cores[best]
