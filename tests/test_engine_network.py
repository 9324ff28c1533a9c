"""The engine's packet timing against a plain event-queue simulation written here (heapq).

The engine never keeps a global event queue: it takes the links in an order in which each
comes after the links that feed it. This test replays every step's packets (from the
engine's own delivery trace: source, destination core, injection time) through a
textbook discrete-event simulation of the same rules — XY routes (or the union of XY
paths for multicast), first come first served links with ties by packet number, one
serialisation time per packet, hop latencies, router delay — and checks every arrival
time, and that each core serves in arrival order without idling while packets wait.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

import numpy as np
import pytest
from engine_hw import loihi_like, random_mapping
from engine_nets import converted, random_images, random_model

from neurosim.engine import build_tables, simulate_hardware
from neurosim.engine.kernel import TRACE_COLUMNS

COL = {name: i for i, name in enumerate(TRACE_COLUMNS)}


def _xy_links(src: tuple[int, int], dst: tuple[int, int]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The directed links of the XY path from src to dst (x first, then y)."""
    links = []
    x, y = src
    while x != dst[0]:
        nx = x + (1 if dst[0] > x else -1)
        links.append(((x, y), (nx, y)))
        x = nx
    while y != dst[1]:
        ny = y + (1 if dst[1] > y else -1)
        links.append(((x, y), (x, ny)))
        y = ny
    return links


def _reference_arrivals(hw, packets: list[dict]) -> dict[tuple[int, int], float]:
    """Arrival time of every (packet, destination core) of one step, by event queue."""
    chip, board, noc = hw.chip, hw.board, hw.chip.noc

    def cost(link):
        (x0, y0), (x1, y1) = link
        inter = (x0 // chip.mesh_x, y0 // chip.mesh_y) != (x1 // chip.mesh_x, y1 // chip.mesh_y)
        if inter:
            return board.latency_interchip_hop_s, noc.packet_bits / board.interchip_bandwidth_bits_per_s
        latency = noc.latency_hop_ew_s if y0 == y1 else noc.latency_hop_ns_s
        return latency, noc.serialisation_s

    free: dict = defaultdict(float)
    arrivals = {}
    queue = []
    for pid, pk in enumerate(packets):
        tree = {link for dst in pk["dest_tiles"] for link in _xy_links(pk["src_tile"], dst)}
        pk["children"] = defaultdict(list)
        for link in sorted(tree):
            pk["children"][link[0]].append(link)
        heapq.heappush(queue, (pk["inject"], pid, pk["src_tile"]))
    while queue:
        time, pid, tile = heapq.heappop(queue)
        pk = packets[pid]
        for core, dtile in zip(pk["dest_cores"], pk["dest_tiles"]):
            if dtile == tile:
                arrivals[(pid, core)] = time
        for link in pk["children"][tile]:
            latency, serialisation = cost(link)
            leave = max(time + noc.router_delay_s, free[link])
            free[link] = leave + serialisation
            heapq.heappush(queue, (leave + latency, pid, link[1]))
    return arrivals


@pytest.mark.parametrize("multicast", [False, True])
def test_arrivals_match_an_event_queue(multicast: bool) -> None:
    model = random_model(17, residual=True)
    images = random_images(17, model, 3)
    snn = converted(model, "rate", images)
    # A slow, two-chip board: packets queue at links and cross chips.
    hw = loihi_like(multicast=multicast, chips_x=2, mesh_x=3, mesh_y=2, cores_per_tile=2,
                    link_bandwidth_bits_per_s=2e9, router_delay_s=0.5e-9)
    mapping = random_mapping(snn, hw, seed=5, neurons_per_core=12)
    tables = build_tables(snn, mapping, hw)
    run = simulate_hardware(snn, mapping, hw, images, record_packets=True, images_per_stream=3)
    trace = run.streams[0].packets
    tile_xy = np.column_stack(tables.mesh.tile_xy(tables.core_tile))
    assert run.link_wait_s.sum() > 0  # the case has contention
    checked = 0
    for step in np.unique(trace[:, COL["step"]]):
        rows = trace[trace[:, COL["step"]] == step]
        src_core = tables.core_of_neuron[rows[:, COL["source_neuron"]].astype(int)]
        # Packet numbers: cores in order, then time of injection (then destination).
        key = (rows[:, COL["core_index"]], rows[:, COL["inject_s"]], src_core)
        rows, src_core = rows[np.lexsort(key)], src_core[np.lexsort(key)]
        packets: list[dict] = []
        index = {}
        for row, core in zip(rows, src_core):
            ident = (int(row[COL["source_neuron"]]), row[COL["inject_s"]]) if multicast else len(index)
            if ident not in index:
                index[ident] = len(packets)
                packets.append({"inject": row[COL["inject_s"]], "src_tile": tuple(tile_xy[core]),
                                "dest_cores": [], "dest_tiles": []})
            pk = packets[index[ident]]
            pk["dest_cores"].append(int(row[COL["core_index"]]))
            pk["dest_tiles"].append(tuple(tile_xy[int(row[COL["core_index"]])]))
        arrivals = _reference_arrivals(hw, packets)
        for i, row in enumerate(rows):  # unicast: row i is packet i
            pid = index[(int(row[COL["source_neuron"]]), row[COL["inject_s"]])] if multicast else i
            assert row[COL["arrival_s"]] == arrivals[(pid, int(row[COL["core_index"]]))]
            checked += 1
        # Each core serves in order of arrival, back to back when packets wait.
        for core in np.unique(rows[:, COL["core_index"]]):
            mine = rows[rows[:, COL["core_index"]] == core]
            mine = mine[np.argsort(mine[:, COL["start_s"]], kind="stable")]
            assert np.all(np.diff(mine[:, COL["arrival_s"]]) >= 0)
            assert np.all(mine[:, COL["start_s"]] >= mine[:, COL["arrival_s"]])
            starts, ends = mine[1:, COL["start_s"]], mine[:-1, COL["end_s"]]
            np.testing.assert_array_equal(starts, np.maximum(mine[1:, COL["arrival_s"]], ends))
    assert checked == len(trace) > 100
