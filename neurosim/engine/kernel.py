"""The compiled simulation loop: one stream of images, step by step, in simulated seconds.

One step ``t`` starting at ``S_t`` (all times in seconds):

1. **Cores.** Every core in use walks its neurons in order. A neuron's update takes the
   active or the inactive update latency (active = it changed ``v`` or ``pending``, or
   fired; on a core without native FS neurons, every update of an FS or TTFS neuron in
   its window is active, because the core rewrites its threshold and reset each step;
   an IF neuron fires on ``v ≥ θ``, or ``v > θ`` on a chip with
   ``core.threshold_compare: gt``);
   a chip with ``core.active_update: nonzero`` charges SANA-FE's rule instead (active when
   the potential before the update, the arrived input or the bias is non-zero, also outside
   the windows: :func:`update_is_active`). A neuron that fires then costs ``spike_gen`` and,
   per packet, ``packet_out``;
   the packet leaves when its ``packet_out`` is done. So a core's packets leave while it
   still updates its later neurons. Its own work ends at ``U_c``.

   The engine walks a core's neurons as *segments* (runs of one population). A segment
   outside its window with nothing arriving for it (no synaptic input written into its
   ring slot) cannot change: its updates are all inactive and are charged by count,
   not visited (:func:`idle_without_input`; not under ``core.active_update: nonzero``,
   which can charge such an update as active). The update loop of a segment runs on its own
   (:func:`_update_segment`), then the segment's time is added update by update with the
   spikes' costs in between, so every time is the same float sum as a visit would form.
   What spikes cause is summed per segment and counted once; the synaptic events onto
   each target layer follow from the spike counts at the end of the stream.
2. **Synaptic effects.** A spike of step ``t`` adds ``w · d(k)`` into the ring slot of
   step ``t + δ`` (in slot order: :func:`~neurosim.engine.tables.slot_positions`),
   which nobody reads before step ``t + 1``; the engine writes it when the
   neuron fires (from the shared projection form), and *charges* it, in time and energy,
   when the packet is served. The result is the same as accumulating at service time.
3. **Network.** Packets follow XY routes. A packet reaching a router at ``a`` leaves on
   the next link at ``max(a + router_delay, link_free)``, the link is then busy for one
   serialisation time, and the packet reaches the next router one hop latency after
   leaving. Requests for a link are served first come, first served, ties by packet
   number (cores in order, neurons in order, destinations ascending). A multicast packet
   forks along the XY tree (the union of the XY paths to its destination tiles).
4. **Service.** A packet delivered to a core at ``a`` is served at
   ``max(a, core_free)`` for ``packet_in + n_syn · synop``; ``core_free`` starts at ``U_c``
   (or at ``S_t`` on a chip with ``core.service: overlapped``, whose core serves packets
   while it updates its neurons, so its work in the step ends at ``max(U_c, core_free)``);
   a core serves in order of arrival, ties by packet number.
   On a chip with ``noc.congestion: inflight`` (SANA-FE's estimate) steps 3–4 are timed
   instead by :func:`_inflight_timing` (the link pass still gives the counts).
5. **Partial sums** (fan-in split over cores, :mod:`neurosim.compiler.fanin`). When a
   core has served its packets (``core_free``), each of its partial compartments whose
   input sum of the step is non-zero sends one packet (``packet_out`` each, in order) to
   its neuron's home core, which serves it for ``packet_in + 1 · synop``. These packets
   cross the network after all spike packets of the step (a second pass over the links,
   which keep their ``link_free``): a conservative order, as a partial sum cannot leave
   before its core has served its inputs. The sum itself is already in the neuron's ring
   slot (step 2), so the arithmetic is that of the unsplit neuron. In the packet trace a
   partial sum's ``source_neuron`` is the split neuron and its ``synapses`` is 1.
6. **End.** ``E_t = S_t + work + barrier`` (barrier mode) or ``S_t + max(work, tick)``
   (tick mode), where ``work`` runs to the last core activity; ``S_{t+1} = E_t``.

How step 3 is computed without a global event queue: XY routing never lets a packet
turn from the y to the x dimension, so the links can be taken in a fixed order in
which every link comes after all links that feed it (all ``+x`` links west to east, all
``−x`` links east to west, then ``+y`` south to north and ``−y`` north to south). Each
link's requests are then all known when it is taken: the packets injected at its tile
and the outputs of its upstream links, each list already in time order, merged by
(time, packet). The link's own output list comes out in time order too. The result is
exactly that of a time-ordered event simulation, at a cost linear in the hops.

Counts go to per-core, per-population, per-image and per-link tables passed in by the
caller (:mod:`neurosim.engine.run`); the column meanings are :data:`COUNT_KINDS`.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numba
import numpy as np

from neurosim.compiler.xy import ARRIVED, on_xy_path, xy_direction
from neurosim.dynamics import (
    DYNAMICS_FS,
    DYNAMICS_IF,
    DYNAMICS_POISSON,
    ROLE_INPUT,
    ROLE_OUTPUT,
    fs_fire,
    if_fire,
    leak_decay,
    lif_fire,
    window_position,
)
from neurosim.engine.synapses import accumulate

COUNT_KINDS = (
    "synaptic_events",          # synapses processed (per core: received; per image: sender's)
    "updates_active",
    "updates_inactive",
    "spikes",
    "packets_out",
    "packets_in",
    "hops_ew",
    "hops_ns",
    "hops_interchip",
    "synaptic_events_caused",   # synapses processed because of this core's / layer's spikes
    "partial_sum_packets",      # of packets_out: partial sums sent to a home core (split fan-in)
    "synaptic_events_dense",    # of synaptic_events: of each synapse kind
    "synaptic_events_sparse",   # (neurosim.compiler.synapse_kinds), counted where
    "synaptic_events_conv",     # synaptic_events is
)
(SYN, UPD_ACTIVE, UPD_INACTIVE, SPIKES, PK_OUT, PK_IN, HOP_EW, HOP_NS, HOP_IC, SYN_CAUSED,
 PARTIAL, SYN_DENSE, SYN_SPARSE, SYN_CONV) = range(14)
SYN_KIND = SYN_DENSE  # column of kind k: SYN_KIND + k (compiler.synapse_kinds.KIND_*)
N_KINDS = len(COUNT_KINDS)
# Columns of the per-delivery trace (record_packets).
TRACE_COLUMNS = ("step", "source_neuron", "core_index", "inject_s", "arrival_s", "start_s", "end_s",
                 "synapses")

# Latency vector layout (seconds).
L_ACTIVE, L_INACTIVE, L_SPIKE_GEN, L_PK_OUT, L_PK_IN, L_SYNOP, L_ROUTER = range(7)
# Columns of the per-step packet table.
# (Kept for multicast packets and traces; a unicast packet lives in its list entries.)
P_FIRST, P_LAST, P_SRC, P_CORE = range(4)
# What a packet does at a router: leave on a link (bit = 1 << direction), or be delivered.
GO_E, GO_W, GO_N, GO_S, DELIVER = 1, 2, 4, 8, 16
# A unicast entry carries its destination tile above the action bits, and its
# destination core and synapse count in ``ent_data`` (core << 32 | n_syn): routing and
# delivery then read only the entry lists, in order.
DEST_SHIFT = 5
DATA_SHIFT = 32
DATA_MASK = (1 << 32) - 1
_QUEUE_EPS = 1e-9
# What a neuron's update did (its flag): charged inactive, charged active, fired (active).
INACTIVE, ACTIVE, FIRED = 0, 1, 2


class NeuronTables(NamedTuple):
    """Populations and neurons: dynamics, role, timing, sequences, outgoing projections."""

    pop_of: Any
    bias: Any
    pop_dynamics: Any
    pop_role: Any
    pop_offset: Any
    pop_first: Any
    seq_threshold: Any
    seq_reset: Any
    seq_out_weight: Any
    pop_out_ptr: Any
    pop_out_proj: Any
    pop_size: Any
    pop_model: Any  # (populations, 6): tables.MODEL_COLUMNS (plain, leak, reset mode, ...)


class SynapseTables(NamedTuple):
    """Stored projections (:mod:`neurosim.engine.synapses`) and the delay ring length."""

    proj_kind: Any
    proj_geom: Any
    proj_w_off: Any
    proj_ptr_off: Any
    proj_tgt_first: Any
    proj_tgt_size: Any
    proj_delay: Any
    weights: Any
    csr_ptr: Any
    csr_idx: Any
    csr_w: Any
    ring: Any
    proj_tgt_pop: Any   # (projections,) target population
    slot_of: Any        # (neurons,) where each neuron's input sits in a ring slot


class RouteTables(NamedTuple):
    """Cores in use, their neurons, and every neuron's destinations and what a spike costs."""

    core_tile: Any
    core_ptr: Any
    core_neurons: Any
    tile_core_ptr: Any
    tile_cores: Any
    dest_ptr: Any
    dest_core: Any
    dest_nsyn: Any
    dest_tile: Any
    src_synapses: Any
    src_hops: Any
    tpop_ptr: Any
    tpop_id: Any
    tpop_syn: Any
    seg_ptr: Any        # (cores + 1,) segments of each core: runs of one population ...
    seg_start: Any      # (segments + 1,) ... from this index into core_neurons ...
    seg_pop: Any        # (segments,) ... of this population
    tpop_kind: Any      # (tpop entries,) synapse kind of each entry
    pop_out_kind: Any   # (populations,) the one kind of its outgoing synapses, or −1
    src_kind_syn: Any   # (neurons, 3) synapses of each kind (where pop_out_kind is −1)
    core_syn_col: Any   # (cores,) the count column of the one kind a core receives, or −1
    core_syn_s: Any     # (cores,) that kind's latency per synaptic event
    dest_kind_nsyn: Any  # (pairs, 3) of a pair's synapses, each kind's (mixed cores only)
    dest_syn_s: Any     # (pairs,) a pair's synapse service time (mixed cores only)


class CompartmentTables(NamedTuple):
    """Partial compartments of split fan-in (:mod:`neurosim.compiler.fanin`)."""

    comp_ptr: Any
    comp_neuron: Any
    comp_row: Any
    comp_home: Any
    comp_tile: Any
    comp_hops: Any
    n_rows: Any
    proj_src_ptr: Any
    src_row: Any
    comp_kind_nsyn: Any  # (compartments, 3) one dense event per partial sum (mixed cores only)
    comp_syn_s: Any      # (compartments,) its latency


class LinkTables(NamedTuple):
    """The board's links (:mod:`neurosim.engine.mesh`)."""

    size_x: Any
    link_next: Any
    link_latency: Any
    link_serialisation: Any


class ChipBehaviour(NamedTuple):
    """Latencies (L_* order) and the chip's switches."""

    latency: Any
    multicast: Any
    tick_mode: Any
    tick_s: Any
    barrier_s: Any
    buffer_depth: Any
    emulate_fs: Any
    active_nonzero: Any  # core.active_update == "nonzero" (SANA-FE's charging rule)
    overlapped: Any      # core.service == "overlapped"
    strict_threshold: Any  # core.threshold_compare == "gt": an IF neuron fires on v > θ
    inflight: Any        # noc.congestion == "inflight" (SANA-FE's): see _inflight_timing


class StreamInput(NamedTuple):
    """The images of one stream and what to record."""

    encoded: Any
    poisson_spikes: Any
    window: Any
    n_steps: Any
    record_spikes: Any
    record_packets: Any
    packet_capacity: Any
    entry_capacity: Any


class StreamCounts(NamedTuple):
    """Outputs of a stream, filled in place (column meanings: :data:`COUNT_KINDS`)."""

    core_counts: Any
    core_busy: Any
    pop_counts: Any
    image_counts: Any
    link_packets: Any
    link_wait: Any
    link_max_queue: Any
    link_overflows: Any
    step_end: Any
    step_work: Any
    step_updates: Any  # (steps, 2): active and inactive neuron updates of each step
    out_v: Any
    readout_step: Any
    spike_count: Any
    step_counts: Any  # (steps, C, K) core_counts after each step, or (0, C, K): not recorded


class UpdateArrays(NamedTuple):
    """What :func:`_update_segment` reads and writes: neurons in core order, their slot
    positions, state (``v``, ``pending``, refractory steps left ``refr``), Poisson draws,
    the read-out, update outcomes."""

    core_neurons: Any
    slot_of: Any
    v: Any
    pending: Any
    refr: Any
    poisson_spikes: Any
    out_v: Any
    readout_step: Any
    flags: Any


class PopulationStep(NamedTuple):
    """What all neurons of one population share at one step (scalars).

    Where it is (:func:`~neurosim.dynamics.window_position`), its dynamics and role, its
    sequences at that step, and the neuron model of an IF population (its row of
    ``pop_model``, :data:`~neurosim.engine.tables.MODEL_COLUMNS`).
    """

    image: Any
    k: Any
    in_window: Any
    last_step: Any      # k is the window's last step
    dynamics: Any
    role: Any
    threshold: Any
    reset: Any
    plain: Any          # plain IF (every neuron-model field at its default)
    leak: Any
    reset_mode: Any
    reset_value: Any
    refractory: Any
    persistent: Any
    strict: Any         # the chip fires an IF neuron on v > θ (core.threshold_compare: gt)


class Pairs(NamedTuple):
    """Destination pairs a pass's packets point into: tile, core, synapse count, and for
    cores that receive several synapse kinds, each kind's count and the service time."""

    tile: Any
    core: Any
    nsyn: Any
    kind_nsyn: Any
    syn_s: Any


class Entries(NamedTuple):
    """The routing entry lists (time, packet, actions, unicast destination data)."""

    time: Any
    pid: Any
    bits: Any
    data: Any



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
    """Per-stream working arrays of the network passes (filled in place)."""

    core_pk_lo: Any
    core_pk_hi: Any
    list_lo: Any
    list_hi: Any
    out_lo: Any
    out_hi: Any
    out_stamp: Any
    link_free: Any
    core_free: Any


class NetChip(NamedTuple):
    """What the network passes need of the chip: latencies (L_* order) and switches, and
    per core the synapse kind it receives (:attr:`RouteTables.core_syn_col`, ``core_syn_s``)."""

    latency: Any
    multicast: Any
    buffer_depth: Any
    record_packets: Any
    core_syn_col: Any
    core_syn_s: Any


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
def _unicast_step(x, y, dest_x, dest_y, dest):  # pragma: no cover - compiled
    """The XY step of a unicast packet at tile (x, y), with its destination in the upper bits.

    On scalars, as the routers call it per hop (see :func:`_serve_requests`).
    """
    d = xy_direction(x, y, dest_x, dest_y)
    return (DELIVER if d == ARRIVED else 1 << d) | (dest << DEST_SHIFT)


@numba.njit(inline="always", cache=True)
def _unicast_actions(tile, dest, tile_x, tile_y):  # pragma: no cover - compiled
    """:func:`_unicast_step` of a packet at board tile ``tile`` for tile ``dest``."""
    return _unicast_step(tile_x[tile], tile_y[tile], tile_x[dest], tile_y[dest], dest)


@numba.njit(inline="always", cache=True)
def _add_list(lo, hi, k, a, b):  # pragma: no cover - compiled
    if b > a:
        lo[k] = a
        hi[k] = b
        return k + 1
    return k


@numba.njit(cache=True, nogil=True)
def _serve_requests(bit, link, tile, t, k, n_ent, ent, packet, pairs, board, links, chip, net,
                    counts, trace, n_trace):  # pragma: no cover - compiled
    """Serve the entries of the ``k`` request lists (``net.list_lo/hi``) that want ``bit``.

    They are taken first come, first served: by time, ties by packet number (each list
    is in that order already, so this is a k-way merge). A link bit sends each over
    ``link``, appending its output list at ``n_ent``; ``DELIVER`` serves each on its
    core at ``tile`` (:func:`_network` step 4). Returns (n_ent, trace, n_trace).

    The merge and both actions are written out in this one loop, on local arrays: an
    inlined helper taking arrays costs numba reference counting per packet.
    """
    lo, hi = net.list_lo, net.list_hi
    ent_time, ent_pid, ent_bits, ent_data = ent
    multicast, record_packets = chip.multicast, chip.record_packets
    tile_x, tile_y, core_tile = board.tile_x, board.tile_y, board.core_tile
    pair_tile, pair_core, pair_nsyn = pairs.tile, pairs.core, pairs.nsyn
    deliver = bit == DELIVER
    lat_in = chip.latency[L_PK_IN]
    core_syn_col, core_syn_s = chip.core_syn_col, chip.core_syn_s
    router = chip.latency[L_ROUTER]
    core_free, core_busy, core_counts = net.core_free, counts.core_busy, counts.core_counts
    link_wait, link_max_queue = counts.link_wait, counts.link_max_queue
    nxt = tile
    ser = latency = free = waited = 0.0
    most_ahead = 0
    overflows = 0
    n_sent = 0
    if not deliver:
        nxt = links.link_next[link]
        ser = links.link_serialisation[link]
        latency = links.link_latency[link]
        free = net.link_free[link]
        waited = link_wait[link]  # added to one by one, as the sum has always been formed
        most_ahead = link_max_queue[link]
    nxt_x = tile_x[nxt]
    nxt_y = tile_y[nxt]
    while True:
        best = -1
        best_t = 0.0
        best_p = 0
        for i in range(k):
            j = lo[i]
            end = hi[i]
            while j < end and (ent_bits[j] & bit) == 0:
                j += 1
            lo[i] = j
            if j < end:
                tj = ent_time[j]
                pj = ent_pid[j]
                if best < 0 or tj < best_t or (tj == best_t and pj < best_p):
                    best = i
                    best_t = tj
                    best_p = pj
        if best < 0:
            break
        j = lo[best]
        lo[best] = j + 1
        pid = best_p
        if not deliver:
            # ---- the link: wait for it, then one serialisation time, then the hop ----
            ready = best_t + router
            leave = ready
            if free > ready:
                leave = free
                waited += free - ready
                ahead = math.ceil((free - ready) / ser - _QUEUE_EPS) - 1
                if ahead > most_ahead:
                    most_ahead = ahead
                if ahead > chip.buffer_depth:
                    overflows += 1
            free = leave + ser
            n_sent += 1
            ent_pid[n_ent] = pid
            ent_time[n_ent] = leave + latency
            if multicast:
                ent_bits[n_ent] = _actions(packet[pid, P_FIRST], packet[pid, P_LAST], nxt,
                                           core_tile[packet[pid, P_CORE]], pair_tile,
                                           tile_x, tile_y)
            else:
                dest = ent_bits[j] >> DEST_SHIFT
                ent_bits[n_ent] = _unicast_step(nxt_x, nxt_y, tile_x[dest], tile_y[dest], dest)
                ent_data[n_ent] = ent_data[j]
            n_ent += 1
            continue
        # ---- delivery: each destination core on this tile serves the packet ----------
        if multicast:
            first = packet[pid, P_FIRST]
            last = packet[pid, P_LAST]
        else:
            first = 0
            last = 1
        for pr in range(first, last):
            if multicast:
                if pair_tile[pr] != tile:
                    continue
                c = np.int64(pair_core[pr])
                nsyn = np.int64(pair_nsyn[pr])
            else:
                c = ent_data[j] >> DATA_SHIFT
                nsyn = ent_data[j] & DATA_MASK  # the pair itself, on a mixed core (_inject)
            begin = max(best_t, core_free[c])
            col = core_syn_col[c]
            if col >= 0:  # the core receives one synapse kind
                service = lat_in + nsyn * core_syn_s[c]
                core_counts[c, col] += nsyn
            else:  # several: the pair's own split
                if not multicast:
                    pr = nsyn
                    nsyn = np.int64(pair_nsyn[pr])
                service = lat_in + pairs.syn_s[pr]
                for kd in range(3):
                    core_counts[c, SYN_KIND + kd] += pairs.kind_nsyn[pr, kd]
            core_free[c] = begin + service
            core_busy[c] += service
            core_counts[c, PK_IN] += 1
            core_counts[c, SYN] += nsyn
            if record_packets:
                if n_trace == trace.shape[0]:
                    grown = np.empty((2 * n_trace + 16, 8), np.float64)
                    grown[:n_trace] = trace
                    trace = grown
                trace[n_trace, 0] = t
                trace[n_trace, 1] = packet[pid, P_SRC]
                trace[n_trace, 2] = c
                trace[n_trace, 3] = ent_time[pid]  # entry pid is the packet at injection
                trace[n_trace, 4] = best_t
                trace[n_trace, 5] = begin
                trace[n_trace, 6] = begin + service
                trace[n_trace, 7] = nsyn
                n_trace += 1
    if not deliver:
        net.link_free[link] = free
        link_wait[link] = waited
        link_max_queue[link] = most_ahead
        counts.link_overflows[link] += overflows
        counts.link_packets[link] += n_sent
    return n_ent, trace, n_trace


@numba.njit(cache=True, nogil=True)
def _serve_link(link, tile, t, k, n_ent, ent, packet, pairs, board, links, chip, net, counts,
                trace, n_trace):  # pragma: no cover - compiled
    """Send the requests for ``link`` first come, first served; append its output list.

    Returns (n_ent, trace, n_trace); see :func:`_serve_requests`.
    """
    return _serve_requests(np.int64(1) << (link & 3), link, tile, t, k, n_ent, ent, packet,
                           pairs, board, links, chip, net, counts, trace, n_trace)


@numba.njit(cache=True, nogil=True)
def _deliver(tile, t, k, n_ent, ent, packet, pairs, board, links, chip, net, counts, trace,
             n_trace):  # pragma: no cover - compiled
    """Serve the packets delivered at ``tile`` on their cores, in order of arrival.

    Returns (trace, n_trace); see :func:`_serve_requests`.
    """
    _, trace, n_trace = _serve_requests(np.int64(DELIVER), np.int64(-1), tile, t, k, n_ent, ent,
                                        packet, pairs, board, links, chip, net, counts, trace,
                                        n_trace)
    return trace, n_trace


@numba.njit(cache=True, nogil=True)
def _grow(ent_time, ent_pid, ent_bits, ent_data, need):  # pragma: no cover - compiled
    size = max(2 * len(ent_time), need)
    t = np.empty(size, np.float64)
    p = np.empty(size, np.int64)
    b = np.empty(size, np.int64)
    d = np.empty(size, np.int64)
    t[:len(ent_time)] = ent_time
    p[:len(ent_pid)] = ent_pid
    b[:len(ent_bits)] = ent_bits
    d[:len(ent_data)] = ent_data
    return t, p, b, d


@numba.njit(cache=True, nogil=True)
def _network(n_packets, stamp, t, board, links, chip, net, counts, pairs, ent, packet, trace,
             n_trace):  # pragma: no cover - compiled
    """Route the ``n_packets`` injected packets over the links and serve them at their cores.

    ``stamp`` marks the link output lists of this pass (two passes per step: spikes, then
    partial sums); ``pairs`` are the destination :class:`Pairs` the packets point into;
    ``ent`` the :class:`Entries` (grown here when a pass needs more). ``board``, ``net``
    are the :class:`Board` and :class:`NetState` of the stream. Returns (ent, trace, n_trace).
    """
    x0, x1, y0, y1, size_x = board.x0, board.x1, board.y0, board.y1, board.size_x
    tile_core_ptr, tile_cores = board.tile_core_ptr, board.tile_cores
    core_pk_lo, core_pk_hi, list_lo, list_hi = net.core_pk_lo, net.core_pk_hi, net.list_lo, net.list_hi
    out_lo, out_hi, out_stamp = net.out_lo, net.out_hi, net.out_stamp
    if n_packets > 0:
        n_ent = n_packets
        # Links in an order where each comes after every link that feeds it: +x west
        # to east, −x east to west, +y south to north, −y north to south.
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
                    # Requests: the packets of the tile's cores, the +x link from the
                    # west and the −x link from the east (each when it can feed this
                    # phase), and in a y phase the link from behind.
                    k = np.int64(0)  # not a literal: the helpers compile for int64 once
                    for jc in range(tile_core_ptr[tile], tile_core_ptr[tile + 1]):
                        cc = tile_cores[jc]
                        k = _add_list(list_lo, list_hi, k, core_pk_lo[cc], core_pk_hi[cc])
                    if x > x0 and phase != 1:
                        up = (tile - 1) * 4
                        if out_stamp[up] == stamp:
                            k = _add_list(list_lo, list_hi, k, out_lo[up], out_hi[up])
                    if x < x1 and phase != 0:
                        up = (tile + 1) * 4 + 1
                        if out_stamp[up] == stamp:
                            k = _add_list(list_lo, list_hi, k, out_lo[up], out_hi[up])
                    if phase == 2 and y > y0:
                        up = (tile - size_x) * 4 + 2
                        if out_stamp[up] == stamp:
                            k = _add_list(list_lo, list_hi, k, out_lo[up], out_hi[up])
                    if phase == 3 and y < y1:
                        up = (tile + size_x) * 4 + 3
                        if out_stamp[up] == stamp:
                            k = _add_list(list_lo, list_hi, k, out_lo[up], out_hi[up])
                    if k == 0:
                        continue
                    need = n_ent
                    for i in range(k):
                        need += list_hi[i] - list_lo[i]
                    if need > len(ent.time):
                        ent = Entries(*_grow(ent.time, ent.pid, ent.bits, ent.data, need))
                    link = tile * 4 + phase
                    first = n_ent
                    n_ent, trace, n_trace = _serve_link(
                        link, tile, t, k, n_ent, ent, packet, pairs, board, links, chip, net,
                        counts, trace, n_trace)
                    if n_ent > first:
                        out_lo[link] = first
                        out_hi[link] = n_ent
                        out_stamp[link] = stamp
        # Deliveries, tile by tile, from the tile's cores and the four links in.
        for y in range(y0, y1 + 1):
            for x in range(x0, x1 + 1):
                tile = y * size_x + x
                k = np.int64(0)
                for jc in range(tile_core_ptr[tile], tile_core_ptr[tile + 1]):
                    cc = tile_cores[jc]
                    k = _add_list(list_lo, list_hi, k, core_pk_lo[cc], core_pk_hi[cc])
                for up, ok in (((tile - 1) * 4, x > x0), ((tile + 1) * 4 + 1, x < x1),
                               ((tile - size_x) * 4 + 2, y > y0),
                               ((tile + size_x) * 4 + 3, y < y1)):
                    if ok and out_stamp[up] == stamp:
                        k = _add_list(list_lo, list_hi, k, out_lo[up], out_hi[up])
                if k > 0:
                    trace, n_trace = _deliver(tile, t, k, n_ent, ent, packet, pairs, board,
                                              links, chip, net, counts, trace, n_trace)
    return ent, trace, n_trace


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


@numba.njit(cache=True, nogil=True)
def _inflight_timing(n_packets, start, overlapped, ent, pairs, board, links, chip, net,
                     updates_end):  # pragma: no cover - compiled
    """Re-time the step's unicast packets by SANA-FE's in-flight estimate (``noc.congestion:
    inflight``, docs/chip-rules.md); the link pass before has already counted them.

    A packet's *segments* are its sender core's output and the links of its XY path
    (``h + 1`` for ``h`` hops). A packet is *in flight* from when it is sent until its core
    starts to serve it; meanwhile it adds ``1 / (h + 2)`` to the density of each of its
    segments. Packets are taken in order of send time (ties: lower core first). A packet
    whose core would send it at ``s`` first drops the packets whose service began by ``s``,
    then with ``D`` the summed density of its segments and ``m`` the mean service time of
    all packets in flight (none: 0):

    * it blocks its sender for ``(D − B·(h + 1))·m`` when ``D > B·(h + 1)``
      (``B = noc.buffer_depth``), which delays every later packet and the updates of that
      core;
    * its network delay is ``max(Σ hop latencies, m·D / (h + 1))``, and its core serves it
      at ``max(sent + delay, core free)``, in the order packets are taken.

    Writes ``net.core_free`` (as after :func:`_network`) and shifts ``updates_end`` of each
    blocked sender.
    """
    ent_time, ent_bits, ent_data = ent.time, ent.bits, ent.data
    tile_x, tile_y, core_tile = board.tile_x, board.tile_y, board.core_tile
    core_pk_lo, core_pk_hi, core_free = net.core_pk_lo, net.core_pk_hi, net.core_free
    link_next, link_latency = links.link_next, links.link_latency
    router = chip.latency[L_ROUTER]
    lat_in = chip.latency[L_PK_IN]
    core_syn_col, core_syn_s = chip.core_syn_col, chip.core_syn_s
    buffer = float(chip.buffer_depth)
    n_cores = len(core_tile)
    n_links = len(link_next)
    most_segs = (board.x1 - board.x0) + (board.y1 - board.y0) + 1
    seg = np.empty(n_packets * most_segs, np.int64)  # segment ids: core, or n_cores + link
    n_seg = np.zeros(n_packets, np.int64)
    service = np.empty(n_packets, np.float64)
    density = np.zeros(n_cores + n_links, np.float64)
    heap_t = np.empty(n_packets, np.float64)  # packets in flight, by service start
    heap_i = np.empty(n_packets, np.int64)
    n_heap = 0
    n_flight = 0
    flight_service = 0.0
    shift = np.zeros(n_cores, np.float64)
    pos = core_pk_lo.copy()
    for c in range(n_cores):  # every core serves from where the update pass left it
        core_free[c] = start if overlapped else updates_end[c]
    while True:
        c = -1
        s = 0.0
        for cc in range(n_cores):
            if pos[cc] < core_pk_hi[cc]:
                sc = ent_time[pos[cc]] + shift[cc]
                if c < 0 or sc < s:
                    c = cc
                    s = sc
        if c < 0:
            break
        i = pos[c]
        pos[c] += 1
        while n_heap > 0 and heap_t[0] <= s:
            j = heap_i[0]
            n_heap = _heap_pop(heap_t, heap_i, n_heap)
            n_flight -= 1
            flight_service -= service[j]
            share = 1.0 / (n_seg[j] + 1)
            for q in range(j * most_segs, j * most_segs + n_seg[j]):
                density[seg[q]] -= share
        # The packet's segments and hop latencies along its XY path.
        dest = ent_bits[i] >> DEST_SHIFT
        dx = tile_x[dest]
        dy = tile_y[dest]
        tile = core_tile[c]
        base = i * most_segs
        seg[base] = c
        k = 1
        hop_latency = 0.0
        while True:
            d = xy_direction(tile_x[tile], tile_y[tile], dx, dy)
            if d == ARRIVED:
                break
            link = tile * 4 + d
            seg[base + k] = n_cores + link
            k += 1
            hop_latency += router + link_latency[link]
            tile = link_next[link]
        n_seg[i] = k
        load = 0.0
        for q in range(base, base + k):
            load += density[seg[q]]
        mean = flight_service / n_flight if n_flight > 0 else 0.0
        if load > buffer * k:
            blocked = (load - buffer * k) * mean
            shift[c] += blocked
            s += blocked
        delay = max(hop_latency, mean * load / k)
        to = ent_data[i] >> DATA_SHIFT
        low = ent_data[i] & DATA_MASK
        if core_syn_col[to] >= 0:
            work = lat_in + low * core_syn_s[to]
        else:
            work = lat_in + pairs.syn_s[low]
        service[i] = work
        begin = max(s + delay, core_free[to])
        core_free[to] = begin + work
        n_heap = _heap_push(heap_t, heap_i, n_heap, begin, i)
        n_flight += 1
        flight_service += work
        share = 1.0 / (k + 1)
        for q in range(base, base + k):
            density[seg[q]] += share
    for c in range(n_cores):
        updates_end[c] += shift[c]


@numba.njit(inline="always", cache=True)
def _neuron_step(v, pending, r, e, b, draw, ps):  # pragma: no cover - compiled
    """One neuron's update at the :class:`PopulationStep` ``ps``, on scalars only.

    ``v``, ``pending``, ``r`` (refractory steps left) its state, ``e`` the synaptic input
    that arrived for this step, ``b`` its bias (the encoded pixel for the input layer),
    ``draw`` its Poisson draw. The dynamics are those of :mod:`neurosim.dynamics` (an IF
    population with any neuron-model field set steps by :func:`~neurosim.dynamics.lif_fire`,
    its output by :func:`~neurosim.dynamics.leak_decay`); around them, what a window's
    start loads. Returns (v, pending, r, fired, read): ``read`` says the output population's
    value is complete and is to be read out. (Scalars only: array arguments to an inlined
    helper cost numba a reference count per call, several times the update itself.)
    """
    fired = False
    read = False
    if ps.dynamics == DYNAMICS_FS:
        pending += e
        if ps.in_window:
            if ps.k == 0:
                v = pending + b
                pending = 0
                read = ps.role == ROLE_OUTPUT
            if ps.role != ROLE_OUTPUT:
                v, fired = fs_fire(v, ps.threshold, ps.reset)
    elif ps.dynamics == DYNAMICS_POISSON:  # the draws are made by the caller
        fired = ps.in_window and draw
    elif ps.in_window:  # DYNAMICS_IF
        if ps.k == 0 and ps.persistent == 0:  # not persistent: a window starts afresh
            v = 0
            r = 0
        if ps.role == ROLE_OUTPUT:
            if ps.leak != 0:
                v = leak_decay(v, ps.leak)
            v += e + b
            read = ps.last_step
        elif ps.plain:
            v, fired = if_fire(v, e + b, ps.threshold, ps.reset, ps.strict)
        else:
            v, r, fired = lif_fire(v, leak_decay(v, ps.leak), r, e + b, ps.threshold, ps.reset,
                                   ps.reset_mode, ps.reset_value, ps.refractory, ps.strict)
    return v, pending, r, fired, read


@numba.njit(cache=True, nogil=True)
def _update_segment(lo, hi, first, t, ps, emulated, nonzero, incoming, drive, arrays
                    ):  # pragma: no cover - compiled
    """Update the neurons ``core_neurons[lo:hi]`` of one population (first neuron ``first``).

    ``incoming`` is the ring slot of step ``t − 1`` (read and cleared), ``drive`` the
    population's biases or encoded pixels; ``emulated`` and ``nonzero`` as in
    :func:`update_is_active`. Writes each update's outcome to
    ``arrays.flags[i]`` (:data:`INACTIVE`, :data:`ACTIVE` or :data:`FIRED`), reads out
    a completed output value, and returns the number of active updates. A tight loop
    of its own, away from the spike handling, so that it compiles to a short body.
    """
    core_neurons, slot_of, v, pending, refr, poisson_spikes, out_v, readout_step, flags = arrays
    draws = ps.dynamics == DYNAMICS_POISSON and ps.in_window
    n_active = 0
    for i in range(lo, hi):
        n = core_neurons[i]
        src = n - first
        sp = slot_of[n]
        e = incoming[sp]
        incoming[sp] = 0
        v_before = v[i]
        pending_before = pending[i]
        b = drive[src]
        v[i], pending[i], refr[i], fired, read = _neuron_step(
            v_before, pending_before, refr[i], e, b,
            draws and poisson_spikes[ps.image, ps.k, src], ps)
        if read:
            out_v[ps.image, src] = v[i]
            readout_step[ps.image] = t
        active = update_is_active(fired, emulated, v[i] != v_before, pending[i] != pending_before,
                                  nonzero, v_before, e, b)
        flags[i] = FIRED if fired else (ACTIVE if active else INACTIVE)
        n_active += active
    return n_active


@numba.njit(inline="always", cache=True)
def update_is_active(fired, emulated, v_changed, pending_changed, nonzero, v_before, e, b
                     ):  # pragma: no cover - compiled
    """The chip's charging rule (``core.active_update``): whether an update is *active*.

    Always when the neuron fired or is an emulated FS neuron in its window. Otherwise,
    ``changed`` (neurosim's rule, ``nonzero`` false): when it changed its potential or its
    pending input. ``nonzero`` (SANA-FE's rule): when its potential before the update
    ``v_before``, its arrived input ``e`` or its bias ``b`` is non-zero, at every step,
    inside a window or not (an input population's bias is the image inside its windows,
    its own bias outside).
    """
    if fired or emulated:
        return True
    if nonzero:
        return v_before != 0 or e != 0 or b != 0
    return v_changed or pending_changed


@numba.njit(inline="always", cache=True)
def idle_without_input(dynamics):  # pragma: no cover - compiled
    """Whether a neuron of these dynamics, outside its window and with no input arriving,
    changes nothing, so that its update is inactive under the ``changed`` rule and need not
    be visited (under ``nonzero`` it may still be charged active: the caller visits).

    True of FS (it adds a zero to its pending input), IF and Poisson (they do nothing
    outside their window).
    """
    return dynamics == DYNAMICS_FS or dynamics == DYNAMICS_IF or dynamics == DYNAMICS_POISSON


@numba.njit(cache=True, nogil=True)
def _inject(pid, tau, lat_out, lo, hi, here, src, c, pairs, ent, packet, board, chip
            ):  # pragma: no cover - compiled
    """The packets of one spike of neuron ``src`` (or one partial sum) leave core ``c``.

    Its destination pairs are ``lo..hi``: one multicast packet carries them all (its row
    in ``packet``), else one unicast packet per pair, its destination in the entry
    itself. Each leaves when its ``packet_out`` is done. Packets are numbered from ``pid``
    on; returns (tau, next pid).
    """
    tile_x, tile_y = board.tile_x, board.tile_y
    multicast = chip.multicast
    n_sent = 1 if multicast else hi - lo
    for j in range(n_sent):
        tau += lat_out
        first = lo if multicast else lo + j
        ent.pid[pid] = pid
        ent.time[pid] = tau
        if multicast:
            ent.bits[pid] = _actions(lo, hi, here, here, pairs.tile, tile_x, tile_y)
        else:
            dest = pairs.tile[first]
            ent.bits[pid] = _unicast_step(tile_x[here], tile_y[here], tile_x[dest],
                                             tile_y[dest], dest)
            core = np.int64(pairs.core[first])
            # A core receiving several synapse kinds reads the pair's split at delivery.
            low = np.int64(pairs.nsyn[first]) if chip.core_syn_col[core] >= 0 else np.int64(first)
            ent.data[pid] = (core << DATA_SHIFT) | low
        if multicast or chip.record_packets:
            packet[pid, P_FIRST] = first
            packet[pid, P_LAST] = hi if multicast else first + 1
            packet[pid, P_SRC] = src
            packet[pid, P_CORE] = c
        pid += 1
    return tau, pid


@numba.njit(inline="always", cache=True)
def _count_spikes(row, spikes, syn, syn_caused, pk_in, pk_out, hop_ew, hop_ns, hop_ic
                  ):  # pragma: no cover - compiled
    """Add one segment's spikes and what they cause to a count row (:data:`COUNT_KINDS`)."""
    row[SPIKES] += spikes
    row[SYN] += syn
    row[SYN_CAUSED] += syn_caused
    row[PK_IN] += pk_in
    row[PK_OUT] += pk_out
    row[HOP_EW] += hop_ew
    row[HOP_NS] += hop_ns
    row[HOP_IC] += hop_ic


@numba.njit(inline="always", cache=True)
def _count_partial_sum(counts, row, comp_hops, j, received):  # pragma: no cover - compiled
    """Count one partial-sum packet of compartment ``j`` in ``counts[row]``.

    It is one packet out, one partial sum and one synaptic event caused, over its route's
    hops; ``received`` adds the packet in and the synaptic event it costs the home core
    (of the dense kind: one addition).
    """
    counts[row, PK_OUT] += 1
    counts[row, PARTIAL] += 1
    counts[row, SYN_CAUSED] += 1
    if received:  # joining the neuron is one synaptic event of the dense kind
        counts[row, PK_IN] += 1
        counts[row, SYN] += 1
        counts[row, SYN_DENSE] += 1
    for h in range(3):
        counts[row, HOP_EW + h] += comp_hops[j, h]


@numba.njit(cache=True, nogil=True)
def run_stream(neurons, synapses, routes, compartments, links, chip, stream, counts
               ):  # pragma: no cover - compiled
    """Run one stream; the arguments are the groups above, ``counts`` is filled in place.

    Returns the recorded spikes (step, neuron) and packet trace (:data:`TRACE_COLUMNS`).
    """
    pop_of, pop_dynamics, pop_role, pop_offset, pop_first, seq_out_weight, pop_out_ptr, pop_out_proj = (
        neurons.pop_of, neurons.pop_dynamics, neurons.pop_role, neurons.pop_offset,
        neurons.pop_first, neurons.seq_out_weight, neurons.pop_out_ptr, neurons.pop_out_proj)
    bias, pop_size, pop_model = neurons.bias, neurons.pop_size, neurons.pop_model
    seq_threshold, seq_reset = neurons.seq_threshold, neurons.seq_reset
    (proj_kind, proj_geom, proj_w_off, proj_ptr_off, proj_tgt_first, proj_tgt_size, proj_delay,
     weights, csr_ptr, csr_idx, csr_w, ring, proj_tgt_pop, slot_of) = synapses
    (core_tile, _core_ptr, core_neurons, tile_core_ptr, tile_cores, dest_ptr, dest_core,
     dest_nsyn, dest_tile, src_synapses, src_hops, tpop_ptr, tpop_id, tpop_syn, seg_ptr,
     seg_start, seg_pop, tpop_kind, pop_out_kind, src_kind_syn, core_syn_col, core_syn_s,
     dest_kind_nsyn, dest_syn_s) = routes
    (comp_ptr, comp_neuron, comp_row, comp_home, comp_tile, comp_hops, n_rows, proj_src_ptr,
     src_row, comp_kind_nsyn, comp_syn_s) = compartments
    size_x, link_next = links.size_x, links.link_next
    (latency, multicast, tick_mode, tick_s, barrier_s, buffer_depth, emulate_fs, active_nonzero,
     overlapped, strict_threshold, inflight) = chip
    encoded, window, n_steps = stream.encoded, stream.window, stream.n_steps
    record_spikes, record_packets = stream.record_spikes, stream.record_packets
    packet_capacity, entry_capacity = stream.packet_capacity, stream.entry_capacity
    core_counts, core_busy = counts.core_counts, counts.core_busy
    pop_counts, image_counts = counts.pop_counts, counts.image_counts
    step_end, step_work, out_v = counts.step_end, counts.step_work, counts.out_v
    step_updates, step_counts = counts.step_updates, counts.step_counts
    readout_step, spike_count = counts.readout_step, counts.spike_count
    n_images = encoded.shape[0]
    n_neurons = len(pop_of)
    n_cores = len(core_tile)
    n_tiles = len(link_next) // 4
    lat_active = latency[L_ACTIVE]
    lat_inactive = latency[L_INACTIVE]
    lat_gen = latency[L_SPIKE_GEN]
    lat_out = latency[L_PK_OUT]

    # Neuron state in core order (indexed like core_neurons), and each update's outcome.
    flags = np.zeros(n_neurons, np.uint8)
    update_arrays = UpdateArrays(core_neurons, slot_of, np.zeros(n_neurons, np.int64),
                                 np.zeros(n_neurons, np.int64), np.zeros(n_neurons, np.int64),
                                 stream.poisson_spikes, out_v, readout_step, flags)
    slots = np.zeros((ring, n_neurons), np.int64)  # in slot order (slot_of)
    # Whether anything was added into a population's part of a ring slot.
    fed = np.zeros((ring, len(pop_dynamics)), np.bool_)
    link_free = np.zeros(len(link_next), np.float64)
    core_free = np.zeros(n_cores, np.float64)
    updates_end = np.zeros(n_cores, np.float64)  # U_c of the step
    # Multicast packets (and traced ones) keep a row: destination pairs, source, core.
    packet = np.zeros((packet_capacity if multicast or record_packets else 1, 4), np.int64)
    tile_x = np.arange(n_tiles) % size_x
    tile_y = np.arange(n_tiles) // size_x
    # The routers in use: packets never leave the box around the tiles in use.
    x0 = tile_x[core_tile].min()
    x1 = tile_x[core_tile].max()
    y0 = tile_y[core_tile].min()
    y1 = tile_y[core_tile].max()
    # Lists of (time, packet, actions) entries. Entry ``pid`` is packet ``pid`` at its
    # injection, so each core's packets form a list in time order; after them come the
    # links' output lists (valid in the step of their stamp).
    size = max(entry_capacity, 16)  # grows when a step needs more
    ent = Entries(np.empty(size, np.float64), np.empty(size, np.int64), np.empty(size, np.int64),
                  np.empty(size, np.int64))
    core_pk_lo = np.zeros(n_cores, np.int64)
    core_pk_hi = np.zeros(n_cores, np.int64)
    out_lo = np.zeros(len(link_next), np.int64)
    out_hi = np.zeros(len(link_next), np.int64)
    out_stamp = np.full(len(link_next), -1, np.int64)
    most_cores = np.diff(tile_core_ptr).max()
    list_lo = np.zeros(most_cores + 4, np.int64)
    list_hi = np.zeros(most_cores + 4, np.int64)
    board = Board(x0, x1, y0, y1, size_x, tile_x, tile_y, tile_core_ptr, tile_cores, core_tile)
    net = NetState(core_pk_lo, core_pk_hi, list_lo, list_hi, out_lo, out_hi, out_stamp,
                   link_free, core_free)
    net_chip = NetChip(latency, multicast, buffer_depth, record_packets, core_syn_col, core_syn_s)
    spikes = np.empty((1024 if record_spikes else 0, 2), np.int64)
    n_spikes = 0
    # Partial sums of the step, by row (split population and source group) and neuron, and
    # the image of the spikes summed into each row.
    psum = np.zeros((n_rows, n_neurons if n_rows > 0 else 0), np.int64)
    row_img = np.zeros(max(n_rows, 1), np.int64)
    comp_one = np.ones(len(comp_neuron), np.int32)
    # The ring slot each outgoing projection of a segment writes at this step (by the
    # projection's place in pop_out_proj), worked out once per segment, not per spike.
    out_slot = np.zeros(max(len(pop_out_proj), 1), np.int64)
    # The partial-sum pass hands _network its pairs with the spike pass's dtypes (int32
    # cores and synapse counts), so _network, _inject, _serve_link and _deliver compile once.
    comp_home_core = comp_home.astype(dest_core.dtype)
    pairs = Pairs(dest_tile, dest_core, dest_nsyn, dest_kind_nsyn, dest_syn_s)
    comp_pairs = Pairs(comp_tile, comp_home_core, comp_one, comp_kind_nsyn, comp_syn_s)
    trace = np.empty((1024 if record_packets else 0, 8), np.float64)
    n_trace = np.int64(0)

    start = 0.0
    for t in range(n_steps):
        prev = (t - 1) % ring
        n_packets = np.int64(0)
        # ---- 1. cores update their neurons and send packets --------------------------
        incoming = slots[prev]
        for c in range(n_cores):
            tau = start
            core_pk_lo[c] = n_packets
            here = core_tile[c]
            # A core's neurons come as segments, each a run of one population: the
            # window, the sequences and the count rows are the same for all of it.
            for sg in range(seg_ptr[c], seg_ptr[c + 1]):
                p = seg_pop[sg]
                seg_lo = seg_start[sg]
                seg_hi = seg_start[sg + 1]
                img, k, in_window = window_position(t, pop_offset[p], window, n_images)
                if (not active_nonzero and not in_window and not fed[prev, p]
                        and idle_without_input(pop_dynamics[p])):
                    # Nothing can change: every update is inactive. Charge them by count;
                    # the time is still added one update at a time, so it is bit-identical.
                    m = seg_hi - seg_lo
                    for _ in range(m):
                        tau += lat_inactive
                    step_updates[t, 1] += m
                    core_counts[c, UPD_INACTIVE] += m
                    pop_counts[p, UPD_INACTIVE] += m
                    image_counts[n_images, UPD_INACTIVE] += m
                    continue
                bucket = img if in_window else n_images
                # A core without native FS neurons rewrites the threshold of each FS neuron
                # at every step of its window: every such update is active.
                emulated = (emulate_fs and pop_dynamics[p] == DYNAMICS_FS and in_window
                            and pop_role[p] != ROLE_OUTPUT)
                ps = PopulationStep(img, k, in_window, k == window - 1, pop_dynamics[p],
                                    pop_role[p], seq_threshold[p, k], seq_reset[p, k],
                                    pop_model[p, 0] != 0, pop_model[p, 1], pop_model[p, 2],
                                    pop_model[p, 3], pop_model[p, 4], pop_model[p, 5],
                                    strict_threshold)
                # The bias of each neuron, or the encoded pixels for the input layer.
                first = pop_first[p]
                if pop_role[p] == ROLE_INPUT and in_window:
                    drive = encoded[img]
                else:
                    drive = bias[first:first + pop_size[p]]
                d = seq_out_weight[p, k]
                n_active = _update_segment(seg_lo, seg_hi, first, t, ps, emulated,
                                           active_nonzero, incoming, drive, update_arrays)
                out_lo = pop_out_ptr[p]
                out_hi = pop_out_ptr[p + 1]
                for j in range(out_lo, out_hi):
                    out_slot[j] = (t + proj_delay[pop_out_proj[j]]) % ring
                n_fired = 0
                syn_caused = 0  # what this segment's spikes cause, summed, then counted once
                out_kind = pop_out_kind[p]  # −1: its synapses are of several kinds
                syn_dense = syn_sparse = syn_conv = 0
                deliveries = 0
                sent = 0
                hop_ew = 0
                hop_ns = 0
                hop_ic = 0
                # The updates' time, in order; a spike's costs come between them.
                for i in range(seg_lo, seg_hi):
                    f = flags[i]
                    if f == INACTIVE:
                        tau += lat_inactive
                        continue
                    tau += lat_active
                    if f == ACTIVE:
                        continue
                    n = core_neurons[i]
                    src = n - first
                    # ---- a spike: effects now, packets out ---------------------------
                    n_fired += 1
                    spike_count[n] += 1
                    if record_spikes:
                        if n_spikes == spikes.shape[0]:
                            grown = np.empty((2 * n_spikes, 2), np.int64)
                            grown[:n_spikes] = spikes
                            spikes = grown
                        spikes[n_spikes, 0] = t
                        spikes[n_spikes, 1] = n
                        n_spikes += 1
                    for j in range(out_lo, out_hi):
                        q = pop_out_proj[j]
                        slot = out_slot[j]
                        accumulate(proj_kind[q], proj_geom[q], proj_w_off[q], proj_ptr_off[q],
                                   proj_tgt_first[q], proj_tgt_size[q], src, d, weights,
                                   csr_ptr, csr_idx, csr_w, slots[slot])
                        if n_rows > 0:
                            r = src_row[proj_src_ptr[q] + src]
                            if r >= 0:  # these synapses sit on partial compartments
                                accumulate(proj_kind[q], proj_geom[q], proj_w_off[q],
                                           proj_ptr_off[q], proj_tgt_first[q],
                                           proj_tgt_size[q], src, d, weights, csr_ptr,
                                           csr_idx, csr_w, psum[r])
                                row_img[r] = img
                    tau += lat_gen
                    # What the spike will cost downstream is known now: sum it here
                    # (synapses and hops of its routes; deliveries, one per destination
                    # core); the synapses onto each target layer follow from spike_count.
                    lo = dest_ptr[n]
                    hi = dest_ptr[n + 1]
                    syn_caused += src_synapses[n]
                    if out_kind < 0:
                        syn_dense += src_kind_syn[n, 0]
                        syn_sparse += src_kind_syn[n, 1]
                        syn_conv += src_kind_syn[n, 2]
                    deliveries += hi - lo
                    hop_ew += src_hops[n, 0]
                    hop_ns += src_hops[n, 1]
                    hop_ic += src_hops[n, 2]
                    if lo == hi:
                        continue
                    n_sent = 1 if multicast else hi - lo
                    if n_packets + n_sent > len(ent.time):
                        ent = Entries(*_grow(ent.time, ent.pid, ent.bits, ent.data,
                                             n_packets + n_sent))
                    tau, n_packets = _inject(n_packets, tau, lat_out, lo, hi, here, n, c, pairs,
                                             ent, packet, board, net_chip)
                    sent += n_sent
                if n_fired > 0:  # something was written into these targets' slots
                    for j in range(out_lo, out_hi):
                        fed[out_slot[j], proj_tgt_pop[pop_out_proj[j]]] = True
                n_idle = seg_hi - seg_lo - n_active
                step_updates[t, 0] += n_active
                step_updates[t, 1] += n_idle
                core_counts[c, UPD_ACTIVE] += n_active
                pop_counts[p, UPD_ACTIVE] += n_active
                image_counts[bucket, UPD_ACTIVE] += n_active
                core_counts[c, UPD_INACTIVE] += n_idle
                pop_counts[p, UPD_INACTIVE] += n_idle
                image_counts[bucket, UPD_INACTIVE] += n_idle
                if n_fired == 0:
                    continue
                _count_spikes(core_counts[c], n_fired, 0, syn_caused, 0, sent,
                              hop_ew, hop_ns, hop_ic)
                _count_spikes(pop_counts[p], n_fired, 0, syn_caused, deliveries, sent,
                              hop_ew, hop_ns, hop_ic)
                _count_spikes(image_counts[img], n_fired, syn_caused, syn_caused, deliveries,
                              sent, hop_ew, hop_ns, hop_ic)
                if out_kind >= 0:
                    image_counts[img, SYN_KIND + out_kind] += syn_caused
                else:
                    image_counts[img, SYN_DENSE] += syn_dense
                    image_counts[img, SYN_SPARSE] += syn_sparse
                    image_counts[img, SYN_CONV] += syn_conv
            core_busy[c] += tau - start
            updates_end[c] = tau
            # An overlapped core serves its packets while it updates: from the step's start.
            core_free[c] = start if overlapped else tau
            core_pk_hi[c] = n_packets
        fed[prev, :] = False  # every core has read the slot of step t - 1
        # ---- 2. the network and the receiving cores ----------------------------------
        ent, trace, n_trace = _network(n_packets, 2 * t, t, board, links, net_chip, net, counts,
                                       pairs, ent, packet, trace, n_trace)
        if inflight and n_packets > 0:
            # The links gave the counts; the times are SANA-FE's in-flight estimate.
            _inflight_timing(n_packets, start, overlapped, ent, pairs, board, links, net_chip,
                             net, updates_end)
        # ---- partial sums to the home cores (split fan-in) ----------------------------
        if n_rows > 0:
            n_packets = np.int64(0)
            for c in range(n_cores):
                core_pk_lo[c] = n_packets
                core_free[c] = max(core_free[c], updates_end[c])
                tau = core_free[c]
                here = core_tile[c]
                for j in range(comp_ptr[c], comp_ptr[c + 1]):
                    r = comp_row[j]
                    n = comp_neuron[j]
                    value = psum[r, slot_of[n]]
                    if value == 0:
                        continue
                    psum[r, slot_of[n]] = 0
                    if n_packets + 1 > len(ent.time):
                        ent = Entries(*_grow(ent.time, ent.pid, ent.bits, ent.data,
                                             n_packets + 1))
                    tau, n_packets = _inject(n_packets, tau, lat_out, j, j + 1, here, n, c,
                                             comp_pairs, ent, packet, board, net_chip)
                    p = pop_of[n]
                    img = row_img[r]
                    # The sending core sent it; the layer and the image also receive it.
                    _count_partial_sum(core_counts, c, comp_hops, j, False)
                    _count_partial_sum(pop_counts, p, comp_hops, j, True)
                    _count_partial_sum(image_counts, img, comp_hops, j, True)
                core_busy[c] += tau - core_free[c]
                core_free[c] = tau
                core_pk_hi[c] = n_packets
            ent, trace, n_trace = _network(n_packets, 2 * t + 1, t, board, links, net_chip, net,
                                           counts, comp_pairs, ent, packet, trace, n_trace)
        # ---- 3. the end of the step ---------------------------------------------------
        last = start
        for c in range(n_cores):
            if core_free[c] > last:
                last = core_free[c]
            if updates_end[c] > last:
                last = updates_end[c]
        work = last - start
        step_work[t] = work
        if tick_mode:
            start = start + max(work, tick_s)
        else:
            start = last + barrier_s
        step_end[t] = start
        if step_counts.shape[0] > 0:
            step_counts[t] = core_counts  # running totals; per-step counts are diffs
    # Synaptic events onto each target layer: per neuron, its spikes × its synapses there.
    for n in range(n_neurons):
        if spike_count[n] != 0:
            for j in range(tpop_ptr[n], tpop_ptr[n + 1]):
                pop_counts[tpop_id[j], SYN] += spike_count[n] * tpop_syn[j]
                pop_counts[tpop_id[j], SYN_KIND + tpop_kind[j]] += spike_count[n] * tpop_syn[j]
    return spikes[:n_spikes].copy(), trace[:n_trace].copy()
