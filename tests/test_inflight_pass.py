"""The in-flight pass (neurosim.engine.inflight) against the rule written out plainly.

The reference below takes the rule of docs/chip-rules.md ("Network contention") literally:
scan every core for the earliest next send, keep the packets in flight in one list and
drop those whose service has begun, sum densities segment by segment. The pass finds the
next sender and the next packet to drop with tournament trees and per-core queues; on
random steps (blocking included) both must give the same service ends and blocking.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.engine.columns import L_PK_IN, L_ROUTER
from neurosim.engine.inflight import inflight_timing
from neurosim.engine.kernel import LinkTables
from neurosim.engine.network import DATA_SHIFT, Board


def _mesh(width: int, height: int, rng: np.random.Generator) -> LinkTables:
    """A width × height mesh: link tile·4 + d goes east, west, north, south."""
    n = width * height
    link_next = np.full(4 * n, -1, np.int64)
    for tile in range(n):
        x, y = tile % width, tile // width
        for d, (nx, ny) in enumerate(((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1))):
            if 0 <= nx < width and 0 <= ny < height:
                link_next[4 * tile + d] = ny * width + nx
    latency = rng.uniform(1e-9, 5e-9, 4 * n)
    return LinkTables(width, link_next, latency, np.full(4 * n, 1e-9))


def _reference(core_pk, send_s, dest, service, core_tile, width, links, router, buffer,
               start, overlapped, updates_end):
    """The rule, literally: returns (core_free, updates_end)."""
    n_cores = len(core_tile)
    core_free = [start if overlapped else updates_end[c] for c in range(n_cores)]
    shift = [0.0] * n_cores
    pos = list(core_pk[:n_cores])
    density: dict[int, float] = {}
    flight: list[tuple[float, int, list[int]]] = []  # (service start, packet, segments)
    n_flight, flight_service = 0, 0.0
    while True:
        best = None
        for c in range(n_cores):  # the earliest next send, ties to the lower core
            if pos[c] < core_pk[c + 1]:
                when = send_s[pos[c]] + shift[c]
                if best is None or when < best[0]:
                    best = (when, c)
        if best is None:
            break
        s, c = best
        i = pos[c]
        pos[c] += 1
        for begin, j, segs in sorted(f for f in flight if f[0] <= s):
            flight.remove((begin, j, segs))
            n_flight -= 1
            flight_service -= service[j]
            for g in segs:
                density[g] -= 1.0 / (len(segs) + 1)
        tile = core_tile[c]
        there = core_tile[dest[i]]
        segs = [c]
        hop_latency = 0.0
        while tile != there:
            x, y, dx, dy = tile % width, tile // width, there % width, there // width
            d = 0 if dx > x else 1 if dx < x else 2 if dy > y else 3
            link = 4 * tile + d
            segs.append(n_cores + link)
            hop_latency += router + links.link_latency[link]
            tile = links.link_next[link]
        load = 0.0
        for g in segs:
            load += density.get(g, 0.0)
        k = len(segs)
        mean = flight_service / n_flight if n_flight else 0.0
        if load > buffer * k:
            blocked = (load - buffer * k) * mean
            shift[c] += blocked
            s += blocked
        delay = max(hop_latency, mean * load / k)
        begin = max(s + delay, core_free[dest[i]])
        core_free[dest[i]] = begin + service[i]
        flight.append((begin, i, segs))
        n_flight += 1
        flight_service += service[i]
        for g in segs:
            density[g] = density.get(g, 0.0) + 1.0 / (k + 1)
    return np.array(core_free), np.array([updates_end[c] + shift[c] for c in range(n_cores)])


@pytest.mark.parametrize("seed", range(12))
def test_inflight_pass_matches_the_rule_written_out(seed: int) -> None:
    rng = np.random.default_rng(seed)
    width, height = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    links = _mesh(width, height, rng)
    n_cores = int(rng.integers(1, 10))
    core_tile = np.sort(rng.integers(0, width * height, n_cores)).astype(np.int64)
    counts = rng.integers(0, 40, n_cores)
    counts[rng.integers(0, n_cores)] += 1  # at least one packet
    core_pk = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    n = int(core_pk[-1])
    start = 1e-6
    # Each core sends in order, a few ns apart; destinations and service times at random.
    send_s = np.concatenate([start + np.cumsum(rng.uniform(2e-9, 30e-9, m)) for m in counts])
    dest = rng.integers(0, n_cores, n).astype(np.int64)
    service = rng.uniform(5e-9, 100e-9, n)
    latency = np.zeros(8)
    latency[L_ROUTER] = 2e-9
    latency[L_PK_IN] = 5e-9
    buffer = int(rng.choice([0, 1, 16]))
    overlapped = bool(rng.integers(0, 2))
    updates_end = start + rng.uniform(0, 500e-9, n_cores)
    tile_x = np.arange(width * height) % width
    tile_y = np.arange(width * height) // width
    board = Board(tile_x[core_tile].min(), tile_x[core_tile].max(), tile_y[core_tile].min(),
                  tile_y[core_tile].max(), width, tile_x, tile_y, np.zeros(1, np.int64),
                  np.zeros(1, np.int64), core_tile)
    core_free = np.zeros(n_cores)
    ends = updates_end.copy()
    inflight_timing(n, core_pk, send_s, dest << DATA_SHIFT, service, start, overlapped, board,
                    links, latency, buffer, core_free, ends)
    want_free, want_ends = _reference(core_pk, send_s, dest, service, core_tile, width, links,
                                      latency[L_ROUTER], buffer, start, overlapped,
                                      updates_end)
    # The same operations in the same order: the same floats.
    assert core_free.tolist() == want_free.tolist()
    assert ends.tolist() == want_ends.tolist()
