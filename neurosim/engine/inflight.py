"""SANA-FE's in-flight estimate of network delay and sender blocking (``noc.congestion:
inflight``, docs/chip-rules.md), as a pass over one step's unicast spike packets.

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

This pass alone times the step's spike packets and counts what the link pass would have
counted of them that the end of the stream does not (:func:`inflight_link_packets`,
:func:`count_step_deliveries`): the link pass does not run for them. Under split fan-in it
still does, since the partial sums that follow are timed on the links it left busy; the
pass then only re-times (``alone`` false).

How it is done at a cost of ``O(log cores + h)`` a packet: each core's packets are a
run of packet numbers in send order (the kernel numbers them as the cores send), so the
next packet to take is the least head of ``cores`` runs, kept in a tournament tree over
the cores keyed by the head's send time plus the core's blocking so far: taking a packet
changes only its own core's key, so the tree keeps each match's loser at its node and a
replay meets only the losers on one leaf-to-root path. The packets in flight are one
queue per destination core: a core serves packets in the order they are taken, so its
queue is in order of service start; it is a run of slots with room for every packet the
core receives in the step, and a second (winner) tree over the queues' first packets
gives the next to drop (ties in service start: lower core first). The trees compare
times as the int64 bits of non-negative float64s, which order as the times do, and every
match is a selection rather than a branch. A packet's path is one of the (sender core,
destination core) *pairs* the route tables use, laid out once per stream
(:func:`inflight_routes`: its segments, their number, the share ``1 / (h + 2)`` and the
summed hop latency, each formed as a walk along the path forms it) and looked up, before
the pass, through a hash of the pair. Every float is formed by the same operations, in
the same order, as a scan over all cores and a heap of the packets in flight form them
(the first form of this pass), except that packets whose service starts at the very same
time at different cores are dropped in core order rather than in the heap's order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from neurosim.compiler.xy import ARRIVED, xy_direction
from neurosim.engine.columns import L_ROUTER, PK_IN, SYN, SYN_KIND
from neurosim.engine.network import DATA_SHIFT, LOW_MASK

_HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing (2⁶⁴ / golden ratio)


CHUNK = 4  # a pair's segments are laid out in groups of this many (see InflightRoutes)


class InflightRoutes(NamedTuple):
    """The (sender core, destination core) pairs of a stream's spike packets, laid out once.

    ``slot_key``/``slot_pair``: an open-addressing hash (linear probing, ``2**bits`` slots)
    from ``sender · cores + destination`` (−1: empty) to the pair. Per pair: its segments
    ``segs[seg_ptr[p]:seg_ptr[p + 1]]`` (the sender core, then ``cores + link`` along the
    XY path: ``n_segs[p]`` of them), padded to a multiple of :data:`CHUNK` with the
    density slot ``n_slots − 1``, which stays 0.0; ``seg_add`` is what each adds to its
    segment's density (the share ``1 / (n_segs + 1)``; 0.0 on a pad). So a pair's loop
    over its segments takes a whole number of chunks of fixed length (one or two here,
    rather than a loop whose exit mispredicts); a pad adds 0.0 to the load, which leaves
    it as it was (a load is never −0.0). Also the share itself, the summed hop latency
    ``Σ (router + link latency)`` and ``pair_packets``, the stream's packets of each pair
    (:func:`inflight_link_packets`).
    """

    n_cores: Any
    n_slots: Any
    bits: Any
    slot_key: Any
    slot_pair: Any
    seg_ptr: Any
    segs: Any
    seg_add: Any
    n_segs: Any
    share: Any
    hop_latency: Any
    pair_packets: Any
    pair_rows: Any  # (3 · pairs,): per pair its first segment, its end and n_segs, together


@numba.njit(inline="always", cache=True)
def _u(i):  # pragma: no cover - compiled
    """``i`` as an unsigned index: numba then indexes without its negative-index
    wraparound (a sign test and a select on every access; in the pass's loop, where every
    index is known to be in range, they were a good part of all the instructions)."""
    return np.uint64(i)


@intrinsic
def _bits(typingctx, time):  # pragma: no cover - compiled
    """The int64 bits of a float64 (a register move: no store and load through memory).
    For non-negative times (``+inf`` included) they order as the times do."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _time(typingctx, bits):  # pragma: no cover - compiled
    """The float64 whose bits are the int64 ``bits`` (the inverse of :func:`_bits`)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@numba.njit(inline="always", cache=True)
def _slot(key, bits):  # pragma: no cover - compiled
    return np.int64((np.uint64(key) * _HASH_MULTIPLIER) >> np.uint64(64 - bits))


@numba.njit(inline="always", cache=True)
def _pair_of(routes, c, to):  # pragma: no cover - compiled
    """The pair of sender core ``c`` and destination core ``to``; −1 if it is not one of
    the table's (the table always has empty slots, where a search for it ends)."""
    key = c * routes.n_cores + to
    mask = (1 << routes.bits) - 1
    h = _slot(key, routes.bits)
    while routes.slot_key[h] != key and routes.slot_key[h] >= 0:
        h = (h + 1) & mask
    return routes.slot_pair[h] if routes.slot_key[h] == key else -1


@numba.njit(cache=True, nogil=True)
def spike_pairs(core_ptr: Any, core_neurons: Any, dest_ptr: Any, dest_core: Any
                ) -> tuple[Any, Any]:  # pragma: no cover - compiled
    """The distinct (sender core, destination core) pairs of the route tables' spikes, as
    two arrays, in order of sender core (each core's destinations marked off once)."""
    n_cores = len(core_ptr) - 1
    seen = np.full(n_cores, -1, np.int64)
    src = np.empty(min(len(dest_core), n_cores * n_cores), np.int64)
    dest = np.empty(len(src), np.int64)
    n = 0
    for c in range(n_cores):
        for i in range(core_ptr[c], core_ptr[c + 1]):
            nrn = core_neurons[i]
            for j in range(dest_ptr[nrn], dest_ptr[nrn + 1]):
                to = dest_core[j]
                if seen[to] != c:
                    seen[to] = c
                    src[n] = c
                    dest[n] = to
                    n += 1
    return src[:n].copy(), dest[:n].copy()


@numba.njit(cache=True, nogil=True)
def inflight_routes(pair_src: Any, pair_dest: Any, board: Any, links: Any, latency: Any
                    ) -> InflightRoutes:  # pragma: no cover - compiled
    """The :class:`InflightRoutes` of the pairs ``(pair_src[j], pair_dest[j])`` (repeats
    allowed): each distinct pair's XY path from its sender's tile to its destination's."""
    tile_x, tile_y, core_tile = board.tile_x, board.tile_y, board.core_tile
    link_next, link_latency = links.link_next, links.link_latency
    router = latency[L_ROUTER]
    n_cores = len(core_tile)
    bits = 4
    while (1 << bits) < 2 * len(pair_src) + 16:
        bits += 1
    mask = (1 << bits) - 1
    slot_key = np.full(1 << bits, -1, np.int64)
    slot_pair = np.empty(1 << bits, np.int64)
    n_pairs = 0
    src = np.empty(len(pair_src), np.int64)
    dest = np.empty(len(pair_src), np.int64)
    for j in range(len(pair_src)):
        key = np.int64(pair_src[j]) * n_cores + np.int64(pair_dest[j])
        h = _slot(key, bits)
        while slot_key[h] != key and slot_key[h] >= 0:
            h = (h + 1) & mask
        if slot_key[h] < 0:
            slot_key[h] = key
            slot_pair[h] = n_pairs
            src[n_pairs] = pair_src[j]
            dest[n_pairs] = pair_dest[j]
            n_pairs += 1
    # Each pair's segments (1 + hops: the sender core and the XY path's links) and where
    # its whole chunks start.
    n_segs = np.empty(n_pairs, np.int64)
    seg_ptr = np.zeros(n_pairs + 1, np.int64)
    for p in range(n_pairs):
        here = core_tile[src[p]]
        there = core_tile[dest[p]]
        n_segs[p] = 1 + abs(tile_x[there] - tile_x[here]) + abs(tile_y[there] - tile_y[here])
        seg_ptr[p + 1] = seg_ptr[p] + CHUNK * (-(-n_segs[p] // CHUNK))
    pad = n_cores + len(link_next)  # the density slot that stays 0.0
    segs = np.full(seg_ptr[n_pairs], pad, np.int64)
    seg_add = np.zeros(seg_ptr[n_pairs], np.float64)
    share = np.empty(n_pairs, np.float64)
    hop_latency = np.empty(n_pairs, np.float64)
    for p in range(n_pairs):
        c = src[p]
        tile = core_tile[c]
        there = core_tile[dest[p]]
        dx = tile_x[there]
        dy = tile_y[there]
        k = n_segs[p]
        first = seg_ptr[p]
        n = first
        segs[n] = c
        n += 1
        walked = 0.0  # summed hop by hop along the path, as the pass always formed it
        while True:
            d = xy_direction(tile_x[tile], tile_y[tile], dx, dy)
            if d == ARRIVED:
                break
            link = tile * 4 + d
            segs[n] = n_cores + link
            n += 1
            walked += router + link_latency[link]
            tile = link_next[link]
        share[p] = 1.0 / (k + 1)
        seg_add[first:n] = share[p]
        hop_latency[p] = walked
    pair_rows = np.empty(3 * n_pairs, np.int64)
    for p in range(n_pairs):
        pair_rows[3 * p] = seg_ptr[p]
        pair_rows[3 * p + 1] = seg_ptr[p + 1]
        pair_rows[3 * p + 2] = n_segs[p]
    return InflightRoutes(n_cores, pad + 1, bits, slot_key, slot_pair, seg_ptr, segs,
                          seg_add, n_segs, share, hop_latency, np.zeros(n_pairs, np.int64),
                          pair_rows)


@numba.njit(cache=True, nogil=True)
def inflight_link_packets(routes: Any, link_packets: Any) -> None:  # pragma: no cover
    """Add each pair's packets of the stream to every link of its path (``link_packets``):
    what the link pass counts of them, the packets that crossed each link."""
    n_cores = routes.n_cores
    for p in range(len(routes.pair_packets)):
        m = routes.pair_packets[p]
        if m == 0:
            continue
        first = routes.seg_ptr[p]
        for q in range(first + 1, first + routes.n_segs[p]):
            link_packets[routes.segs[q] - n_cores] += m


@numba.njit(cache=True, nogil=True)
def count_step_deliveries(n_packets: int, data: Any, core_syn_col: Any, pair_nsyn: Any,
                          pair_kind_nsyn: Any, core_counts: Any) -> None:  # pragma: no cover
    """Count the step's unicast spike packets at their cores as the link pass's serving
    counts them (a packet in, its synapses, by kind): for the per-step counts, when the
    in-flight pass times the packets alone. ``data`` as
    :func:`~neurosim.engine.network.inject` writes it."""
    for i in range(n_packets):
        c = data[i] >> DATA_SHIFT
        low = data[i] & LOW_MASK
        col = core_syn_col[c]
        if col >= 0:  # the core receives one synapse kind: low is the synapse count
            nsyn = low
            core_counts[c, col] += nsyn
        else:  # several: low is the pair, whose split is kept
            nsyn = np.int64(pair_nsyn[low])
            for kd in range(3):
                core_counts[c, SYN_KIND + kd] += pair_kind_nsyn[low, kd]
        core_counts[c, PK_IN] += 1
        core_counts[c, SYN] += nsyn


@numba.njit(inline="always", cache=True)
def _replay(tree, c, key, size):  # pragma: no cover - compiled
    """Set core ``c``'s leaf (``size + c``) of the winner tree ``tree`` to ``key`` and
    replay to the root; returns the root's key and core. Node ``i`` (children ``2i`` and ``2i + 1``) holds the least key
    below it at ``tree[2i]`` and its core at ``tree[2i + 1]``, ties to the lower core
    (the left subtree's).

    Keys are the bits of non-negative float64 times (``+inf``: none) as int64, which
    order as the times do, so that a match is an integer comparison: the sibling wins
    with a lesser key, or an equal one when it is the left child (``i`` odd), that is
    when ``key_sib < key + (i & 1)``. The winner carried up stays in registers; each
    match is a selection, not a branch (which side wins is as good as random, and a
    mispredicted branch per level cost more than the match).
    """
    i = size + c
    tree[_u(2 * i)] = key
    core = c
    while i > 1:
        sib = i ^ 1
        key_sib = tree[_u(2 * sib)]
        core_sib = tree[_u(2 * sib + 1)]
        # The sibling wins when key_sib − key − (i & 1) < 0 (no overflow: keys lie in
        # [0, 2⁶³)): its sign, spread over the word, selects by masks. Written as a
        # comparison and a conditional, the compiler turned the selection into a branch.
        take = (key_sib - key - (i & 1)) >> 63  # all ones when the sibling wins
        key ^= (key ^ key_sib) & take
        core ^= (core ^ core_sib) & take
        i >>= 1
        tree[_u(2 * i)] = key
        tree[_u(2 * i + 1)] = core
    return key, core


@numba.njit(cache=True, nogil=True)
def inflight_timing(n_packets: int, core_pk: Any, send_s: Any, data: Any, service: Any,
                    start: float, overlapped: bool, routes: Any, buffer_depth: int,
                    core_free: Any, updates_end: Any, core_busy: Any, alone: bool
                    ) -> None:  # pragma: no cover - compiled
    """Time the step's ``n_packets`` unicast spike packets by the in-flight estimate.

    Core ``c`` sent packets ``core_pk[c] .. core_pk[c + 1]``, in that order; packet ``i``
    left at ``send_s[i]`` (before any blocking), with ``data[i]`` (destination core
    ``<< DATA_SHIFT``) and service time ``service[i]`` (:func:`~neurosim.engine.network.inject`);
    its pair is in ``routes`` (:func:`inflight_routes`). Writes ``core_free`` (every core
    serves from the step's start if ``overlapped``, else from the end of its updates) and
    shifts ``updates_end`` of each blocked sender. ``alone`` (the link pass did not serve
    these packets): also adds each service to its core's ``core_busy``, in the order the
    core serves them, and counts the packets of each pair (:func:`inflight_link_packets`).

    (The pass's state sits in few arrays, related values side by side, as the loop holds
    every array it touches in a register or on the stack.)
    """
    segs, seg_add, pair_rows = routes.segs, routes.seg_add, routes.pair_rows
    pair_hop, pair_packets = routes.hop_latency, routes.pair_packets
    buffer = float(buffer_depth)
    n_cores = routes.n_cores
    density = np.zeros(routes.n_slots, np.float64)  # cores, links, the pads' slot
    # Per core: the time it is free to serve, its blocking so far, its busy time.
    state = np.empty(3 * n_cores, np.float64)
    for c in range(n_cores):
        state[3 * c] = start if overlapped else updates_end[c]
        state[3 * c + 1] = 0.0
        state[3 * c + 2] = core_busy[c]
    # Each packet's destination and pair (packet i: 2i, 2i + 1), found before the pass
    # (independent lookups overlap; inside the pass each would wait on the one before),
    # and how many packets each core receives.
    packet = np.empty(2 * n_packets, np.int64)
    first = np.zeros(n_cores + 1, np.int64)
    for c in range(n_cores):
        for i in range(core_pk[c], core_pk[c + 1]):
            to = data[i] >> DATA_SHIFT
            packet[2 * i] = to
            p = _pair_of(routes, c, to)
            if p < 0:
                raise ValueError("a spike packet's (sender, destination) pair is not one "
                                 "of the route tables'")
            packet[2 * i + 1] = p
            first[to + 1] += 1
    for c in range(n_cores):
        first[c + 1] += first[c]
    # The packets in flight: per destination core a queue (a core serves in the order
    # packets are taken, so its queue is in order of service start), its slots
    # queue[2c] .. queue[2c + 1] of a run with room for all the core receives; per slot
    # h the packet's service start and time (timing[2h], timing[2h + 1]) and its pair.
    queue = np.empty(2 * n_cores, np.int64)
    for c in range(n_cores):
        queue[2 * c] = first[c]
        queue[2 * c + 1] = first[c]
    timing = np.empty(2 * n_packets + 2, np.float64)
    slot_pair = np.empty(n_packets + 1, np.int64)
    n_flight = 0
    flight_service = 0.0
    # Each core's run of packets: the next one to send (2c) and the run's end (2c + 1).
    run = np.empty(2 * n_cores, np.int64)
    for c in range(n_cores):
        run[2 * c] = core_pk[c]
        run[2 * c + 1] = core_pk[c + 1]
    # Two tournament trees over the cores (leaf size + c holds core c), keyed by times as
    # int64 bits (see _replay): the senders, keyed by their next packet's send time plus
    # their blocking so far, and the destinations, keyed by the service start of the
    # first packet in their queue (infinite: none).
    size = 1
    while size < n_cores:
        size *= 2
    inf_bits = _bits(np.inf)
    send_key = np.full(2 * size, inf_bits, np.int64)  # (leaves size.. until built)
    send_core = np.empty(2 * size, np.int64)
    drop = np.empty(4 * size, np.int64)
    for i in range(2 * size):
        drop[2 * i] = inf_bits
    for c in range(size):
        send_core[size + c] = c
        drop[2 * (size + c) + 1] = c
    for i in range(size - 1, 0, -1):
        drop[2 * i + 1] = drop[2 * (2 * i) + 1]
    for c in range(n_cores):
        if core_pk[c] < core_pk[c + 1]:
            send_key[size + c] = _bits(send_s[core_pk[c]])
    # The senders' tree keeps each match's loser at its node (key 2i, core 2i + 1): only
    # the winner's key ever changes, so a replay meets just the losers on its path.
    lose = np.empty(2 * size, np.int64)
    for i in range(size - 1, 0, -1):
        a = send_core[2 * i]
        b = send_core[2 * i + 1]
        if send_key[size + a] <= send_key[size + b]:
            send_core[i] = a
            lose[2 * i + 1] = b
        else:
            send_core[i] = b
            lose[2 * i + 1] = a
        lose[2 * i] = send_key[size + lose[2 * i + 1]]
    c = send_core[1]
    s = _time(send_key[size + c])
    least = inf_bits  # the drop tree's root: its key and core
    least_core = 0
    while s != np.inf:
        i = run[_u(2 * c)]
        run[_u(2 * c)] = i + 1
        # Drop the packets whose service began by s, in order of service start.
        s_bits = _bits(s)
        while least <= s_bits:
            to = least_core
            h = queue[_u(2 * to)]
            p = slot_pair[_u(h)]
            flight_service -= timing[_u(2 * h + 1)]
            n_flight -= 1
            h += 1
            queue[_u(2 * to)] = h
            key = _bits(timing[_u(2 * h)]) if h < queue[_u(2 * to + 1)] else inf_bits
            least, least_core = _replay(drop, to, key, size)
            q = pair_rows[_u(3 * p)]
            end = pair_rows[_u(3 * p + 1)]
            while True:  # whole chunks (see InflightRoutes)
                density[_u(segs[_u(q)])] -= seg_add[_u(q)]
                density[_u(segs[_u(q + 1)])] -= seg_add[_u(q + 1)]
                density[_u(segs[_u(q + 2)])] -= seg_add[_u(q + 2)]
                density[_u(segs[_u(q + 3)])] -= seg_add[_u(q + 3)]
                q += CHUNK
                if q >= end:
                    break
        # The packet's segments along its XY path: their load, then its own share.
        to = packet[_u(2 * i)]
        p = packet[_u(2 * i + 1)]
        q = pair_rows[_u(3 * p)]
        end = pair_rows[_u(3 * p + 1)]
        k = pair_rows[_u(3 * p + 2)]
        load = 0.0
        while True:
            g = segs[_u(q)]
            load += density[_u(g)]
            density[_u(g)] += seg_add[_u(q)]
            g = segs[_u(q + 1)]
            load += density[_u(g)]
            density[_u(g)] += seg_add[_u(q + 1)]
            g = segs[_u(q + 2)]
            load += density[_u(g)]
            density[_u(g)] += seg_add[_u(q + 2)]
            g = segs[_u(q + 3)]
            load += density[_u(g)]
            density[_u(g)] += seg_add[_u(q + 3)]
            q += CHUNK
            if q >= end:
                break
        mean = flight_service / n_flight if n_flight > 0 else 0.0
        # Blocked or not is as good as random: a selection, and adding 0.0 when not
        # blocked leaves the sums as they were (neither is ever −0.0).
        blocked = (load - buffer * k) * mean if load > buffer * k else 0.0
        shift = state[_u(3 * c + 1)] + blocked
        state[_u(3 * c + 1)] = shift
        s += blocked
        # (max(a, b) written out: numba calls a helper for the builtin on floats.)
        hop = pair_hop[_u(p)]
        estimate = mean * load / k
        delay = estimate if estimate > hop else hop
        work = service[_u(i)]
        sent = s + delay
        free = state[_u(3 * to)]
        begin = free if free > sent else sent
        state[_u(3 * to)] = begin + work
        if alone:
            state[_u(3 * to + 2)] += work
            pair_packets[_u(p)] += 1
        # Into its core's queue (behind the packets taken before it).
        t = queue[_u(2 * to + 1)]
        timing[_u(2 * t)] = begin
        timing[_u(2 * t + 1)] = work
        slot_pair[_u(t)] = p
        queue[_u(2 * to + 1)] = t + 1
        if queue[_u(2 * to)] == t:  # the queue was empty: its key was infinite
            least, least_core = _replay(drop, to, _bits(begin), size)
        n_flight += 1
        flight_service += work
        # The core's next packet, keyed by its send time plus the core's blocking.
        # Replay: the core with its next key meets the losers on its path to the root
        # (the same integer matches as _replay's, the candidate coming from child ``node``).
        more = i + 1 < run[_u(2 * c + 1)]
        cand = c
        cand_key = _bits(send_s[_u(i + 1 if more else i)] + shift) if more else inf_bits
        node = size + c
        while node > 1:
            up = node >> 1
            other_key = lose[_u(2 * up)]
            other = lose[_u(2 * up + 1)]
            wins = other_key < cand_key + (node & 1)
            lose[_u(2 * up)] = cand_key if wins else other_key
            lose[_u(2 * up + 1)] = cand if wins else other
            cand = other if wins else cand
            cand_key = other_key if wins else cand_key
            node = up
        c = cand
        s = _time(cand_key)
    for c in range(n_cores):
        core_free[c] = state[3 * c]
        updates_end[c] += state[3 * c + 1]
        core_busy[c] = state[3 * c + 2]
