"""The compiled simulation loop: one stream of images, step by step, in simulated seconds.

One step ``t`` starting at ``S_t`` (all times in seconds):

1. **Cores.** Every core in use walks its neurons in order. A neuron's update takes the
   active or the inactive update latency (active = it changed ``v`` or ``pending``, or
   fired). A neuron that fires then costs ``spike_gen`` and, per packet, ``packet_out``;
   the packet leaves when its ``packet_out`` is done. So a core's packets leave while it
   still updates its later neurons. Its own work ends at ``U_c``.
2. **Synaptic effects.** A spike of step ``t`` adds ``w · d(k)`` into the ring slot of
   step ``t + δ``, which nobody reads before step ``t + 1``; the engine writes it when the
   neuron fires (from the shared projection form), and *charges* it, in time and energy,
   when the packet is served. The result is the same as accumulating at service time.
3. **Network.** Packets move by XY routes through a heap of (time, packet, tile) events
   popped in time order, ties by packet number (cores in order, neurons in order,
   destinations ascending) then tile. At a router a packet takes the next link at
   ``max(a + router_delay, link_free)``; the link is then busy for one serialisation time
   and the packet reaches the next router one hop latency after leaving. A multicast
   packet forks along the XY tree (union of the XY paths to its destination tiles).
4. **Service.** A packet delivered to a core at ``a`` is served at
   ``max(a, core_free)`` for ``packet_in + n_syn · synop``; ``core_free`` starts at ``U_c``.
   Deliveries come out of the heap in time order, so each core serves in arrival order.
5. **End.** ``E_t = S_t + work + barrier`` (barrier mode) or ``S_t + max(work, tick)``
   (tick mode), where ``work`` runs to the last core activity; ``S_{t+1} = E_t``.

Counts go to per-core, per-population, per-image and per-link tables passed in by the
caller (:mod:`neurosim.engine.run`); the column meanings are :data:`COUNT_KINDS`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

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
)
SYN, UPD_ACTIVE, UPD_INACTIVE, SPIKES, PK_OUT, PK_IN, HOP_EW, HOP_NS, HOP_IC, SYN_CAUSED = range(10)
N_KINDS = len(COUNT_KINDS)
# Columns of the per-delivery trace (record_packets).
TRACE_COLUMNS = ("step", "source_neuron", "core_index", "inject_s", "arrival_s", "start_s", "end_s",
                 "synapses")

# Latency vector layout (seconds).
L_ACTIVE, L_INACTIVE, L_SPIKE_GEN, L_PK_OUT, L_PK_IN, L_SYNOP, L_ROUTER = range(7)
_QUEUE_EPS = 1e-9


@numba.njit(inline="always")
def _push(heap_t, heap_k, size, time, key):  # pragma: no cover - compiled
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        pt = heap_t[parent]
        if pt < time or (pt == time and heap_k[parent] < key):
            break
        heap_t[i] = pt
        heap_k[i] = heap_k[parent]
        i = parent
    heap_t[i] = time
    heap_k[i] = key
    return size + 1


@numba.njit(inline="always")
def _pop(heap_t, heap_k, size):  # pragma: no cover - compiled
    """Remove the smallest (time, key); returns it and the new size."""
    top_t = heap_t[0]
    top_k = heap_k[0]
    size -= 1
    last_t = heap_t[size]
    last_k = heap_k[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        right = child + 1
        if right < size and (heap_t[right] < heap_t[child] or (
                heap_t[right] == heap_t[child] and heap_k[right] < heap_k[child])):
            child = right
        ct = heap_t[child]
        if ct > last_t or (ct == last_t and heap_k[child] > last_k):
            break
        heap_t[i] = ct
        heap_k[i] = heap_k[child]
        i = child
    if size > 0:
        heap_t[i] = last_t
        heap_k[i] = last_k
    return top_t, top_k, size


@numba.njit(cache=True, nogil=True)
def run_stream(
    # neurons and populations
    pop_of, bias, pop_dynamics, pop_role, pop_offset, pop_first, seq_threshold, seq_reset,
    seq_out_weight, pop_out_ptr, pop_out_proj,
    # projections
    proj_kind, proj_geom, proj_w_off, proj_ptr_off, proj_tgt_first, proj_tgt_size, proj_delay,
    weights, csr_ptr, csr_idx, csr_w, ring,
    # cores and destinations
    core_tile, core_ptr, core_neurons, dest_ptr, dest_core, dest_nsyn, dest_tile,
    tpop_ptr, tpop_id, tpop_syn,
    # board
    size_x, link_next, link_kind, link_latency, link_serialisation,
    # chip behaviour
    latency, multicast, tick_mode, tick_s, barrier_s, buffer_depth,
    # the stream
    encoded, window, n_steps, record_spikes, record_packets, packet_capacity, heap_capacity,
    # outputs, filled in place
    core_counts, core_busy, pop_counts, image_counts, link_packets, link_wait,
    link_max_queue, link_overflows, step_end, step_work, out_v, readout_step, spike_count,
):  # pragma: no cover - compiled
    n_images = encoded.shape[0]
    n_neurons = len(pop_of)
    n_cores = len(core_tile)
    n_tiles = len(link_next) // 4
    lat_active = latency[L_ACTIVE]
    lat_inactive = latency[L_INACTIVE]
    lat_gen = latency[L_SPIKE_GEN]
    lat_out = latency[L_PK_OUT]
    lat_in = latency[L_PK_IN]
    lat_syn = latency[L_SYNOP]
    router = latency[L_ROUTER]

    v = np.zeros(n_neurons, np.int64)
    pending = np.zeros(n_neurons, np.int64)
    slots = np.zeros((ring, n_neurons), np.int64)
    link_free = np.zeros(len(link_next), np.float64)
    core_free = np.zeros(n_cores, np.float64)
    # One entry per packet of the current step.
    pk_first = np.empty(packet_capacity, np.int64)   # first destination pair
    pk_last = np.empty(packet_capacity, np.int64)    # one past the last destination pair
    pk_src = np.empty(packet_capacity, np.int64)
    pk_core = np.empty(packet_capacity, np.int64)
    pk_pop = np.empty(packet_capacity, np.int64)
    pk_img = np.empty(packet_capacity, np.int64)
    pk_inject = np.empty(packet_capacity, np.float64)
    heap_t = np.empty(heap_capacity, np.float64)
    heap_k = np.empty(heap_capacity, np.int64)
    spikes = np.empty((1024 if record_spikes else 0, 2), np.int64)
    n_spikes = 0
    trace = np.empty((1024 if record_packets else 0, 8), np.float64)
    n_trace = 0

    start = 0.0
    for t in range(n_steps):
        prev = (t - 1) % ring
        n_packets = 0
        heap_size = 0
        # ---- 1. cores update their neurons and send packets --------------------------
        for c in range(n_cores):
            tau = start
            tile = core_tile[c]
            for idx in range(core_ptr[c], core_ptr[c + 1]):
                n = core_neurons[idx]
                p = pop_of[n]
                e = slots[prev, n]
                slots[prev, n] = 0
                rel = t - pop_offset[p]
                img = rel // window
                k = rel - img * window
                in_window = img >= 0 and img < n_images
                role = pop_role[p]
                v_before = v[n]
                pending_before = pending[n]
                fired = False
                if pop_dynamics[p] == 0:  # "fs"
                    pending[n] += e
                    if in_window:
                        if k == 0:
                            b = encoded[img, n - pop_first[p]] if role == 0 else bias[n]
                            v[n] = pending[n] + b
                            pending[n] = 0
                            if role == 2:
                                out_v[img, n - pop_first[p]] = v[n]
                                readout_step[img] = t
                        if role != 2 and v[n] > seq_threshold[p, k]:
                            fired = True
                            v[n] -= seq_reset[p, k]
                elif in_window:  # "if"
                    if k == 0:
                        v[n] = 0
                    b = encoded[img, n - pop_first[p]] if role == 0 else bias[n]
                    v[n] += e + b
                    if role == 2:
                        if k == window - 1:
                            out_v[img, n - pop_first[p]] = v[n]
                            readout_step[img] = t
                    elif v[n] >= seq_threshold[p, k]:
                        fired = True
                        v[n] -= seq_reset[p, k]
                bucket = img if in_window else n_images
                if fired or v[n] != v_before or pending[n] != pending_before:
                    tau += lat_active
                    core_counts[c, UPD_ACTIVE] += 1
                    pop_counts[p, UPD_ACTIVE] += 1
                    image_counts[bucket, UPD_ACTIVE] += 1
                else:
                    tau += lat_inactive
                    core_counts[c, UPD_INACTIVE] += 1
                    pop_counts[p, UPD_INACTIVE] += 1
                    image_counts[bucket, UPD_INACTIVE] += 1
                if not fired:
                    continue
                # ---- a spike: effects now, packets out -------------------------------
                spike_count[n] += 1
                if record_spikes:
                    if n_spikes == spikes.shape[0]:
                        grown = np.empty((2 * n_spikes, 2), np.int64)
                        grown[:n_spikes] = spikes
                        spikes = grown
                    spikes[n_spikes, 0] = t
                    spikes[n_spikes, 1] = n
                    n_spikes += 1
                d = seq_out_weight[p, k]
                src = n - pop_first[p]
                for j in range(pop_out_ptr[p], pop_out_ptr[p + 1]):
                    q = pop_out_proj[j]
                    accumulate(proj_kind[q], proj_geom[q], proj_w_off[q], proj_ptr_off[q],
                               proj_tgt_first[q], proj_tgt_size[q], src, d, weights, csr_ptr,
                               csr_idx, csr_w, slots[(t + proj_delay[q]) % ring])
                for j in range(tpop_ptr[n], tpop_ptr[n + 1]):
                    pop_counts[tpop_id[j], SYN] += tpop_syn[j]
                    pop_counts[p, SYN_CAUSED] += tpop_syn[j]
                tau += lat_gen
                core_counts[c, SPIKES] += 1
                pop_counts[p, SPIKES] += 1
                image_counts[img, SPIKES] += 1
                lo = dest_ptr[n]
                hi = dest_ptr[n + 1]
                if lo == hi:
                    continue
                n_sent = 1 if multicast else hi - lo
                for j in range(n_sent):
                    tau += lat_out
                    pid = n_packets
                    n_packets += 1
                    pk_first[pid] = lo if multicast else lo + j
                    pk_last[pid] = hi if multicast else lo + j + 1
                    pk_src[pid] = n
                    pk_core[pid] = c
                    pk_pop[pid] = p
                    pk_img[pid] = img
                    pk_inject[pid] = tau
                    heap_size = _push(heap_t, heap_k, heap_size, tau, pid * n_tiles + tile)
                core_counts[c, PK_OUT] += n_sent
                pop_counts[p, PK_OUT] += n_sent
                image_counts[img, PK_OUT] += n_sent
            core_busy[c] += tau - start
            core_free[c] = tau
        # ---- 2. the network and the receiving cores ----------------------------------
        while heap_size > 0:
            a, key, heap_size = _pop(heap_t, heap_k, heap_size)
            pid = key // n_tiles
            tile = key - pid * n_tiles
            x = tile % size_x
            y = tile // size_x
            sx = core_tile[pk_core[pid]] % size_x
            sy = core_tile[pk_core[pid]] // size_x
            # Deliveries on this tile, then the links onward (one for unicast; the
            # branches of the XY tree for multicast).
            go_e = go_w = go_n = go_s = False
            for pr in range(pk_first[pid], pk_last[pid]):
                dt = dest_tile[pr]
                dx = dt % size_x
                dy = dt // size_x
                if dt == tile:
                    c = dest_core[pr]
                    nsyn = dest_nsyn[pr]
                    begin = max(a, core_free[c])
                    service = lat_in + nsyn * lat_syn
                    core_free[c] = begin + service
                    core_busy[c] += service
                    core_counts[c, PK_IN] += 1
                    core_counts[c, SYN] += nsyn
                    core_counts[pk_core[pid], SYN_CAUSED] += nsyn
                    pop_counts[pk_pop[pid], PK_IN] += 1
                    image_counts[pk_img[pid], PK_IN] += 1
                    image_counts[pk_img[pid], SYN] += nsyn
                    image_counts[pk_img[pid], SYN_CAUSED] += nsyn
                    if record_packets:
                        if n_trace == trace.shape[0]:
                            grown_t = np.empty((2 * n_trace, 8), np.float64)
                            grown_t[:n_trace] = trace
                            trace = grown_t
                        trace[n_trace, 0] = t
                        trace[n_trace, 1] = pk_src[pid]
                        trace[n_trace, 2] = c
                        trace[n_trace, 3] = pk_inject[pid]
                        trace[n_trace, 4] = a
                        trace[n_trace, 5] = begin
                        trace[n_trace, 6] = begin + service
                        trace[n_trace, 7] = nsyn
                        n_trace += 1
                elif y == sy:  # on the source's row: along x, or turning into a column
                    if dx > x and x >= sx:
                        go_e = True
                    elif dx < x and x <= sx:
                        go_w = True
                    elif dx == x:
                        if dy > y:
                            go_n = True
                        else:
                            go_s = True
                elif dx == x:  # in a destination column: keep going away from the row
                    if y > sy and dy > y:
                        go_n = True
                    elif y < sy and dy < y:
                        go_s = True
            onward = (go_e, go_w, go_n, go_s)  # in the order of mesh.DIRECTIONS
            for direction in range(4):
                if not onward[direction]:
                    continue
                link = tile * 4 + direction
                ready = a + router
                leave = ready
                free = link_free[link]
                ser = link_serialisation[link]
                if free > ready:
                    leave = free
                    link_wait[link] += free - ready
                    ahead = math.ceil((free - ready) / ser - _QUEUE_EPS) - 1
                    if ahead > link_max_queue[link]:
                        link_max_queue[link] = ahead
                    if ahead > buffer_depth:
                        link_overflows[link] += 1
                link_free[link] = leave + ser
                link_packets[link] += 1
                hop = HOP_EW + link_kind[link]
                core_counts[pk_core[pid], hop] += 1
                pop_counts[pk_pop[pid], hop] += 1
                image_counts[pk_img[pid], hop] += 1
                heap_size = _push(heap_t, heap_k, heap_size, leave + link_latency[link],
                                  pid * n_tiles + link_next[link])
        # ---- 3. the end of the step ---------------------------------------------------
        last = start
        for c in range(n_cores):
            if core_free[c] > last:
                last = core_free[c]
        work = last - start
        step_work[t] = work
        if tick_mode:
            start = start + max(work, tick_s)
        else:
            start = last + barrier_s
        step_end[t] = start
    return spikes[:n_spikes].copy(), trace[:n_trace].copy()
