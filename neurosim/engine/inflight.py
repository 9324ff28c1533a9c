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

How it is done at a cost of ``O(log cores + h)`` a packet: each core's packets are a
run of packet numbers in send order (the kernel numbers them as the cores send), so the
next packet to take is the least head of ``cores`` runs, kept in a tournament tree over
the cores keyed by the head's send time plus the core's blocking so far: taking a packet
changes only its own core's key, so the tree keeps each match's loser at its node and a
replay meets only the losers on one leaf-to-root path. The packets in flight are one
queue per destination core: a core serves packets in the order they are taken, so its
queue is in order of service start, and a second winner tree over the queues' first
packets gives the next to drop (ties in service start: lower core first). A packet's
segments are listed once, when it is taken, and read back when it is dropped; its share
``1 / (h + 2)`` comes from a table. Every float is formed by the same operations, in the
same order, as a scan over all cores and a heap of the packets in flight form them (the
first form of this pass), except that packets whose service starts at the very same
time at different cores are dropped in core order rather than in the heap's order.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from neurosim.compiler.xy import ARRIVED, xy_direction
from neurosim.engine.columns import L_ROUTER
from neurosim.engine.network import DATA_SHIFT


@numba.njit(inline="always", cache=True)
def _replay(win, key, c, size):  # pragma: no cover - compiled
    """Replay the winner tree ``win`` from core ``c``'s leaf (``size + c``) to the root
    after ``key[c]`` changed (node ``i``'s children are ``2i`` and ``2i + 1``).

    A node holds the core with the least key below it, ties to the lower core (its left
    subtree's): the core a scan in core order keeping the first least key would pick.
    """
    i = (size + c) >> 1
    while i > 0:
        a = win[2 * i]
        b = win[2 * i + 1]
        win[i] = a if key[a] <= key[b] else b
        i >>= 1


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
    shift = np.zeros(n_cores, np.float64)
    # Each packet's segments, written when it is taken, read when it is dropped.
    seg = np.empty(4 * n_packets + 16, np.int64)
    n_seg = 0
    # The packets in flight: per destination core a queue (a core serves in the order
    # packets are taken, so its queue is in order of service start), linked by packet.
    # Per packet taken, one row: its service start and time, the next packet in its
    # core's queue, and where its segments are (first, end).
    rec = np.empty((n_packets, 5), np.int64)
    rec_s = rec.view(np.float64)
    q_head = np.full(n_cores, -1, np.int64)
    q_tail = np.full(n_cores, -1, np.int64)
    n_flight = 0
    flight_service = 0.0
    # Two tournament trees over the cores (leaf size + c holds core c): the senders, keyed
    # by their next packet's send time plus their blocking so far, and the destinations,
    # keyed by the service start of the first packet in their queue (infinite: none).
    size = 1
    while size < n_cores:
        size *= 2
    send_key = np.full(2 * size, np.inf)  # (leaves size.. until the trees are built)
    send_core = np.empty(2 * size, np.int64)
    drop_key = np.full(2 * size, np.inf)
    drop_core = np.empty(2 * size, np.int64)
    for c in range(size):
        send_core[size + c] = c
        drop_core[size + c] = c
    for c in range(n_cores):  # every core serves from where the update pass left it
        core_free[c] = start if overlapped else updates_end[c]
        if core_pk[c] < core_pk[c + 1]:
            send_key[size + c] = send_s[core_pk[c]] + shift[c]
    # The senders' tree keeps each match's loser (core and key) at its node: only the
    # winner's key ever changes, so a replay meets just the losers on its path.
    lose_core = np.empty(size, np.int64)
    lose_key = np.empty(size, np.float64)
    for i in range(size - 1, 0, -1):
        a = send_core[2 * i]
        b = send_core[2 * i + 1]
        if send_key[size + a] <= send_key[size + b]:
            send_core[i] = a
            lose_core[i] = b
        else:
            send_core[i] = b
            lose_core[i] = a
        lose_key[i] = send_key[size + lose_core[i]]
        drop_core[i] = drop_core[2 * i]
    c = send_core[1]
    s = send_key[size + c]
    drop_key = drop_key[size:].copy()
    pos = core_pk[:n_cores].copy()
    # 1 / (segments + 1): a packet's share of each of its segments' density.
    most_segs = (board.x1 - board.x0) + (board.y1 - board.y0) + 1
    share_of = np.empty(most_segs + 1, np.float64)
    for k in range(1, most_segs + 1):
        share_of[k] = 1.0 / (k + 1)
    while True:
        if s == np.inf:
            break
        i = pos[c]
        pos[c] = i + 1
        # Drop the packets whose service began by s, in order of service start.
        while True:
            to = drop_core[1]
            if not drop_key[to] <= s:
                break
            j = q_head[to]
            nxt = rec[j, 2]
            q_head[to] = nxt
            drop_key[to] = rec_s[nxt, 0] if nxt >= 0 else np.inf
            _replay(drop_core, drop_key, to, size)
            n_flight -= 1
            flight_service -= rec_s[j, 1]
            lo = rec[j, 3]
            hi = rec[j, 4]
            share = share_of[hi - lo]
            for q in range(lo, hi):
                density[seg[q]] -= share
        # The packet's segments along its XY path: their load, then its own share.
        to = data[i] >> DATA_SHIFT
        tile = core_tile[c]
        there = core_tile[to]
        dx = tile_x[there]
        dy = tile_y[there]
        k = 1 + abs(dx - tile_x[tile]) + abs(dy - tile_y[tile])
        if n_seg + k > len(seg):
            grown = np.empty(2 * len(seg) + k, np.int64)
            grown[:n_seg] = seg[:n_seg]
            seg = grown
        share = share_of[k]
        rec[i, 3] = n_seg
        load = 0.0
        load += density[c]
        density[c] += share
        seg[n_seg] = c
        n_seg += 1
        hop_latency = 0.0
        while True:
            d = xy_direction(tile_x[tile], tile_y[tile], dx, dy)
            if d == ARRIVED:
                break
            link = tile * 4 + d
            g = n_cores + link
            load += density[g]
            density[g] += share
            seg[n_seg] = g
            n_seg += 1
            hop_latency += router + link_latency[link]
            tile = link_next[link]
        rec[i, 4] = n_seg
        mean = flight_service / n_flight if n_flight > 0 else 0.0
        if load > buffer * k:
            blocked = (load - buffer * k) * mean
            shift[c] += blocked
            s += blocked
        delay = max(hop_latency, mean * load / k)
        work = service[i]
        begin = max(s + delay, core_free[to])
        core_free[to] = begin + work
        # Into its core's queue (behind the packets taken before it).
        rec_s[i, 0] = begin
        rec_s[i, 1] = work
        rec[i, 2] = -1
        if q_head[to] < 0:
            q_head[to] = i
            drop_key[to] = begin
            _replay(drop_core, drop_key, to, size)
        else:
            rec[q_tail[to], 2] = i
        q_tail[to] = i
        n_flight += 1
        flight_service += work
        # The core's next packet, keyed by its send time plus the core's blocking.
        # Replay: the core with its next key meets the losers on its path to the root.
        cand = c
        cand_key = send_s[i + 1] + shift[c] if i + 1 < core_pk[c + 1] else np.inf
        node = (size + c) >> 1
        while node > 0:
            other = lose_core[node]
            other_key = lose_key[node]
            if other_key < cand_key or (other_key == cand_key and other < cand):
                lose_core[node] = cand
                lose_key[node] = cand_key
                cand = other
                cand_key = other_key
            node >>= 1
        c = cand
        s = cand_key
    for c in range(n_cores):
        updates_end[c] += shift[c]
