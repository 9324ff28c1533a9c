"""SANA-FE on neurosim's benchmark MLP, as an external peer (run in its own venv).

SANA-FE (Boyle et al., IEEE TCAD 2025; GPL, https://github.com/SLAM-Lab/SANA-FE) is only
*run* here through its published Python API (``pip install sanafe``); none of its code is
part of neurosim. Its venv must not be neurosim's::

    python3 -m venv /work/venv-sanafe && /work/venv-sanafe/bin/pip install sanafe numpy
    PYTHONPATH=. /work/venv/bin/python benchmarks/bench_engine.py mlp --export-mlp /tmp/mlp.npz
    /work/venv-sanafe/bin/python benchmarks/bench_sanafe.py /tmp/mlp.npz

The network is neurosim's integer rate-coded MLP 1024-2048-2048-1024-10: the same
weights, thresholds and biases (input pixels as bias currents), IF neurons with reset by
subtraction ("soft" reset, no leak), 1024 neurons per core on SANA-FE's Loihi model, one
new core per layer, run for the same number of steps with its detailed (contention)
timing model on one thread. Thresholds are set to θ − ½ so that SANA-FE's v > θ fires
exactly when neurosim's integer v ≥ θ does; SANA-FE's hidden neurons integrate their bias
before their window opens, so activity differs a little. Synaptic events are SANA-FE's own
count ("spikes" in its results).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import sanafe


def build(data, arch):
    cores = list(arch.cores())
    net = sanafe.Network()
    sizes = [len(data["bias_0"]), *[data[f"weight_{i}"].shape[0] for i in range(4)]]
    groups = []
    for i, size in enumerate(sizes):
        bias = data["input_drive"] if i == 0 else data[f"bias_{i}"]
        output = i == len(sizes) - 1
        attributes = {"threshold": 1e30 if output else float(data[f"threshold_{i}"]) - 0.5,
                      "reset_mode": "none" if output else "soft",
                      "reset": 0.0, "leak_decay": 1.0}
        group = net.create_neuron_group(f"layer{i}", size, model_attributes=attributes,
                                        soma_hw_name="loihi_lif")
        for j, neuron in enumerate(group.neurons):
            neuron.set_attributes(model_attributes={"bias": float(bias[j])})
        groups.append(group)
    for i in range(4):
        weight = data[f"weight_{i}"].astype(np.float64)  # (target, source)
        groups[i].connect_neurons_dense(groups[i + 1], {"w": weight.T.ravel().tolist()})
    core = 0
    for group in groups:
        for j, neuron in enumerate(group.neurons):
            neuron.map_to_core(cores[core + j // 1024])
        core += (len(group.neurons) + 1023) // 1024
    fanout = [data[f"weight_{i}"].shape[0] for i in range(4)] + [0]
    return net, groups, fanout


def main(path: str) -> int:
    data = dict(np.load(path))
    steps = int(data["steps"])
    arch = sanafe.load_arch(sanafe.__path__[0] + "/examples/loihi.yaml")
    net, _, _ = build(data, arch)
    chip = sanafe.SpikingChip(arch)
    chip.load(net)
    best = best_cpu = np.inf
    for _ in range(3):
        chip.reset()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = chip.sim(steps, timing_model="detailed", processing_threads=1)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    # SANA-FE's "spikes" counts synaptic spike-processing events; "neurons_fired" spikes.
    events = int(result["spikes"])
    print(f"SANA-FE MLP 1024-2048-2048-1024-10, {steps} steps, detailed timing, 1 thread: "
          f"{result['neurons_fired']:,} spikes, {events:,} synaptic events, "
          f"{result['packets_sent']:,} packets, wall {best:.2f} s -> "
          f"{events / best / 1e6:.1f} M synaptic events/s, "
          f"{result['packets_sent'] / best / 1e6:.2f} M packets/s; simulated "
          f"{result['sim_time'] * 1e3:.2f} ms "
          f"(neurosim on the same network: {int(data['neurosim_spikes']):,} spikes, "
          f"{int(data['neurosim_syn_events']):,} synaptic events)")
    print(f"    cpu {best_cpu:.2f} s (best of 3; the process's own CPU time) -> "
          f"{events / best_cpu / 1e6:.1f} M synaptic events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
