"""The in-flight pass (neurosim.engine.inflight) against the rule written out plainly.

The reference below takes the rule of docs/chip-rules.md ("Network contention") literally:
scan every core for the earliest next send, keep the packets in flight in one list and
drop those whose service has begun, sum densities segment by segment. The pass finds the
next sender and the next packet to drop with tournament trees and per-core queues, and
each packet's path from a table of the pairs laid out once; on random steps (blocking
included) both must give the same service ends, blocking, busy times and link counts.

The pass times a chip's spike packets alone (the link pass does not run for them): the
counts it leaves to the end of the stream, and those it gives itself (packets per link,
per-step deliveries), must equal the link pass's on the same network, which times differ
from but counts do not.
"""

from __future__ import annotations

import numpy as np
import pytest
from engine_hw import loihi_like, random_mapping
from engine_nets import converted, random_images, random_model

from neurosim.engine import simulate_hardware
from neurosim.engine.columns import L_PK_IN, L_ROUTER
from neurosim.engine.inflight import (
    inflight_link_packets,
    inflight_routes,
    inflight_timing,
    spike_pairs,
)
from neurosim.engine.kernel import LinkTables
from neurosim.engine.network import DATA_SHIFT, Board

KINDS = dict(energy_synop_sparse_j=33.6e-12, latency_synop_sparse_s=4.7e-9,
             energy_synop_conv_j=24.0e-12, latency_synop_conv_s=3.1e-9)


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
    """The rule, literally: returns (core_free, updates_end, core_busy, link_packets), the
    busy time summed in the order packets are taken."""
    n_cores = len(core_tile)
    core_free = [start if overlapped else updates_end[c] for c in range(n_cores)]
    core_busy = [0.0] * n_cores
    link_packets = np.zeros(len(links.link_next), np.int64)
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
            link_packets[link] += 1
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
        core_busy[dest[i]] += service[i]
        flight.append((begin, i, segs))
        n_flight += 1
        flight_service += service[i]
        for g in segs:
            density[g] = density.get(g, 0.0) + 1.0 / (k + 1)
    return (np.array(core_free), np.array([updates_end[c] + shift[c] for c in range(n_cores)]),
            np.array(core_busy), link_packets)


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
    busy = np.zeros(n_cores)
    sender = np.repeat(np.arange(n_cores), counts)
    routes = inflight_routes(sender, dest, board, links, latency)
    inflight_timing(n, core_pk, send_s, dest << DATA_SHIFT, service, start, overlapped, routes,
                    buffer, core_free, ends, busy, True)
    link_packets = np.zeros(len(links.link_next), np.int64)
    inflight_link_packets(routes, link_packets)
    want_free, want_ends, want_busy, want_links = _reference(
        core_pk, send_s, dest, service, core_tile, width, links, latency[L_ROUTER], buffer,
        start, overlapped, updates_end)
    # The same operations in the same order: the same floats.
    assert core_free.tolist() == want_free.tolist()
    assert ends.tolist() == want_ends.tolist()
    assert busy.tolist() == want_busy.tolist()
    assert link_packets.tolist() == want_links.tolist()
    # Not alone (the link pass served the packets): times only.
    again_free, again_ends, again_busy = np.zeros(n_cores), updates_end.copy(), np.zeros(n_cores)
    inflight_timing(n, core_pk, send_s, dest << DATA_SHIFT, service, start, overlapped, routes,
                    buffer, again_free, again_ends, again_busy, False)
    assert again_free.tolist() == want_free.tolist() and again_ends.tolist() == want_ends.tolist()
    assert not again_busy.any()


def test_spike_pairs_are_the_distinct_pairs_of_the_route_tables() -> None:
    rng = np.random.default_rng(4)
    n_cores, n_neurons = 6, 40
    core_ptr = np.array([0, 5, 5, 17, 30, 36, 40], np.int64)
    core_neurons = rng.permutation(n_neurons).astype(np.int64)
    fan = rng.integers(0, 4, n_neurons)
    dest_ptr = np.concatenate(([0], np.cumsum(fan))).astype(np.int64)
    dest_core = rng.integers(0, n_cores, int(fan.sum())).astype(np.int32)
    src, dest = spike_pairs(core_ptr, core_neurons, dest_ptr, dest_core)
    want = sorted({(c, int(dest_core[j])) for c in range(n_cores)
                   for n in core_neurons[core_ptr[c]:core_ptr[c + 1]]
                   for j in range(dest_ptr[n], dest_ptr[n + 1])})
    assert sorted(zip(src.tolist(), dest.tolist())) == want
    assert len(src) == len(want)  # each once


@pytest.mark.parametrize(("seed", "net", "code", "over"), [
    (0, dict(), "rate", dict()),
    (1, dict(conv=False), "rate", dict(buffer_depth_packets=0, service="overlapped")),
    (2, dict(residual=True), "ttfs", dict(buffer_depth_packets=1, chips_x=2, mesh_x=2,
                                          mesh_y=2)),
    (0, dict(stride=2, pool=False), "fs", dict(KINDS)),
])
def test_inflight_counts_are_the_link_passes(seed: int, net: dict, code: str,
                                             over: dict) -> None:
    model = random_model(seed, **net)
    images = random_images(seed, model, n=4)
    runs = {}
    for congestion in ("links", "inflight"):
        hw = loihi_like(**over, congestion=congestion)
        snn = converted(model, code, images)
        hw = loihi_like(**over, congestion=congestion,
                        neurons=max(64, -(-2 * snn.n_neurons // hw.total_cores)))
        mapping = random_mapping(snn, hw, seed, neurons_per_core=7)
        runs[congestion] = [simulate_hardware(snn, mapping, hw, images, images_per_stream=2,
                                              record_steps=steps) for steps in (False, True)]
    for links, inflight in zip(runs["links"], runs["inflight"]):
        assert np.array_equal(links.core_counts, inflight.core_counts)
        assert np.array_equal(links.population_counts, inflight.population_counts)
        assert np.array_equal(links.image_counts, inflight.image_counts)
        assert np.array_equal(links.spike_counts, inflight.spike_counts)
        # Packets per link are those of the paths, which the link pass counts as it sends.
        assert links.link_packets.sum() > 0
        assert np.array_equal(links.link_packets, inflight.link_packets)
        # No link queues are modelled under inflight.
        assert not inflight.link_wait_s.any() and not inflight.link_max_queue.any()
        assert not inflight.link_overflows.any()
        # The same services and updates, summed in other orders and from other step starts.
        np.testing.assert_allclose(inflight.core_busy_s, links.core_busy_s, rtol=1e-12)
    # Per-step counts too (the in-flight pass counts each step's deliveries itself).
    links, inflight = runs["links"][1], runs["inflight"][1]
    for a, b in zip(links.streams, inflight.streams):
        assert np.array_equal(a.step_counts, b.step_counts)


def test_a_packet_whose_pair_is_not_laid_out_is_refused() -> None:
    rng = np.random.default_rng(0)
    links = _mesh(2, 1, rng)
    core_tile = np.array([0, 1], np.int64)
    tile_x, tile_y = np.array([0, 1]), np.array([0, 0])
    board = Board(0, 1, 0, 0, 2, tile_x, tile_y, np.zeros(1, np.int64), np.zeros(1, np.int64),
                  core_tile)
    latency = np.zeros(8)
    routes = inflight_routes(np.array([0], np.int64), np.array([1], np.int64), board, links,
                             latency)
    dest = np.array([1, 0], np.int64)  # core 0 → 1 is laid out, core 1 → 0 is not
    with pytest.raises(ValueError, match="pair"):
        inflight_timing(2, np.array([0, 1, 2], np.int64), np.array([1e-9, 2e-9]),
                        dest << DATA_SHIFT, np.array([5e-9, 5e-9]), 0.0, False, routes, 16,
                        np.zeros(2), np.zeros(2), np.zeros(2), True)
