"""Run one network in SANA-FE and write its per-step figures (run under SANA-FE's venv).

Called by ``bench_sanafe.py``; imports only ``sanafe`` and numpy, never neurosim. SANA-FE
(Boyle et al., IEEE TCAD 2025, GPL) is used only as an external program through its
published Python API.

Input ``.npz`` (written by bench_sanafe.py): ``n_groups``; per group ``g``: ``size_g``,
``threshold_g`` (SANA-FE's: fire on v > θ, soft reset subtracts θ), ``bias_g``,
``output_g`` (never fires), ``core_g`` (SANA-FE core number of each neuron),
``synapse_g`` (the synapse unit of the connections into the group); per edge
``e``: ``edge_src_e``, ``edge_dst_e`` (group numbers) and ``edge_pairs_e`` (k, 2) with
``edge_w_e`` (k,); ``steps``; ``rounds``. Output ``.npz``: the per-step perf trace
(``fired``, ``updated``, ``spikes`` = synaptic events, ``hops``, energies, ``sim_time``),
``packets`` per step (messages that are not placeholders), ``spike_step``/``spike_group``/
``spike_offset`` of every spike, and ``wall_s`` and ``cpu_s`` (the process's own CPU
time) of every timed ``sim`` call.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import sanafe


def build(data: dict, arch: object) -> tuple[object, list]:
    cores = list(arch.cores())
    net = sanafe.Network()
    groups = []
    for g in range(int(data["n_groups"])):
        output = bool(data[f"output_{g}"])
        attributes = {"threshold": 1e30 if output else float(data[f"threshold_{g}"]),
                      "reset_mode": "none" if output else "soft", "reset": 0.0,
                      "leak_decay": 1.0}
        group = net.create_neuron_group(f"g{g}", int(data[f"size_{g}"]),
                                        model_attributes=attributes, soma_hw_name="loihi_lif",
                                        default_synapse_hw_name=str(data[f"synapse_{g}"]),
                                        log_spikes=True)
        bias = data[f"bias_{g}"]
        for j, neuron in enumerate(group.neurons):
            if bias[j] != 0:
                neuron.set_attributes(model_attributes={"bias": float(bias[j])})
        groups.append(group)
    for e in range(int(data["n_edges"])):
        src, dst = groups[int(data[f"edge_src_{e}"])], groups[int(data[f"edge_dst_{e}"])]
        pairs = [(int(a), int(b)) for a, b in data[f"edge_pairs_{e}"]]
        src.connect_neurons_sparse(dst, {"weight": data[f"edge_w_{e}"].astype(float).tolist()},
                                   pairs)
    for g, group in enumerate(groups):
        where = data[f"core_{g}"]
        for j, neuron in enumerate(group.neurons):
            neuron.map_to_core(cores[int(where[j])])
    return net, groups


def main(source: str, out: str) -> int:
    data = dict(np.load(source))
    steps, rounds = int(data["steps"]), int(data["rounds"])
    arch = sanafe.load_arch(str(data["arch"]))
    net, _ = build(data, arch)
    chip = sanafe.SpikingChip(arch)
    chip.load(net)
    walls, cpus = [], []
    for _ in range(rounds):
        chip.reset()
        start, start_cpu = time.perf_counter(), time.process_time()
        chip.sim(steps, timing_model="detailed", processing_threads=1)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    chip.reset()
    result = chip.sim(steps, timing_model="detailed", processing_threads=1, perf_trace=True,
                      spike_trace=True, message_trace=True)
    perf = result["perf_trace"]
    arrays = {k: np.asarray(v) for k, v in perf.items()}
    arrays["packets"] = np.array([sum(1 for m in step if not m["placeholder"])
                                  for step in result["message_trace"]])
    spike_step, spike_group, spike_offset = [], [], []
    for s, fired in enumerate(result["spike_trace"]):
        for address in fired:
            spike_step.append(s)
            spike_group.append(int(address.group_name[1:]))
            spike_offset.append(int(address.neuron_offset))
    arrays.update(spike_step=np.array(spike_step, np.int64),
                  spike_group=np.array(spike_group, np.int64),
                  spike_offset=np.array(spike_offset, np.int64), wall_s=np.array(walls),
                  cpu_s=np.array(cpus),
                  energy_total=np.array(result["energy"]["total"]),
                  sim_time_total=np.array(result["sim_time"]))
    np.savez(out, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
