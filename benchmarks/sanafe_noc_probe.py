"""Probe SANA-FE's network timing with small networks and check the rule neurosim models.

Run in SANA-FE's venv (imports only ``sanafe`` and numpy, never neurosim; SANA-FE is GPL
and is only *run* here, through its published Python API)::

    /work/venv-sanafe/bin/python benchmarks/sanafe_noc_probe.py [ARCH.yaml]

Each probe is a list of messages ``(sender core, destination core, synapses)``: one input
neuron per message, fired at step 1, on its sender core (SANA-FE's core numbers). The
script runs SANA-FE's detailed timing model with its message trace, then replays the
messages by the rule of ``noc.congestion: inflight`` (docs/chip-rules.md) from each
message's generation and processing delay alone, and prints the largest difference of
send, network delay, blocking, service start and end over all messages. The rule was
inferred from these traces (SANA-FE 2.2.9); a difference shows where it stops holding.
Ties (two cores sending at the same instant) are taken lower core first here; SANA-FE's
own order for ties is not always that one, so probes with ties can differ slightly.
"""

from __future__ import annotations

import heapq
import sys
from pathlib import Path

import sanafe

FIRE = {"threshold": 0.5, "reset_mode": "soft", "reset": 0.0, "leak_decay": 1.0}
QUIET = {"threshold": 1e30, "reset_mode": "none", "reset": 0.0, "leak_decay": 1.0}
HOP_S = {"x": 4.1e-9, "y": 6.5e-9}  # loihi.yaml: east/west and north/south hop latency

PROBES = {
    "two slow then one to a neighbour (0 hops)": [(0, 1, 20), (0, 1, 20), (0, 2, 20)],
    "slow in flight, fast one hop north": [(0, 4, 20), (0, 4, 20), (0, 5, 1), (0, 5, 1)],
    "two senders, one destination": [(0, 1, 20)] * 3 + [(3, 1, 1)] * 4,
    "shared north link from another tile": [(0, 4, 20)] * 3 + [(16, 5, 1)] * 4,
    "blocking: 80 messages to one core": [(0, 1, 20)] * 80 + [(0, 2, 1)] * 3,
    "blocking one hop away": [(0, 4, 20)] * 110 + [(0, 8, 1)] * 3,
}


def run_sanafe(arch_file: str, messages: list[tuple[int, int, int]]) -> list[dict]:
    """SANA-FE's trace of the probe's messages (step 1), in message-id order."""
    arch = sanafe.load_arch(arch_file)
    cores = list(arch.cores())
    net = sanafe.Network()
    senders = sorted({s for s, _, _ in messages})
    source = {}
    for s in senders:
        mine = [m for m in messages if m[0] == s]
        group = net.create_neuron_group(f"s{s}", len(mine), model_attributes=FIRE,
                                        soma_hw_name="loihi_lif",
                                        default_synapse_hw_name="loihi_dense_synapse")
        for neuron in group.neurons:
            neuron.set_attributes(model_attributes={"bias": 1.0})
            neuron.map_to_core(cores[s])
        source[s] = (group, mine)
    for d in sorted({d for _, d, _ in messages}):
        size = max(k for _, dd, k in messages if dd == d)
        group = net.create_neuron_group(f"d{d}", size, model_attributes=QUIET,
                                        soma_hw_name="loihi_lif",
                                        default_synapse_hw_name="loihi_dense_synapse")
        for neuron in group.neurons:
            neuron.map_to_core(cores[d])
        for src, mine in source.values():
            pairs = [(i, j) for i, (_, dd, k) in enumerate(mine) if dd == d for j in range(k)]
            if pairs:
                src.connect_neurons_sparse(group, {"weight": [0.0] * len(pairs)}, pairs)
    chip = sanafe.SpikingChip(arch)
    chip.load(net)
    result = chip.sim(1, timing_model="detailed", processing_threads=1, message_trace=True)
    return sorted((m for m in result["message_trace"][0] if not m["placeholder"]),
                  key=lambda m: m["mid"])


def segments(m: dict) -> tuple[list[tuple], float]:
    """The sender core's output and the XY links (x first) of a message; hop latency."""
    out = [("core", m["src_core_id"])]
    x, y, latency = m["src_x"], m["src_y"], 0.0
    while x != m["dest_x"]:
        step = 1 if m["dest_x"] > x else -1
        out.append(("x", x, y, step))
        x += step
        latency += HOP_S["x"]
    while y != m["dest_y"]:
        step = 1 if m["dest_y"] > y else -1
        out.append(("y", x, y, step))
        y += step
        latency += HOP_S["y"]
    return out, latency


def replay(trace: list[dict], buffer: float) -> list[dict]:
    """The rule of ``noc.congestion: inflight`` on the trace's generation/processing delays."""
    by_core: dict[int, list[int]] = {}
    for i, m in enumerate(trace):
        by_core.setdefault(m["src_core_id"], []).append(i)
    ready = [(trace[ids[0]]["generation_delay"], c, 0) for c, ids in by_core.items()]
    heapq.heapify(ready)
    density: dict[tuple, float] = {}
    flight: list[tuple[float, int]] = []
    flight_service, free = 0.0, {}
    paths = [segments(m) for m in trace]
    out: list[dict] = [{} for _ in trace]
    while ready:
        s, c, k = heapq.heappop(ready)
        i = by_core[c][k]
        while flight and flight[0][0] <= s:
            _, j = heapq.heappop(flight)
            flight_service -= trace[j]["processing_delay"]
            for seg in paths[j][0]:
                density[seg] -= 1.0 / (len(paths[j][0]) + 1)
        segs, latency = paths[i]
        load = sum(density.get(seg, 0.0) for seg in segs)
        mean = flight_service / len(flight) if flight else 0.0
        blocked = (load - buffer * len(segs)) * mean if load > buffer * len(segs) else 0.0
        sent = s + blocked
        delay = max(latency, mean * load / len(segs))
        dest = trace[i]["dest_core_id"]
        begin = max(sent + delay, free.get(dest, 0.0))
        free[dest] = begin + trace[i]["processing_delay"]
        out[i] = {"send_timestamp": sent, "network_delay": delay, "blocking_delay": blocked,
                  "received_timestamp": begin, "processed_timestamp": free[dest]}
        heapq.heappush(flight, (begin, i))
        flight_service += trace[i]["processing_delay"]
        for seg in segs:
            density[seg] = density.get(seg, 0.0) + 1.0 / (len(segs) + 1)
        if k + 1 < len(by_core[c]):
            nxt = by_core[c][k + 1]
            heapq.heappush(ready, (sent + trace[nxt]["generation_delay"], c, k + 1))
    return out


def main(argv: list[str]) -> int:
    arch = argv[1] if len(argv) > 1 else str(
        Path(sanafe.__path__[0]) / "examples" / "loihi.yaml")
    buffer = 16.0  # loihi.yaml's link_buffer_size
    worst_all = 0.0
    for name, messages in PROBES.items():
        trace = run_sanafe(arch, messages)
        model = replay(trace, buffer)
        worst = max(abs(mine[k] - theirs[k]) for mine, theirs in zip(model, trace)
                    for k in mine)
        blocked = sum(m["blocking_delay"] > 0 for m in trace)
        last = max(m["processed_timestamp"] for m in trace)
        print(f"{name:40} {len(trace):4} messages, {blocked:3} blocked, last served "
              f"{last * 1e9:9.1f} ns; rule vs SANA-FE: worst {worst * 1e9:.3g} ns")
        worst_all = max(worst_all, worst)
    return 0 if worst_all < 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
