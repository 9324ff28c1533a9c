"""SANA-FE's in-flight estimate of network delay and sender blocking (``noc.congestion:
inflight``, docs/chip-rules.md), as a pass over one step's unicast spike packets.

The link pass (:func:`neurosim.engine.network.network_pass`) still runs before it and
gives the counts; this pass re-times the packets' service and the senders' blocking.

A packet's *segments* are its sender core's output and the links of its XY path
(``h + 1`` for ``h`` hops). A packet is *in flight* from when it is sent until its core
starts to serve it; meanwhile it adds ``1 / (h + 2)`` to the density of each of its
segments. Packets are taken in order of send time (ties: lower core first). A packet whose
core would send it at ``s`` first drops the packets whose service began by ``s``, then
with ``D`` the summed density of its segments and ``m`` the mean service time of all
packets in flight (none: 0):

* it blocks its sender for ``(D − B·(h + 1))·m`` when ``D > B·(h + 1)``
  (``B = noc.buffer_depth``), which delays every later packet and the updates of that core;
* its network delay is ``max(Σ hop latencies, m·D / (h + 1))``, and its core serves it at
  ``max(sent + delay, core free)``, in the order packets are taken.

How it is done at a cost of ``O(log cores + log in-flight + h)`` a packet: each core's
packets are a run of packet numbers in send order (the kernel numbers them as the cores
send), so the next packet to take is the least head of ``cores`` runs, kept in a winner
tree over the cores whose key is the head's send time plus the core's blocking so far:
taking a packet changes only its own core's key, one leaf-to-root replay. The packets in
flight are a binary heap by service start. A packet's segments are walked along its XY
path when it is taken and again when it is dropped (no per-packet segment lists).
Every float is formed by the same operations, in the same order, as a scan over all
cores would form them, so the times do not depend on how the next sender is found.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from neurosim.compiler.xy import ARRIVED, xy_direction
from neurosim.engine.columns import L_ROUTER
from neurosim.engine.network import DATA_SHIFT


@numba.njit(inline="always", cache=True)
def _heap_push(key, val, n, item_key, item_val):  # pragma: no cover - compiled
    """Push (item_key, item_val) on the binary min-heap key[:n], val[:n]; returns n + 1."""
    i = n
    key[i] = item_key
    val[i] = item_val
    while i > 0:
        up = (i - 1) // 2
        if key[up] <= key[i]:
            break
        key[up], key[i] = key[i], key[up]
        val[up], val[i] = val[i], val[up]
        i = up
    return n + 1


@numba.njit(inline="always", cache=True)
def _heap_pop(key, val, n):  # pragma: no cover - compiled
    """Remove the root of the min-heap key[:n], val[:n] (read it before); returns n − 1."""
    n -= 1
    key[0] = key[n]
    val[0] = val[n]
    i = 0
    while True:
        a = 2 * i + 1
        if a >= n:
            break
        if a + 1 < n and key[a + 1] < key[a]:
            a += 1
        if key[i] <= key[a]:
            break
        key[a], key[i] = key[i], key[a]
        val[a], val[i] = val[i], val[a]
        i = a
    return n


@numba.njit(inline="always", cache=True)
def _replay(win, key, leaf):  # pragma: no cover - compiled
    """Replay the winner tree ``win`` from ``leaf`` to the root after ``key`` of it changed.

    A node holds the core with the least key below it, ties to the lower core (its left
    subtree's): the core a scan in core order keeping the first least key would pick.
    """
    i = leaf >> 1
    while i > 0:
        a = win[2 * i]
        b = win[2 * i + 1]
        win[i] = a if key[a] <= key[b] else b
        i >>= 1


@numba.njit(inline="always", cache=True)
def _spread(density, share, c, n_cores, tile, dest, tile_x, tile_y, link_next
            ):  # pragma: no cover - compiled
    """Add ``share`` to the density of each segment of a packet from core ``c`` (at
    ``tile``) to tile ``dest``: the core's output, then the links of its XY path."""
    density[c] += share
    dx = tile_x[dest]
    dy = tile_y[dest]
    while True:
        d = xy_direction(tile_x[tile], tile_y[tile], dx, dy)
        if d == ARRIVED:
            break
        link = tile * 4 + d
        density[n_cores + link] += share
        tile = link_next[link]


@numba.njit(cache=True, nogil=True)
def inflight_timing(n_packets: int, core_pk: Any, send_s: Any, data: Any, service: Any,
                    start: float, overlapped: bool, board: Any, links: Any, latency: Any,
                    buffer_depth: int, core_free: Any, updates_end: Any
                    ) -> None:  # pragma: no cover - compiled
    """Re-time the step's ``n_packets`` unicast spike packets by the in-flight estimate.

    Core ``c`` sent packets ``core_pk[c] .. core_pk[c + 1]``, in that order; packet ``i``
    left at ``send_s[i]`` (before any blocking), with ``data[i]`` (destination core
    ``<< DATA_SHIFT``) and service time ``service[i]`` (:func:`~neurosim.engine.network.inject`).
    ``board`` and ``links`` are the pass's :class:`~neurosim.engine.network.Board` and
    link tables, ``latency`` the chip's (L_* order). Writes ``core_free`` (as after the
    link pass) and shifts ``updates_end`` of each blocked sender.
    """
    tile_x, tile_y, core_tile = board.tile_x, board.tile_y, board.core_tile
    link_next, link_latency = links.link_next, links.link_latency
    router = latency[L_ROUTER]
    buffer = float(buffer_depth)
    n_cores = len(core_tile)
    density = np.zeros(n_cores + len(link_next), np.float64)  # cores, then links
    heap_t = np.empty(n_packets, np.float64)  # packets in flight, by service start
    heap_i = np.empty(n_packets, np.int64)
    sender = np.empty(n_packets, np.int64)
    n_heap = 0
    n_flight = 0
    flight_service = 0.0
    shift = np.zeros(n_cores, np.float64)
    # The winner tree over the cores: leaf size + c holds core c, keyed by its next
    # packet's send time plus its blocking (infinite when it has sent all).
    size = 1
    while size < n_cores:
        size *= 2
    key = np.full(size, np.inf)
    win = np.empty(2 * size, np.int64)
    pos = np.empty(n_cores, np.int64)
    for c in range(n_cores):  # every core serves from where the update pass left it
        core_free[c] = start if overlapped else updates_end[c]
        pos[c] = core_pk[c]
        if core_pk[c] < core_pk[c + 1]:
            key[c] = send_s[core_pk[c]] + shift[c]
    for c in range(size):
        win[size + c] = c
    for i in range(size - 1, 0, -1):
        a = win[2 * i]
        b = win[2 * i + 1]
        win[i] = a if key[a] <= key[b] else b
    while True:
        c = win[1]
        s = key[c]
        if s == np.inf:
            break
        i = pos[c]
        pos[c] = i + 1
        while n_heap > 0 and heap_t[0] <= s:
            j = heap_i[0]
            n_heap = _heap_pop(heap_t, heap_i, n_heap)
            n_flight -= 1
            flight_service -= service[j]
            cj = sender[j]
            here = core_tile[cj]
            there = core_tile[data[j] >> DATA_SHIFT]
            hops = abs(tile_x[there] - tile_x[here]) + abs(tile_y[there] - tile_y[here])
            _spread(density, -(1.0 / (hops + 2)), cj, n_cores, here, there, tile_x, tile_y,
                    link_next)
        # The packet's load: the densities of its segments, along its XY path.
        to = data[i] >> DATA_SHIFT
        tile = core_tile[c]
        there = core_tile[to]
        dx = tile_x[there]
        dy = tile_y[there]
        load = 0.0
        load += density[c]
        k = 1
        hop_latency = 0.0
        while True:
            d = xy_direction(tile_x[tile], tile_y[tile], dx, dy)
            if d == ARRIVED:
                break
            link = tile * 4 + d
            load += density[n_cores + link]
            k += 1
            hop_latency += router + link_latency[link]
            tile = link_next[link]
        mean = flight_service / n_flight if n_flight > 0 else 0.0
        if load > buffer * k:
            blocked = (load - buffer * k) * mean
            shift[c] += blocked
            s += blocked
        delay = max(hop_latency, mean * load / k)
        work = service[i]
        begin = max(s + delay, core_free[to])
        core_free[to] = begin + work
        n_heap = _heap_push(heap_t, heap_i, n_heap, begin, i)
        sender[i] = c
        n_flight += 1
        flight_service += work
        _spread(density, 1.0 / (k + 1), c, n_cores, core_tile[c], there, tile_x, tile_y,
                link_next)
        # The core's next packet, keyed by its send time plus the core's blocking.
        if i + 1 < core_pk[c + 1]:
            key[c] = send_s[i + 1] + shift[c]
        else:
            key[c] = np.inf
        _replay(win, key, size + c)
    for c in range(n_cores):
        updates_end[c] += shift[c]
