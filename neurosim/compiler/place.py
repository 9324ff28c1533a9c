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
import time

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


GREEDY_EXACT_BLOCKS = 8192
"""Up to this many blocks greedy growth scores every free slot against every placed
neighbour (:func:`_greedy_growth`); above it, by tile with the cost split into its x and
y parts (:func:`_greedy_growth_by_tile`): the same rule, with ties (equal cost) going to
the tile nearest the centre exactly, where the per-slot sums of the first keep only what
rounding leaves of their 1e-9 tie term."""


@numba.njit(cache=True)
def _greedy_growth_by_tile(indptr, nbr, weight, slot_x, slot_y, tile_start, tile_count, x0, y0,
                           width, height, n_blocks, centre_x, centre_y):
    """:func:`_greedy_growth` in O(blocks · (blocks + tiles) + links · (width + height)).

    The cost of a slot to the placed neighbours, Σ w·(|x − px| + |y − py|), is the same for
    the slots of one tile and is ``fx[x] + fy[y]`` with ``fx[x] = Σ w·|x − px|`` and
    ``fy[y] = Σ w·|y − py|``: each neighbour adds to ``fx`` and ``fy`` once (width + height
    terms) instead of to every slot. A tile's slots fill in slot order.
    """
    slot_of = np.full(n_blocks, -1, dtype=np.int64)
    used = np.zeros(width * height, dtype=np.int64)
    attach = np.zeros(n_blocks)
    strength = np.zeros(n_blocks)
    for a in range(n_blocks):
        for k in range(indptr[a], indptr[a + 1]):
            strength[a] += weight[k]
    fx = np.zeros(width)
    fy = np.zeros(height)
    for step in range(n_blocks):
        pick = -1
        for a in range(n_blocks):
            if slot_of[a] < 0 and (pick < 0 or attach[a] > attach[pick]
                                   or (attach[a] == attach[pick] and step == 0
                                       and strength[a] > strength[pick])):
                pick = a
        fx[:] = 0.0
        fy[:] = 0.0
        for k in range(indptr[pick], indptr[pick + 1]):
            n = nbr[k]
            if slot_of[n] >= 0:
                px, py = slot_x[slot_of[n]] - x0, slot_y[slot_of[n]] - y0
                for x in range(width):
                    fx[x] += weight[k] * abs(x - px)
                for y in range(height):
                    fy[y] += weight[k] * abs(y - py)
        best, best_cost, best_tie = -1, 0.0, 0.0
        for t in range(width * height):
            if used[t] < tile_count[t]:
                x, y = t % width, t // width
                c = fx[x] + fy[y]
                tie = abs(x + x0 - centre_x) + abs(y + y0 - centre_y)
                if best < 0 or c < best_cost or (c == best_cost and tie < best_tie):
                    best, best_cost, best_tie = t, c, tie
        slot_of[pick] = tile_start[best] + used[best]
        used[best] += 1
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
def _start_temperature(indptr, nbr, weight, slot_x, slot_y, slot_of, block_of, tile_start,
                       tile_count, x0, y0, width, height, rng, t0_scale):
    """The typical cost increase of a proposed move, times ``t0_scale`` (0 if no move
    worsens): the start then accepts about a third of the worsening moves."""
    n_blocks = len(slot_of)
    n_slots = len(slot_x)
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
    return t0_scale * ups / n_ups if n_ups else 0.0


@numba.njit(cache=True)
def _anneal_stage(indptr, nbr, weight, slot_x, slot_y, slot_of, block_of, tile_start, tile_count,
                  x0, y0, width, height, moves, temp, rng, cost, best_cost, best):
    """``moves`` swap proposals at temperature ``temp`` (Metropolis rule); ``slot_of``,
    ``block_of`` and ``best`` are updated in place. Returns (cost, best cost)."""
    n_blocks = len(slot_of)
    n_slots = len(slot_x)
    for _ in range(moves):
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
    return cost, best_cost


STAGES = 100
"""Temperature stages of the annealing; the temperature falls by FINAL_RATIO over them."""


def _anneal(indptr, nbr, weight, slot_x, slot_y, slot_of, tile_start, tile_count, x0, y0,
            width, height, iterations, rng, t0_scale, final_ratio, deadline=math.inf):
    """Simulated annealing from ``slot_of``: the best placement seen, its cost, the moves
    made and whether the deadline shortened the stages.

    ``iterations`` moves over :data:`STAGES` geometric temperature stages. If the stages
    so far predict that the rest would end after ``deadline`` (a ``time.perf_counter()``
    value), the remaining stages get fewer moves each, so the whole schedule (down to the
    final temperature) still runs and ends about at the deadline.
    """
    n_slots = len(slot_x)
    block_of = np.full(n_slots, -1, dtype=np.int64)
    block_of[slot_of] = np.arange(len(slot_of))
    cost = _cost(indptr, nbr, weight, slot_x, slot_y, slot_of)
    best = slot_of.copy()
    t0 = _start_temperature(indptr, nbr, weight, slot_x, slot_y, slot_of, block_of, tile_start,
                            tile_count, x0, y0, width, height, rng, t0_scale)
    done, limited = 0, False
    if t0 == 0.0:
        return best, cost, done, limited
    alpha = final_ratio ** (1.0 / STAGES)
    per_stage = max(1, iterations // STAGES)
    temp, best_cost = t0, cost
    begun = time.perf_counter()
    for stage in range(STAGES):
        cost, best_cost = _anneal_stage(indptr, nbr, weight, slot_x, slot_y, slot_of, block_of,
                                        tile_start, tile_count, x0, y0, width, height, per_stage,
                                        temp, rng, cost, best_cost, best)
        done += per_stage
        temp *= alpha
        now = time.perf_counter()
        left = STAGES - stage - 1
        if left and now + left * per_stage * (now - begun) / done > deadline:
            rate = done / max(now - begun, 1e-9)
            per_stage = max(1, min(per_stage, int(rate * max(deadline - now, 0.0) / left)))
            limited = True
    return best, _cost(indptr, nbr, weight, slot_x, slot_y, best), done, limited


PLACER_TIME_LIMIT_S = 60.0
"""Default wall-time budget of the optimising placer (greedy growth and annealing)."""


def optimise(hw: Hardware, n_blocks: int, src: np.ndarray, dst: np.ndarray, packets: np.ndarray,
             seed: int = 0, effort: float = 1.0, time_limit_s: float = PLACER_TIME_LIMIT_S,
             details: dict | None = None) -> np.ndarray:
    """The optimised core of every block (see the module docstring), before the comparison
    with the baseline.

    The annealing plans ``effort × min(max(2000·blocks, 300k), 5M)`` moves; if they would
    end after ``time_limit_s`` (counted from the call), the remaining temperature stages get
    fewer moves each (see :func:`_anneal`), so the placer ends in about that time. Within
    the limit the result depends on the seed only; once the limit binds it also depends on
    the machine's speed. ``details``, if given, receives what was done: the moves planned
    and made, the seconds taken and whether the limit bound.
    """
    begun = time.perf_counter()
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
    if n_blocks <= GREEDY_EXACT_BLOCKS:
        greedy = _greedy_growth(indptr, nbr, weight, slot_x, slot_y, n_blocks, centre_x, centre_y)
    else:
        greedy = _greedy_growth_by_tile(indptr, nbr, weight, slot_x, slot_y, tile_start,
                                        tile_count, x0, y0, width, height, n_blocks, centre_x,
                                        centre_y)
    starts = [greedy, np.arange(n_blocks, dtype=np.int64)]  # layer order on the chosen chips
    greedy_s = time.perf_counter() - begun
    costs = [_cost(indptr, nbr, weight, slot_x, slot_y, s) for s in starts]
    start = starts[int(np.argmin(costs))].copy()
    iterations = int(effort * min(max(2000 * n_blocks, 300_000), 5_000_000))
    best, _, moves, limited = _anneal(indptr, nbr, weight, slot_x, slot_y, start, tile_start, tile_count,
                             x0, y0, width, height, iterations, np.random.default_rng(seed),
                             T0_SCALE, FINAL_RATIO, deadline=begun + time_limit_s)
    if details is not None:
        details.update({"greedy_s": greedy_s, "anneal_moves_planned": iterations,
                        "anneal_moves": int(moves), "time_s": time.perf_counter() - begun,
                        "time_limit_s": float(time_limit_s),
                        "time_limited": bool(limited)})
    return cores[best]
