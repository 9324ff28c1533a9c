"""The network passes of a step: packets over the links, then served at their cores.

The rules are those of :mod:`neurosim.engine.kernel` (steps 3 and 4): XY routes, links
first come first served with ties by packet number, cores serving in order of arrival.
The links are taken in an order where each comes after every link that feeds it (all
``+x`` links west to east, all ``−x`` links east to west, then ``+y`` south to north and
``−y`` north to south), so that a link's requests are all known when it is taken.

**Entries and lists.** A packet waiting at a router is an *entry*: one row of two int64
words (16 bytes) of the entry table — its time (the float64's bits) and its *key*, the
packet number above its destination tile's coordinates (unicast: ``pid << 24 | y << 12 |
x``), so that keys compare as packet numbers do. What a unicast packet does at its core
(the destination core ``<< 32 |`` the synapse count, or the pair's index on a core that
receives several synapse kinds) and its service time there are kept once per packet,
in the pass's ``data`` and ``service`` arrays; a multicast packet's destinations are
its row of the packet table. Entries sit in *lists*, one per source and *action* (leave
on one of the four links, or be delivered): per core, the packets it injected that take
that action at its tile; per link, the packets it carried that take that action at the
tile it leads to. Each list is in (time, packet) order. So the requests of a link (or
of the deliveries at a tile) are exactly the lists of that action from the tile's cores
and from the links into the tile: no entry is read that does not want it. A multicast
packet that forks puts one entry in each of its actions' lists.

A core writes its packets into its lists as it sends them (:func:`inject`, or inline in
the kernel's loop for unicast spikes): each list has room, fixed per stream, for every
packet its core could send in one pass (:func:`injection_bases`).

A unicast link is served in one loop (:func:`_send_unicast`): the k-way merge of its
request lists by (time, packet), the link's timing, and each output written straight
into the list of its next action, which has room for all the link's requests. The merge
takes runs: the list with the least head gives entries while they stay below the least
head of the other lists, which is the choice a head-by-head merge makes. Its deliveries
are merged and served the same way (:func:`_serve_merged`), their counts added from the
spike counts at the end of the stream (:func:`count_deliveries`) unless packets or
per-step counts are recorded (then :func:`_serve`, which counts and traces each). A
multicast link merges into a sequence first (:func:`_merge`), counts its packets' next
actions, then sends them (:func:`_send`).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numba
import numpy as np

from neurosim.compiler.xy import ARRIVED, on_xy_path, xy_direction
from neurosim.engine.columns import L_PK_IN, L_ROUTER, PK_IN, SYN, SYN_KIND
from neurosim.engine.unchecked import at, put

# What a packet does at a router: leave on a link (action = its direction), or be
# delivered; as bits (multicast: several at once), action a is 1 << a.
GO_E, GO_W, GO_N, GO_S, DELIVER = 1, 2, 4, 8, 16
N_ACTIONS = 5
ACT_DELIVER = 4
# Entry columns (int64 words; the time is read through a float64 view).
E_TIME, E_KEY = range(2)
ENTRY_WORDS = 2
KEY_SHIFT = 24    # key = pid << 24 | dest_y << 12 | dest_x
COORD_BITS = 12
COORD_MASK = (1 << COORD_BITS) - 1
MAX_SIDE = 1 << COORD_BITS  # tiles along x or y a key can address
MAX_PACKETS = 1 << (63 - KEY_SHIFT)  # packets of one pass a key can number
DEST_MASK = (1 << KEY_SHIFT) - 1  # a key's destination coordinates
# A unicast pair's *route word* (injection_bases): its first action above the key's
# destination bits, action << KEY_SHIFT | dest_y << 12 | dest_x.
DATA_SHIFT = 32   # data = core << 32 | synapses (or pair)
LOW_MASK = (1 << 32) - 1
# Columns of the packet table (multicast packets, and traced ones).
P_FIRST, P_LAST, P_SRC, P_CORE = range(4)
_QUEUE_EPS = 1e-9


@numba.njit(inline="always", cache=True)
def _wait_for_link(free, ready, ser, buffer_depth, waited, most_ahead, overflows
                   ):  # pragma: no cover - compiled
    """A packet ready at ``ready`` for a link free from ``free``: when it leaves, and the
    link's running wait, largest queue ahead of a packet and buffer overflows after it
    (the queue ahead is the packets still serialising when it arrived)."""
    leave = ready
    if free > ready:
        leave = free
        waited += free - ready
        ahead = math.ceil((free - ready) / ser - _QUEUE_EPS) - 1
        if ahead > most_ahead:
            most_ahead = ahead
        if ahead > buffer_depth:
            overflows += 1
    return leave, waited, most_ahead, overflows


@numba.njit(inline="always", cache=True)
def _close_link(net, counts, link, stamp, m, free, waited, most_ahead, overflows
                ):  # pragma: no cover - compiled
    """Store what serving ``m`` packets left of ``link`` (its state and statistics)."""
    net.link_free[link] = free
    counts.link_wait[link] = waited
    counts.link_max_queue[link] = most_ahead
    counts.link_overflows[link] += overflows
    counts.link_packets[link] += m
    net.out_stamp[link] = stamp


class Pairs(NamedTuple):
    """Destination pairs a pass's packets point into: tile, core, synapse count, and for
    cores that receive several synapse kinds, each kind's count and the service time."""

    tile: Any
    core: Any
    nsyn: Any
    kind_nsyn: Any
    syn_s: Any


class Board(NamedTuple):
    """The box of routers in use and the tiles' coordinates and cores (built per stream)."""

    x0: Any
    x1: Any
    y0: Any
    y1: Any
    size_x: Any
    tile_x: Any
    tile_y: Any
    tile_core_ptr: Any
    tile_cores: Any
    core_tile: Any


class NetState(NamedTuple):
    """Per-stream working arrays of the network passes (filled in place).

    ``inj_lo/inj_hi`` (cores × actions) bound each core's injected lists of the pass,
    ``out_lo/out_hi`` (links × actions) each link's output lists, valid when the link's
    ``out_stamp`` is the pass's; ``list_lo/list_hi`` hold the lists one merge reads.
    """

    inj_lo: Any
    inj_hi: Any
    list_lo: Any
    list_hi: Any
    out_lo: Any
    out_hi: Any
    out_stamp: Any
    link_free: Any
    core_free: Any
    n_inj: Any          # rows of the entry table the injected lists' room takes


class NetChip(NamedTuple):
    """What the network passes need of the chip: latencies (L_* order) and switches, and
    per core the synapse kind it receives (:attr:`RouteTables.core_syn_col`, ``core_syn_s``)."""

    latency: Any
    multicast: Any
    buffer_depth: Any
    record_packets: Any
    core_syn_col: Any
    core_syn_s: Any


class Packets(NamedTuple):
    """Rows of the pass's packets where kept (multicast, or ``record_packets``): the
    :data:`P_FIRST` … :data:`P_CORE` table."""

    table: Any


@numba.njit(inline="always", cache=True)
def _actions(first, last, tile, src_tile, dest_tile, tile_x, tile_y):  # pragma: no cover
    """What a packet with destination pairs first..last does at ``tile`` (GO_* | DELIVER bits).

    One pair is a unicast XY route; several are the XY tree from ``src_tile`` (the union of
    the XY paths): each destination whose path passes ``tile`` adds its XY next hop.
    """
    x = tile_x[tile]
    y = tile_y[tile]
    sx = tile_x[src_tile]
    sy = tile_y[src_tile]
    bits = 0
    for pr in range(first, last):
        dx = tile_x[dest_tile[pr]]
        dy = tile_y[dest_tile[pr]]
        if on_xy_path(sx, sy, dx, dy, x, y):
            d = xy_direction(x, y, dx, dy)
            bits |= DELIVER if d == ARRIVED else 1 << d
    return bits


@numba.njit(inline="always", cache=True)
def xy_action(x, y, dest_x, dest_y):  # pragma: no cover - compiled
    """The action of a unicast packet at tile (x, y) for tile (dest_x, dest_y), without a branch.

    :func:`~neurosim.compiler.xy.xy_direction` as arithmetic on comparisons: east (0), west
    (1), north (2), south (3) or delivered (:data:`ACT_DELIVER`).
    """
    east = np.int64(dest_x > x)
    west = np.int64(dest_x < x)
    north = np.int64(dest_y > y)
    south = np.int64(dest_y < y)
    return west + (1 - east - west) * (2 + south + 2 * (1 - north - south))


@numba.njit(cache=True)
def _unicast_actions(tile, dest, tile_x, tile_y):  # pragma: no cover - compiled
    """The action bit of a unicast packet at board tile ``tile`` for tile ``dest``."""
    return 1 << xy_action(tile_x[tile], tile_y[tile], tile_x[dest], tile_y[dest])


@numba.njit(cache=True, nogil=True)
def grow_entries(ent, need, n_ent, net):  # pragma: no cover - compiled
    """The entry table with room for at least ``need`` rows (at least doubled).

    Only the rows in use are copied: the cores' injected lists (the filled part of each
    list's room) and the links' outputs up to ``n_ent``, so that the room of lists that
    stay short is never touched.
    """
    grown = np.empty((max(2 * len(ent), need), ENTRY_WORDS), np.int64)
    for q in range(len(net.inj_lo)):
        grown[net.inj_lo[q]:net.inj_hi[q]] = ent[net.inj_lo[q]:net.inj_hi[q]]
    grown[net.n_inj:n_ent] = ent[net.n_inj:n_ent]
    return grown


@numba.njit(cache=True, nogil=True)
def injection_bases(core_ptr, core_neurons, dest_ptr, pairs, comp_ptr, comp_pairs, board,
                    multicast):  # pragma: no cover - compiled
    """Where each core's injected lists start in the entry table, for each pass.

    A neuron fires at most once a step and a partial compartment sends at most one sum,
    so each (core, action) list of a pass has room for every packet its core could send
    with that first action: the lists are written as the core sends, never sorted or
    grown. Returns (spike-pass starts, partial-sum-pass starts, rows the lists take,
    route words): on a unicast chip, each spike pair's route word (:data:`DEST_MASK`),
    which is the same for every packet of the pair, so that the kernel's send loop
    reads it instead of working out the action and the key's coordinates per packet.
    """
    tile_x, tile_y, core_tile = board.tile_x, board.tile_y, board.core_tile
    n_lists = len(core_tile) * N_ACTIONS
    spike = np.zeros(n_lists + 1, np.int64)
    comp = np.zeros(n_lists + 1, np.int64)
    route = np.zeros(0 if multicast else len(pairs.tile), np.int32)
    for c in range(len(core_tile)):
        here = core_tile[c]
        hx = tile_x[here]
        hy = tile_y[here]
        base = c * N_ACTIONS + 1
        for i in range(core_ptr[c], core_ptr[c + 1]):
            n = core_neurons[i]
            lo = dest_ptr[n]
            hi = dest_ptr[n + 1]
            if multicast:
                if hi > lo:
                    bits = _actions(lo, hi, here, here, pairs.tile, tile_x, tile_y)
                    for a in range(N_ACTIONS):
                        spike[base + a] += (bits >> a) & 1
            else:
                for j in range(lo, hi):
                    dest = pairs.tile[j]
                    dx = np.int64(tile_x[dest])
                    dy = np.int64(tile_y[dest])
                    a = xy_action(hx, hy, dx, dy)
                    spike[base + a] += 1
                    route[j] = (a << KEY_SHIFT) | (dy << COORD_BITS) | dx
        for j in range(comp_ptr[c], comp_ptr[c + 1]):
            dest = comp_pairs.tile[j]
            comp[base + xy_action(hx, hy, tile_x[dest], tile_y[dest])] += 1
    spike = np.cumsum(spike)
    comp = np.cumsum(comp)
    return (spike[:n_lists].copy(), comp[:n_lists].copy(), max(spike[n_lists], comp[n_lists]),
            route)


@numba.njit(cache=True, nogil=True)
def inject(ent, inj_hi, data, service, pid, tau, lo, hi, c, here, pairs, board, chip
           ):  # pragma: no cover - compiled
    """Packet ``pid`` of core ``c`` (at tile ``here``) leaves at ``tau`` for pairs ``lo..hi``.

    A multicast packet goes into the list of each of its tree's actions at the source; a
    unicast one (one pair) into its action's list, with its data and service time (what
    the core's loop in :func:`~neurosim.engine.kernel.run_stream` writes inline for the
    spikes of a unicast chip).
    """
    ent_s = ent.view(np.float64)
    tile_x, tile_y = board.tile_x, board.tile_y
    base = c * N_ACTIONS
    if chip.multicast:
        bits = _actions(lo, hi, here, here, pairs.tile, tile_x, tile_y)
        for a in range(N_ACTIONS):
            if (bits >> a) & 1:
                e = inj_hi[base + a]
                inj_hi[base + a] = e + 1
                ent_s[e, E_TIME] = tau
                ent[e, E_KEY] = pid << KEY_SHIFT
        return
    dest = pairs.tile[lo]
    dx = np.int64(tile_x[dest])
    dy = np.int64(tile_y[dest])
    q = base + xy_action(tile_x[here], tile_y[here], dx, dy)
    e = inj_hi[q]
    inj_hi[q] = e + 1
    ent_s[e, E_TIME] = tau
    ent[e, E_KEY] = (pid << KEY_SHIFT) | (dy << COORD_BITS) | dx
    core = np.int64(pairs.core[lo])
    lat_in = chip.latency[L_PK_IN]
    if chip.core_syn_col[core] >= 0:  # the core receives one synapse kind
        nsyn = np.int64(pairs.nsyn[lo])
        data[pid] = (core << DATA_SHIFT) | nsyn
        service[pid] = lat_in + nsyn * chip.core_syn_s[core]
    else:  # several: its deliveries read the pair's split
        data[pid] = (core << DATA_SHIFT) | lo
        service[pid] = lat_in + pairs.syn_s[lo]


@numba.njit(cache=True, nogil=True)
def _merge(ent, lo, hi, k, seq):  # pragma: no cover - compiled
    """Merge the ``k`` non-empty entry lists ``lo[i]..hi[i]`` by (time, key) into ``seq``.

    Returns the length of the merged sequence (entry indices); ``lo``/``hi`` are used up.
    """
    ent_s = ent.view(np.float64)
    m = 0
    while k > 1:
        # The list with the least head (b) and the least head of the others (st, sp).
        j0 = lo[0]
        j1 = lo[1]
        t0 = ent_s[j0, E_TIME]
        p0 = ent[j0, E_KEY]
        t1 = ent_s[j1, E_TIME]
        p1 = ent[j1, E_KEY]
        if t1 < t0 or (t1 == t0 and p1 < p0):
            b, bt, bp, st, sp = 1, t1, p1, t0, p0
        else:
            b, bt, bp, st, sp = 0, t0, p0, t1, p1
        for i in range(2, k):
            j = lo[i]
            tj = ent_s[j, E_TIME]
            pj = ent[j, E_KEY]
            if tj < bt or (tj == bt and pj < bp):
                st, sp = bt, bp
                b, bt, bp = i, tj, pj
            elif tj < st or (tj == st and pj < sp):
                st, sp = tj, pj
        j = lo[b]
        end = hi[b]
        seq[m] = j
        m += 1
        j += 1
        while j < end:
            tj = ent_s[j, E_TIME]
            if tj < st or (tj == st and ent[j, E_KEY] < sp):
                seq[m] = j
                m += 1
                j += 1
            else:
                break
        if j == end:
            k -= 1
            lo[b] = lo[k]
            hi[b] = hi[k]
        else:
            lo[b] = j
    if k == 1:
        for j in range(lo[0], hi[0]):
            seq[m] = j
            m += 1
    return m


@numba.njit(cache=True, nogil=True)
def _send(link, seq, act, m, ent, n_ent, stamp, links, chip, net, counts, board, pairs,
          packets):  # pragma: no cover - compiled
    """Send the ``m`` merged requests ``seq`` over ``link``, first come, first served.

    A packet ready at ``a`` leaves at ``max(a + router_delay, link_free)``; the link is
    then busy for one serialisation time; the packet reaches the next router one hop
    latency after leaving. Each output goes into the link's list of its next action.
    Returns (entries, n_ent).
    """
    nxt = links.link_next[link]
    ser = links.link_serialisation[link]
    latency = links.link_latency[link]
    router = chip.latency[L_ROUTER]
    buffer_depth = chip.buffer_depth
    tile_x, tile_y, core_tile = board.tile_x, board.tile_y, board.core_tile
    out_lo, out_hi = net.out_lo, net.out_hi
    table = packets.table
    pair_tile = pairs.tile
    link_wait, link_max_queue = counts.link_wait, counts.link_max_queue
    nx = tile_x[nxt]
    ny = tile_y[nxt]
    base = link * N_ACTIONS
    for a in range(N_ACTIONS):
        out_hi[base + a] = 0
    # ---- the next action of each packet, counted per action ------------------------------
    if chip.multicast:
        for i in range(m):
            pid = ent[seq[i], E_KEY] >> KEY_SHIFT
            bits = _actions(table[pid, P_FIRST], table[pid, P_LAST], nxt,
                            core_tile[table[pid, P_CORE]], pair_tile, tile_x, tile_y)
            act[i] = bits
            for a in range(N_ACTIONS):
                out_hi[base + a] += (bits >> a) & 1
    else:
        for i in range(m):
            key = ent[seq[i], E_KEY]
            a = xy_action(nx, ny, key & COORD_MASK, (key >> COORD_BITS) & COORD_MASK)
            act[i] = a
            out_hi[base + a] += 1
    total = 0
    for a in range(N_ACTIONS):
        out_lo[base + a] = n_ent + total
        total += out_hi[base + a]
        out_hi[base + a] = out_lo[base + a]
    if n_ent + total > len(ent):
        ent = grow_entries(ent, n_ent + total, n_ent, net)
    ent_s = ent.view(np.float64)
    # ---- the link, in order: wait for it, one serialisation time, then the hop -----------
    free = net.link_free[link]
    waited = link_wait[link]  # added to one by one, as the sum has always been formed
    most_ahead = link_max_queue[link]
    overflows = 0
    for i in range(m):
        j = seq[i]
        leave, waited, most_ahead, overflows = _wait_for_link(
            free, ent_s[j, E_TIME] + router, ser, buffer_depth, waited, most_ahead, overflows)
        free = leave + ser
        arrival = leave + latency
        if chip.multicast:
            bits = act[i]
            for a in range(N_ACTIONS):
                if (bits >> a) & 1:
                    e = out_hi[base + a]
                    out_hi[base + a] = e + 1
                    ent_s[e, E_TIME] = arrival
                    ent[e, E_KEY] = ent[j, E_KEY]
        else:
            a = act[i]
            e = out_hi[base + a]
            out_hi[base + a] = e + 1
            ent_s[e, E_TIME] = arrival
            ent[e, E_KEY] = ent[j, E_KEY]
    _close_link(net, counts, link, stamp, m, free, waited, most_ahead, overflows)
    return ent, n_ent + total


@numba.njit(inline="always", cache=True)
def _least_two(words, times, lo, k):  # pragma: no cover - compiled
    """The list ``b`` among ``lo[:k]`` whose head has the least (time, key), and the least
    (time, key) among the other heads (infinite time when there is none).

    ``words``/``times``: the entry table as a flat array (:func:`flat_entries`)."""
    b = 0
    bt = at(times, ENTRY_WORDS * at(lo, 0) + E_TIME)
    bk = at(words, ENTRY_WORDS * at(lo, 0) + E_KEY)
    st = np.inf
    sk = np.int64(0)
    for i in range(1, k):
        j = ENTRY_WORDS * at(lo, i)
        tj = at(times, j + E_TIME)
        kj = at(words, j + E_KEY)
        if tj < bt or (tj == bt and kj < bk):
            st = bt
            sk = bk
            b = i
            bt = tj
            bk = kj
        elif tj < st or (tj == st and kj < sk):
            st = tj
            sk = kj
    return b, st, sk


@numba.njit(inline="always", cache=True)
def flat_entries(ent):  # pragma: no cover - compiled
    """The entry table as one flat array of words and its float64 view: entry ``e``'s
    time is word ``2e``, its key ``2e + 1``. The hot loops index these, which costs a
    shift where a row of the 2-d table costs a multiply by its (run-time) row length."""
    words = ent.reshape(ENTRY_WORDS * len(ent))
    return words, words.view(np.float64)


@numba.njit(cache=True, nogil=True)
def _send_unicast(link, phase, lo, hi, k, ent, n_ent, stamp, links, chip, net, counts, board
                  ):  # pragma: no cover - compiled
    """:func:`_merge` and :func:`_send` in one loop, for unicast packets.

    Each output goes straight into the list of its next action; each list has room for
    all the link's requests (the outputs of a link can only take its own direction, a
    turn onto y, or a delivery), so nothing is counted first. Returns (entries, n_ent).
    """
    m = 0
    for i in range(k):
        m += hi[i] - lo[i]
    n_room = 4 if phase < 2 else 2
    if n_ent + n_room * m > len(ent):
        ent = grow_entries(ent, n_ent + n_room * m, n_ent, net)
    words, times = flat_entries(ent)
    out_lo, out_hi = net.out_lo, net.out_hi
    base = link * N_ACTIONS
    room = n_ent
    for a in range(N_ACTIONS):
        # +x: east, north, south, delivery; −x: west, ...; ±y: its own direction, delivery.
        possible = a == phase or a == ACT_DELIVER or (phase < 2 and a >= 2)
        out_lo[base + a] = room if possible else 0
        out_hi[base + a] = out_lo[base + a]
        if possible:
            room += m
    nxt = links.link_next[link]
    ser = links.link_serialisation[link]
    latency = links.link_latency[link]
    router = chip.latency[L_ROUTER]
    buffer_depth = chip.buffer_depth
    nx = board.tile_x[nxt]
    ny = board.tile_y[nxt]
    link_wait, link_max_queue = counts.link_wait, counts.link_max_queue
    free = net.link_free[link]
    waited = link_wait[link]  # added to one by one, as the sum has always been formed
    most_ahead = link_max_queue[link]
    overflows = 0
    while k > 0:
        b, st, sk = _least_two(words, times, lo, k)
        j = ENTRY_WORDS * at(lo, b)
        end = ENTRY_WORDS * at(hi, b)
        while True:
            # ---- the link: wait for it, then one serialisation time, then the hop ----
            leave, waited, most_ahead, overflows = _wait_for_link(
                free, at(times, j + E_TIME) + router, ser, buffer_depth, waited,
                most_ahead, overflows)
            free = leave + ser
            key = at(words, j + E_KEY)
            q = base + xy_action(nx, ny, key & COORD_MASK, (key >> COORD_BITS) & COORD_MASK)
            e = at(out_hi, q)
            put(out_hi, q, e + 1)
            put(times, ENTRY_WORDS * e + E_TIME, leave + latency)
            put(words, ENTRY_WORDS * e + E_KEY, key)
            j += ENTRY_WORDS
            if j == end:
                break
            tj = at(times, j + E_TIME)
            if not (tj < st or (tj == st and at(words, j + E_KEY) < sk)):
                break
        if j == end:  # this list is done
            k -= 1
            lo[b] = lo[k]
            hi[b] = hi[k]
        else:
            lo[b] = j // ENTRY_WORDS
    _close_link(net, counts, link, stamp, m, free, waited, most_ahead, overflows)
    return ent, room


@numba.njit(cache=True, nogil=True)
def _serve_merged(lo, hi, k, ent, data, service, core_free, core_busy
                  ):  # pragma: no cover - compiled
    """:func:`_merge` and :func:`_serve` in one loop, for unicast packets whose service
    time ``service`` is known (:func:`inject`) and whose deliveries are counted at
    the end of the stream instead (:func:`count_deliveries`): the same times."""
    words, times = flat_entries(ent)
    while k > 0:
        b, st, sk = _least_two(words, times, lo, k)
        j = ENTRY_WORDS * at(lo, b)
        end = ENTRY_WORDS * at(hi, b)
        while True:
            pid = at(words, j + E_KEY) >> KEY_SHIFT
            c = at(data, pid) >> DATA_SHIFT
            took = at(service, pid)
            begin = max(at(times, j + E_TIME), at(core_free, c))
            put(core_free, c, begin + took)
            put(core_busy, c, at(core_busy, c) + took)
            j += ENTRY_WORDS
            if j == end:
                break
            tj = at(times, j + E_TIME)
            if not (tj < st or (tj == st and at(words, j + E_KEY) < sk)):
                break
        if j == end:
            k -= 1
            lo[b] = lo[k]
            hi[b] = hi[k]
        else:
            lo[b] = j // ENTRY_WORDS


@numba.njit(cache=True, nogil=True)
def _serve(tile, t, seq, m, ent, inject_s, data, room, chip, net, counts, pairs, packets,
           trace, n_trace):  # pragma: no cover - compiled
    """Serve the ``m`` packets ``seq`` delivered at ``tile`` on their cores, in that order,
    counting each delivery and its synapses, and tracing it under ``record_packets``.

    A packet delivered to a core at ``a`` is served at ``max(a, core_free)`` for
    ``packet_in + n_syn · synop`` (the pair's own split on a core receiving several
    synapse kinds; ``data`` as :func:`inject` wrote it). A packet is delivered to
    at most ``room`` cores here. Returns (trace, n_trace).
    """
    if chip.record_packets and n_trace + m * room > trace.shape[0]:
        grown = np.empty((2 * (n_trace + m * room), 8), np.float64)
        grown[:n_trace] = trace[:n_trace]
        trace = grown
    ent_s = ent.view(np.float64)
    lat_in = chip.latency[L_PK_IN]
    core_syn_col, core_syn_s = chip.core_syn_col, chip.core_syn_s
    core_free, core_busy, core_counts = net.core_free, counts.core_busy, counts.core_counts
    pair_tile, pair_core, pair_nsyn = pairs.tile, pairs.core, pairs.nsyn
    kind_nsyn, syn_s = pairs.kind_nsyn, pairs.syn_s
    table = packets.table
    record_packets = chip.record_packets
    for i in range(m):
        j = seq[i]
        arrival = ent_s[j, E_TIME]
        pid = ent[j, E_KEY] >> KEY_SHIFT
        if chip.multicast:
            first = table[pid, P_FIRST]
            last = table[pid, P_LAST]
        else:
            first = 0
            last = 1
        for pr in range(first, last):
            if chip.multicast:
                if pair_tile[pr] != tile:
                    continue
                c = np.int64(pair_core[pr])
                nsyn = np.int64(pair_nsyn[pr])
            else:
                c = data[pid] >> DATA_SHIFT
                nsyn = data[pid] & LOW_MASK  # the pair itself, on a mixed core
            begin = max(arrival, core_free[c])
            col = core_syn_col[c]
            if col >= 0:  # the core receives one synapse kind
                service = lat_in + nsyn * core_syn_s[c]
                core_counts[c, col] += nsyn
            else:  # several: the pair's own split
                if not chip.multicast:
                    pr = nsyn
                    nsyn = np.int64(pair_nsyn[pr])
                service = lat_in + syn_s[pr]
                for kd in range(3):
                    core_counts[c, SYN_KIND + kd] += kind_nsyn[pr, kd]
            core_free[c] = begin + service
            core_busy[c] += service
            core_counts[c, PK_IN] += 1
            core_counts[c, SYN] += nsyn
            if record_packets:
                trace[n_trace, 0] = t
                trace[n_trace, 1] = table[pid, P_SRC]
                trace[n_trace, 2] = c
                trace[n_trace, 3] = inject_s[pid]
                trace[n_trace, 4] = arrival
                trace[n_trace, 5] = begin
                trace[n_trace, 6] = begin + service
                trace[n_trace, 7] = nsyn
                n_trace += 1
    return trace, n_trace


@numba.njit(cache=True, nogil=True)
def count_deliveries(spike_count, dest_ptr, dest_core, dest_nsyn, dest_kind_nsyn, core_syn_col,
                     core_counts):  # pragma: no cover - compiled
    """What :func:`_serve` counts per delivery, for a stream served by :func:`_serve_merged`:
    every spike of neuron ``n`` delivered one packet to each of its destination cores,
    with that pair's synapses (by kind: the core's one kind, or the pair's split)."""
    for n in range(len(spike_count)):
        fired = spike_count[n]
        if fired == 0:
            continue
        for pr in range(dest_ptr[n], dest_ptr[n + 1]):
            c = dest_core[pr]
            nsyn = np.int64(dest_nsyn[pr])
            core_counts[c, PK_IN] += fired
            core_counts[c, SYN] += fired * nsyn
            col = core_syn_col[c]
            if col >= 0:
                core_counts[c, col] += fired * nsyn
            else:
                for kd in range(3):
                    core_counts[c, SYN_KIND + kd] += fired * np.int64(dest_kind_nsyn[pr, kd])


@numba.njit(inline="always", cache=True)
def _add_list(lo, hi, k, a, b):  # pragma: no cover - compiled
    if b > a:
        lo[k] = a
        hi[k] = b
        return k + 1
    return k


@numba.njit(cache=True, nogil=True)
def network_pass(n_packets, n_ent, stamp, t, board, links, chip, net, counts, pairs, ent,
                 inject_s, data, service, deferred, packets, trace, n_trace
                 ):  # pragma: no cover - compiled
    """Route the pass's ``n_packets`` injected packets over the links and serve them.

    The cores' injected lists (:func:`injection_bases`, :func:`inject`) fill the entry
    table up to ``n_ent``; the links' output lists follow; ``inject_s``, ``data`` and
    ``service`` are each packet's injection time, data and service time;
    ``deferred`` says the deliveries are counted at the end of the stream
    (:func:`_serve_merged`). ``stamp`` marks the link output lists of
    this pass (two passes per step: spikes, then partial sums); ``pairs`` are the
    destination :class:`Pairs` the packets point into. Returns (entries, trace, n_trace).
    """
    if n_packets == 0:
        return ent, trace, n_trace
    x0, x1, y0, y1, size_x = board.x0, board.x1, board.y0, board.y1, board.size_x
    tile_core_ptr, tile_cores = board.tile_core_ptr, board.tile_cores
    inj_lo, inj_hi, list_lo, list_hi = net.inj_lo, net.inj_hi, net.list_lo, net.list_hi
    out_lo, out_hi, out_stamp = net.out_lo, net.out_hi, net.out_stamp
    # A packet crosses a link, or is delivered at a tile, at most once: a merge holds at
    # most all the pass's packets.
    seq = np.empty(n_packets, np.int64)
    act = np.empty(n_packets, np.int64)
    for phase in range(4):
        if phase < 2:
            outer_first, outer_last = (x0, x1) if phase == 0 else (x1, x0)
            inner_first, inner_last = y0, y1
        else:
            outer_first, outer_last = (y0, y1) if phase == 2 else (y1, y0)
            inner_first, inner_last = x0, x1
        step_dir = 1 if outer_last >= outer_first else -1
        for outer in range(outer_first, outer_last, step_dir):  # the last has no link onward
            for inner in range(inner_first, inner_last + 1):
                if phase < 2:
                    x, y = outer, inner
                else:
                    x, y = inner, outer
                tile = y * size_x + x
                # Requests: the tile's cores' packets for this direction, and those of
                # the +x link from the west and the −x link from the east (each when it
                # can feed this phase), and in a y phase the link from behind.
                k = np.int64(0)
                for jc in range(tile_core_ptr[tile], tile_core_ptr[tile + 1]):
                    q = tile_cores[jc] * N_ACTIONS + phase
                    k = _add_list(list_lo, list_hi, k, inj_lo[q], inj_hi[q])
                if x > x0 and phase != 1:
                    up = (tile - 1) * 4
                    if out_stamp[up] == stamp:
                        q = up * N_ACTIONS + phase
                        k = _add_list(list_lo, list_hi, k, out_lo[q], out_hi[q])
                if x < x1 and phase != 0:
                    up = (tile + 1) * 4 + 1
                    if out_stamp[up] == stamp:
                        q = up * N_ACTIONS + phase
                        k = _add_list(list_lo, list_hi, k, out_lo[q], out_hi[q])
                if phase == 2 and y > y0:
                    up = (tile - size_x) * 4 + 2
                    if out_stamp[up] == stamp:
                        q = up * N_ACTIONS + phase
                        k = _add_list(list_lo, list_hi, k, out_lo[q], out_hi[q])
                if phase == 3 and y < y1:
                    up = (tile + size_x) * 4 + 3
                    if out_stamp[up] == stamp:
                        q = up * N_ACTIONS + phase
                        k = _add_list(list_lo, list_hi, k, out_lo[q], out_hi[q])
                if k == 0:
                    continue
                if not chip.multicast:
                    ent, n_ent = _send_unicast(tile * 4 + phase, phase, list_lo, list_hi, k, ent,
                                               n_ent, stamp, links, chip, net, counts, board)
                    continue
                m = _merge(ent, list_lo, list_hi, k, seq)
                ent, n_ent = _send(tile * 4 + phase, seq, act, m, ent, n_ent, stamp, links,
                                   chip, net, counts, board, pairs, packets)
    # Deliveries, tile by tile, from the tile's cores and the four links in.
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            tile = y * size_x + x
            k = np.int64(0)
            for jc in range(tile_core_ptr[tile], tile_core_ptr[tile + 1]):
                q = tile_cores[jc] * N_ACTIONS + ACT_DELIVER
                k = _add_list(list_lo, list_hi, k, inj_lo[q], inj_hi[q])
            for up, ok in (((tile - 1) * 4, x > x0), ((tile + 1) * 4 + 1, x < x1),
                           ((tile - size_x) * 4 + 2, y > y0),
                           ((tile + size_x) * 4 + 3, y < y1)):
                if ok and out_stamp[up] == stamp:
                    q = up * N_ACTIONS + ACT_DELIVER
                    k = _add_list(list_lo, list_hi, k, out_lo[q], out_hi[q])
            if k > 0:
                if deferred:
                    _serve_merged(list_lo, list_hi, k, ent, data, service, net.core_free,
                                  counts.core_busy)
                else:
                    m = _merge(ent, list_lo, list_hi, k, seq)
                    room = tile_core_ptr[tile + 1] - tile_core_ptr[tile]
                    trace, n_trace = _serve(tile, t, seq, m, ent, inject_s, data, room, chip,
                                            net, counts, pairs, packets, trace, n_trace)
    return ent, trace, n_trace
