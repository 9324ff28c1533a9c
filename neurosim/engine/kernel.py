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
   On a chip with ``noc.congestion: inflight`` (SANA-FE's estimate) steps 3–4 of the
   spike packets are timed instead by :func:`~neurosim.engine.inflight.inflight_timing`,
   and the link pass does not run for them (its counts come from the end of the stream
   and from the in-flight pass; no link queues are modelled); under split fan-in it still
   runs before it, since the partial sums are timed on the links it left busy.
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
exactly that of a time-ordered event simulation, at a cost linear in the hops. The
lists, the merge and the links' timing are :mod:`neurosim.engine.network`'s.

Counts go to per-core, per-population, per-image and per-link tables passed in by the
caller (:mod:`neurosim.engine.run`); the column meanings are :data:`COUNT_KINDS`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numba
import numpy as np

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
from neurosim.engine.columns import (  # noqa: F401 - re-exported: the kernel's layouts
    COUNT_KINDS,
    HOP_EW,
    HOP_IC,
    HOP_NS,
    L_ACTIVE,
    L_INACTIVE,
    L_PK_IN,
    L_PK_OUT,
    L_ROUTER,
    L_SPIKE_GEN,
    L_SYNOP,
    N_KINDS,
    PARTIAL,
    PK_IN,
    PK_OUT,
    SPIKES,
    SYN,
    SYN_CAUSED,
    SYN_CONV,
    SYN_DENSE,
    SYN_KIND,
    SYN_SPARSE,
    TRACE_COLUMNS,
    UPD_ACTIVE,
    UPD_INACTIVE,
)
from neurosim.engine.inflight import (
    count_step_deliveries,
    inflight_link_packets,
    inflight_routes,
    inflight_timing,
    spike_pairs,
)
from neurosim.engine.network import (  # noqa: F401 - _actions, _unicast_actions: tests
    COORD_BITS,
    DATA_SHIFT,
    DELIVER,
    DEST_MASK,
    E_KEY,
    E_TIME,
    ENTRY_WORDS,
    KEY_SHIFT,
    P_CORE,
    P_FIRST,
    P_LAST,
    P_SRC,
    Board,
    NetChip,
    NetState,
    Packets,
    Pairs,
    _actions,
    _unicast_actions,
    count_deliveries,
    inject,
    injection_bases,
    network_pass,
    xy_action,
)
from neurosim.engine.synapses import accumulate
from neurosim.engine.unchecked import at, put

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
    comp_psum: Any       # (compartments,) where its sum sits in the packed partial sums ...
    row_base: Any        # (rows,) ... where each row's part (its population, in slot order) starts
    row_pop: Any         # (rows,) the split population of each row


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
    inflight: Any        # noc.congestion == "inflight" (SANA-FE's): neurosim.engine.inflight


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
def _count_partial_sums(counts, row, n, hops):  # pragma: no cover - compiled
    """Count ``n`` partial-sum packets, over ``hops[1:4]`` hops in all, in ``counts[row]``
    of a layer or an image (which receive them).

    Each is one packet out, one partial sum and one synaptic event caused, and at its home
    core one packet in and the synaptic event joining the neuron costs (of the dense kind:
    one addition). (The sending core counts the same without what is received.)
    """
    counts[row, PK_OUT] += n
    counts[row, PARTIAL] += n
    counts[row, SYN_CAUSED] += n
    counts[row, PK_IN] += n
    counts[row, SYN] += n
    counts[row, SYN_DENSE] += n
    for h in range(3):
        counts[row, HOP_EW + h] += hops[1 + h]


@numba.njit(cache=True, nogil=True)
def _grow_packets(inject_s, data, service, need, traced):  # pragma: no cover - compiled
    """The arrays of a pass's packets with room for ``need`` (at least doubled)."""
    size = max(2 * len(data), need)
    grown_s = np.empty(size if traced else 1, np.float64)
    grown_d = np.empty(size, np.int64)
    grown_v = np.empty(size, np.float64)
    grown_s[:len(inject_s)] = inject_s
    grown_d[:len(data)] = data
    grown_v[:len(service)] = service
    return grown_s, grown_d, grown_v


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
    (core_tile, core_ptr, core_neurons, tile_core_ptr, tile_cores, dest_ptr, dest_core,
     dest_nsyn, dest_tile, src_synapses, src_hops, tpop_ptr, tpop_id, tpop_syn, seg_ptr,
     seg_start, seg_pop, tpop_kind, pop_out_kind, src_kind_syn, core_syn_col, core_syn_s,
     dest_kind_nsyn, dest_syn_s) = routes
    (comp_ptr, comp_neuron, comp_row, comp_home, comp_tile, comp_hops, n_rows, proj_src_ptr,
     src_row, comp_kind_nsyn, comp_syn_s, comp_psum, row_base, row_pop) = compartments
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
    # Multicast packets (and traced ones) keep a row: destination pairs, source, core,
    # and their injection time.
    packets = Packets(np.zeros((packet_capacity if multicast or record_packets else 1, 4),
                               np.int64))
    packet = packets.table
    tile_x = np.arange(n_tiles) % size_x
    tile_y = np.arange(n_tiles) // size_x
    # The routers in use: packets never leave the box around the tiles in use.
    x0 = tile_x[core_tile].min()
    x1 = tile_x[core_tile].max()
    y0 = tile_y[core_tile].min()
    y1 = tile_y[core_tile].max()
    # The packets of a pass, by number: injection time (traced), data and service time
    # at their core (unicast: network.inject).
    stage_size = max(min(entry_capacity, packet_capacity), 16)
    # (The in-flight estimate reads the send times too, and each core's run of packets.)
    keep_sent = record_packets or inflight
    pk_inject = np.empty(stage_size if keep_sent else 1, np.float64)
    core_pk = np.zeros(n_cores + 1, np.int64)
    pk_data = np.empty(stage_size, np.int64)
    pk_service = np.empty(stage_size, np.float64)
    # A unicast stream that records neither packets nor per-step counts serves the spike
    # packets by their times alone and counts the deliveries from the spike counts at the
    # end (network.count_deliveries): the same sums.
    deferred = not multicast and not record_packets and step_counts.shape[0] == 0
    n_actions = 5
    inj_lo = np.zeros(n_cores * n_actions, np.int64)
    inj_hi = np.zeros(n_cores * n_actions, np.int64)
    out_lo = np.zeros(len(link_next) * n_actions, np.int64)
    out_hi = np.zeros(len(link_next) * n_actions, np.int64)
    out_stamp = np.full(len(link_next), -1, np.int64)
    most_cores = np.diff(tile_core_ptr).max()
    list_lo = np.zeros(most_cores + 4, np.int64)
    list_hi = np.zeros(most_cores + 4, np.int64)
    board = Board(x0, x1, y0, y1, size_x, tile_x, tile_y, tile_core_ptr, tile_cores, core_tile)
    net_chip = NetChip(latency, multicast, buffer_depth, record_packets, core_syn_col, core_syn_s)
    spikes = np.empty((1024 if record_spikes else 0, 2), np.int64)
    n_spikes = 0
    # Partial sums of the step, by row (split population and source group) and neuron:
    # each row holds its population only, in slot order, from row_base[r] (a few MB where a
    # row the size of the network took a GB, touched at random). Beside them, the image
    # of the spikes summed into each row, whether any were this step, and the partial-sum
    # packets each row sent in the step with their hops (counted per row, added per step).
    psum = np.zeros(row_base[-1] if n_rows > 0 else 0, np.int64)
    row_img = np.zeros(max(n_rows, 1), np.int64)
    row_fed = np.zeros(max(n_rows, 1), np.bool_)
    row_sent = np.zeros((max(n_rows, 1), 4), np.int64)  # packets, E-W, N-S, inter-chip hops
    comp_one = np.ones(len(comp_neuron), np.int32)
    # The ring slot each outgoing projection of a segment writes at this step (by the
    # projection's place in pop_out_proj), worked out once per segment, not per spike.
    out_slot = np.zeros(max(len(pop_out_proj), 1), np.int64)
    # The partial-sum pass hands the network its pairs with the spike pass's dtypes (int32
    # cores and synapse counts), so the network's functions compile once.
    comp_home_core = comp_home.astype(dest_core.dtype)
    pairs = Pairs(dest_tile, dest_core, dest_nsyn, dest_kind_nsyn, dest_syn_s)
    comp_pairs = Pairs(comp_tile, comp_home_core, comp_one, comp_kind_nsyn, comp_syn_s)
    trace = np.empty((1024 if record_packets else 0, 8), np.float64)
    n_trace = np.int64(0)
    # The entry table (neurosim.engine.network): each pass, the cores' injected lists
    # (each with room for all its core could send: network.injection_bases), then the
    # links' output lists (valid in the pass of their stamp), which grow when need be.
    spike_base, comp_base, n_inj, pair_route = injection_bases(
        core_ptr, core_neurons, dest_ptr, pairs, comp_ptr, comp_pairs, board, multicast)
    ent = np.empty((n_inj + max(entry_capacity, 16), ENTRY_WORDS), np.int64)
    net = NetState(inj_lo, inj_hi, list_lo, list_hi, out_lo, out_hi, out_stamp,
                   link_free, core_free, n_inj)
    ent_s = ent.view(np.float64)
    lat_in = latency[L_PK_IN]
    # noc.congestion: inflight times the spike packets by neurosim.engine.inflight alone,
    # over the paths of the pairs the route tables use; under split fan-in the link pass
    # still runs first, as the partial sums are timed on the links it leaves busy.
    inflight_alone = inflight and n_rows == 0
    if inflight:
        pair_src, pair_dest = spike_pairs(core_ptr, core_neurons, dest_ptr, dest_core)
    else:
        pair_src = pair_dest = np.zeros(0, np.int64)
    flight_routes = inflight_routes(pair_src, pair_dest, board, links, latency)

    start = 0.0
    for t in range(n_steps):
        prev = (t - 1) % ring
        # The entry table as flat words (network.flat_entries) for the cores' send loop.
        words = ent.reshape(ENTRY_WORDS * len(ent))
        times = ent_s.reshape(ENTRY_WORDS * len(ent_s))
        n_packets = np.int64(0)
        # ---- 1. cores update their neurons and send packets --------------------------
        incoming = slots[prev]
        inj_lo[:] = spike_base
        inj_hi[:] = spike_base
        for c in range(n_cores):
            core_pk[c] = n_packets  # its packets are numbered from here, in send order
            tau = start
            here = core_tile[c]
            lists = c * n_actions
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
                                base = row_base[r]
                                accumulate(proj_kind[q], proj_geom[q], proj_w_off[q],
                                           proj_ptr_off[q], 0, proj_tgt_size[q], src, d,
                                           weights, csr_ptr, csr_idx, csr_w,
                                           psum[base:base + proj_tgt_size[q]])
                                row_img[r] = img
                                row_fed[r] = True
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
                    # The packets leave one packet_out apart, each into its core's list
                    # of its first action (network.inject, written out here for unicast).
                    n_sent = 1 if multicast else hi - lo
                    if n_packets + n_sent > len(pk_data):
                        pk_inject, pk_data, pk_service = _grow_packets(
                            pk_inject, pk_data, pk_service, n_packets + n_sent, keep_sent)
                    if multicast:
                        tau += lat_out
                        packet[n_packets, P_FIRST] = lo
                        packet[n_packets, P_LAST] = hi
                        packet[n_packets, P_SRC] = n
                        packet[n_packets, P_CORE] = c
                        if record_packets:
                            pk_inject[n_packets] = tau
                        inject(ent, inj_hi, pk_data, pk_service, n_packets, tau, lo, hi, c,
                               here, pairs, board, net_chip)
                    else:
                        # (at/put: indexing without numba's negative-index fix-up, for
                        # indices that are never negative: neurosim.engine.unchecked.)
                        pid = n_packets
                        for j in range(lo, hi):
                            tau += lat_out
                            # The pair's first action and destination, the same at every
                            # spike (network.injection_bases).
                            route = np.int64(at(pair_route, j))
                            q = lists + (route >> KEY_SHIFT)
                            e = at(inj_hi, q)
                            put(inj_hi, q, e + 1)
                            put(times, ENTRY_WORDS * e + E_TIME, tau)
                            put(words, ENTRY_WORDS * e + E_KEY,
                                (pid << KEY_SHIFT) | (route & DEST_MASK))
                            core = np.int64(at(dest_core, j))
                            if at(core_syn_col, core) >= 0:  # it receives one synapse kind
                                nsyn = np.int64(at(dest_nsyn, j))
                                put(pk_data, pid, (core << DATA_SHIFT) | nsyn)
                                put(pk_service, pid, lat_in + nsyn * at(core_syn_s, core))
                            else:  # several: its deliveries read the pair's split
                                put(pk_data, pid, (core << DATA_SHIFT) | j)
                                put(pk_service, pid, lat_in + at(dest_syn_s, j))
                            if record_packets:
                                packet[pid, P_SRC] = n
                            if keep_sent:
                                put(pk_inject, pid, tau)
                            pid += 1
                    n_packets += n_sent
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
        core_pk[n_cores] = n_packets
        fed[prev, :] = False  # every core has read the slot of step t - 1
        # ---- 2. the network and the receiving cores ----------------------------------
        if not inflight_alone:
            ent, trace, n_trace = network_pass(n_packets, n_inj, 2 * t, t, board, links,
                                               net_chip, net, counts, pairs, ent, pk_inject,
                                               pk_data, pk_service, deferred, packets, trace,
                                               n_trace)
            ent_s = ent.view(np.float64)
        if inflight and n_packets > 0:
            # The times are SANA-FE's in-flight estimate (and, alone, its services' busy
            # time and the per-step deliveries; the rest is counted at the end).
            inflight_timing(n_packets, core_pk, pk_inject, pk_data, pk_service, start,
                            overlapped, flight_routes, buffer_depth, core_free, updates_end,
                            core_busy, inflight_alone)
            if inflight_alone and not deferred:
                count_step_deliveries(n_packets, pk_data, core_syn_col, dest_nsyn,
                                      dest_kind_nsyn, core_counts)
        # ---- partial sums to the home cores (split fan-in) ----------------------------
        if n_rows > 0:
            n_packets = np.int64(0)
            inj_lo[:] = comp_base
            inj_hi[:] = comp_base
            for c in range(n_cores):
                core_free[c] = max(core_free[c], updates_end[c])
                tau = core_free[c]
                here = core_tile[c]
                here_x = tile_x[here]
                here_y = tile_y[here]
                lists = c * n_actions
                c_sent = 0
                for j in range(comp_ptr[c], comp_ptr[c + 1]):
                    r = comp_row[j]
                    if not row_fed[r]:  # no spike fed this row: all its sums are zero
                        continue
                    cell = comp_psum[j]
                    value = psum[cell]
                    if value == 0:
                        continue
                    psum[cell] = 0
                    if n_packets + 1 > len(pk_data):
                        pk_inject, pk_data, pk_service = _grow_packets(
                            pk_inject, pk_data, pk_service, n_packets + 1, keep_sent)
                    # One packet to the neuron's home core (one pair: j).
                    tau += lat_out
                    if multicast or record_packets:
                        packet[n_packets, P_FIRST] = j
                        packet[n_packets, P_LAST] = j + 1
                        packet[n_packets, P_SRC] = comp_neuron[j]
                        packet[n_packets, P_CORE] = c
                    if record_packets:
                        pk_inject[n_packets] = tau
                    if multicast:
                        inject(ent, inj_hi, pk_data, pk_service, n_packets, tau, j, j + 1, c,
                               here, comp_pairs, board, net_chip)
                    else:  # network.inject for one unicast pair, written out
                        dest = comp_tile[j]
                        dx = np.int64(tile_x[dest])
                        dy = np.int64(tile_y[dest])
                        q = lists + xy_action(here_x, here_y, dx, dy)
                        e = inj_hi[q]
                        inj_hi[q] = e + 1
                        ent_s[e, E_TIME] = tau
                        ent[e, E_KEY] = (n_packets << KEY_SHIFT) | (dy << COORD_BITS) | dx
                        core = np.int64(comp_home_core[j])
                        if core_syn_col[core] >= 0:  # it receives one synapse kind
                            pk_data[n_packets] = (core << DATA_SHIFT) | 1
                            pk_service[n_packets] = lat_in + core_syn_s[core]
                        else:  # several: its delivery reads the pair's split
                            pk_data[n_packets] = (core << DATA_SHIFT) | j
                            pk_service[n_packets] = lat_in + comp_syn_s[j]
                        if keep_sent:
                            pk_inject[n_packets] = tau
                    n_packets += 1
                    c_sent += 1
                    # The sending core sent it; the layer and the image also receive it
                    # (counted per row below, after the pass's last core).
                    row_sent[r, 0] += 1
                    for h in range(3):
                        row_sent[r, 1 + h] += comp_hops[j, h]
                        core_counts[c, HOP_EW + h] += comp_hops[j, h]
                core_counts[c, PK_OUT] += c_sent
                core_counts[c, PARTIAL] += c_sent
                core_counts[c, SYN_CAUSED] += c_sent
                core_busy[c] += tau - core_free[c]
                core_free[c] = tau
            for r in range(n_rows):
                sent_r = row_sent[r, 0]
                row_fed[r] = False
                if sent_r == 0:
                    continue
                _count_partial_sums(pop_counts, row_pop[r], sent_r, row_sent[r])
                _count_partial_sums(image_counts, row_img[r], sent_r, row_sent[r])
                row_sent[r, :] = 0
            # (np.bool_, not a literal False: network_pass compiles once for both passes.)
            ent, trace, n_trace = network_pass(n_packets, n_inj, 2 * t + 1, t, board, links,
                                               net_chip, net, counts, comp_pairs, ent,
                                               pk_inject, pk_data, pk_service, np.bool_(False),
                                               packets, trace, n_trace)
            ent_s = ent.view(np.float64)
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
    if deferred:
        count_deliveries(spike_count, dest_ptr, dest_core, dest_nsyn, dest_kind_nsyn,
                         core_syn_col, core_counts)
    if inflight_alone:
        inflight_link_packets(flight_routes, counts.link_packets)
    # Synaptic events onto each target layer: per neuron, its spikes × its synapses there.
    for n in range(n_neurons):
        if spike_count[n] != 0:
            for j in range(tpop_ptr[n], tpop_ptr[n + 1]):
                pop_counts[tpop_id[j], SYN] += spike_count[n] * tpop_syn[j]
                pop_counts[tpop_id[j], SYN_KIND + tpop_kind[j]] += spike_count[n] * tpop_syn[j]
    return spikes[:n_spikes].copy(), trace[:n_trace].copy()
