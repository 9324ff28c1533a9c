"""Hardware and mappings for the engine tests, without the YAML loader or the compiler.

:func:`loihi_like` holds the numbers of SANA-FE's silicon-calibrated Loihi model
(/work/shared/reference/hw_params.yaml ``loihi_sanafe_calibrated``; the same values as
hw_models/loihi.yaml): an 8 × 4 mesh of tiles with 4 cores each. Any field of the
hardware dataclasses can be overridden by name, e.g. ``loihi_like(neurons=4,
router_delay_s=1e-9, chips_x=2)``.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import numpy as np

from neurosim.compiler.mapping import Block, CoreMapping, layout_hash
from neurosim.hardware.model import (
    Board,
    Chip,
    CoreLimits,
    EventCosts,
    Hardware,
    NoC,
    Sync,
)
from neurosim.snn.network import SNN

PJ, NS, US = 1e-12, 1e-9, 1e-6


def loihi_like(**overrides: Any) -> Hardware:
    """SANA-FE's calibrated Loihi (one chip unless ``chips_x``/``chips_y`` say otherwise)."""
    core = CoreLimits(neurons=1024, synapse_memory_bits=128 * 1024 * 8, input_axons=4096,
                      output_routes=4096, routing_table_entries=4096, weight_bits=9,
                      potential_bits=24, fs_neurons=False, graded_spikes=False,
                      multicast=False, weight_sharing=True)
    costs = EventCosts(
        energy_synop_j=35.5 * PJ, latency_synop_s=3.8 * NS,
        energy_neuron_update_active_j=72.8 * PJ, latency_neuron_update_active_s=9.7 * NS,
        energy_neuron_update_inactive_j=51.2 * PJ, latency_neuron_update_inactive_s=6.0 * NS,
        energy_spike_gen_j=69.3 * PJ, latency_spike_gen_s=30.0 * NS,
        energy_packet_out_j=111.0 * PJ, latency_packet_out_s=5.1 * NS,
        energy_packet_in_j=0.0, latency_packet_in_s=16.0 * NS)
    noc = NoC(energy_hop_ew_j=3.0 * PJ, energy_hop_ns_j=4.2 * PJ, latency_hop_ew_s=4.1 * NS,
              latency_hop_ns_s=6.5 * NS, router_delay_s=0.0,
              link_bandwidth_bits_per_s=110.08e9, packet_bits=32, buffer_depth_packets=16)
    sync = Sync(mode="barrier",
                barrier_s_by_tiles=((1, 0.6 * US), (2, 1.0 * US), (4, 1.4 * US), (29, 1.8 * US)))
    chip = Chip(mesh_x=8, mesh_y=4, cores_per_tile=4, clock_hz=None, core=core, costs=costs,
                noc=noc, sync=sync, static_power_chip_w=104.4e-3, static_power_core_w=0.0)
    board = Board(chips_x=1, chips_y=1, energy_interchip_hop_j=832 * PJ,
                  latency_interchip_hop_s=50 * NS, interchip_bandwidth_bits_per_s=640e6)
    parts: dict[str, Any] = {"core": core, "costs": costs, "noc": noc, "sync": sync,
                             "chip": chip, "board": board}
    left = dict(overrides)
    for name in list(parts):
        if name in left:  # a whole part, e.g. sync=Sync(...)
            parts[name] = left.pop(name)
    for name in ("core", "costs", "noc", "sync", "board"):
        mine = {f.name for f in fields(parts[name])}
        changes = {k: left.pop(k) for k in list(left) if k in mine}
        if changes:
            parts[name] = replace(parts[name], **changes)
    chip_fields = {f.name for f in fields(Chip)}
    chip_changes = {k: left.pop(k) for k in list(left) if k in chip_fields}
    chip = replace(chip, core=parts["core"], costs=parts["costs"], noc=parts["noc"],
                   sync=parts["sync"], **chip_changes)
    if left:
        raise TypeError(f"unknown hardware fields {sorted(left)}")
    return Hardware(name="loihi-like", description="test chip", file="<tests>",
                    file_hash="test", board=parts["board"], chip=chip)


def sequential_mapping(snn: SNN, hw: Hardware, neurons_per_core: int | None = None,
                       first_core: int = 0) -> CoreMapping:
    """Contiguous neuron ranges of each population on consecutive cores (a new core per population)."""
    size = neurons_per_core or hw.chip.core.neurons
    blocks = []
    core = first_core
    for pop in snn.populations:
        for start in range(0, pop.size, size):
            blocks.append(Block(pop.name, np.arange(start, min(start + size, pop.size)), core))
            core += 1
    return CoreMapping(snn_name=snn.name, hardware_name=hw.name, layout_hash=layout_hash(hw),
                   blocks=tuple(blocks), placer="sequential-test")


def random_mapping(snn: SNN, hw: Hardware, seed: int, neurons_per_core: int) -> CoreMapping:
    """Neurons shuffled into blocks of at most ``neurons_per_core``, on random cores.

    A core may hold blocks of several populations, in shuffled order, up to the chip's
    ``core.neurons``.
    """
    rng = np.random.default_rng(seed)
    pieces = []
    for pop in snn.populations:
        perm = rng.permutation(pop.size)
        n_cuts = min(pop.size - 1, int(rng.integers(0, 4)))
        cuts = np.sort(rng.choice(np.arange(1, pop.size), size=n_cuts, replace=False))
        for part in np.split(perm, cuts):
            for start in range(0, len(part), neurons_per_core):
                pieces.append((pop.name, np.sort(part[start:start + neurons_per_core])))
    cores = rng.permutation(hw.total_cores)
    capacity = hw.chip.core.neurons
    load = np.zeros(hw.total_cores, np.int64)
    blocks = []
    current = 0
    for j in rng.permutation(len(pieces)):
        name, neurons = pieces[j]
        if not (blocks and rng.random() < 0.3 and load[cores[current]] + len(neurons) <= capacity):
            free = np.flatnonzero(load[cores] + len(neurons) <= capacity)
            if not len(free):
                raise ValueError("the chip is too small for this random mapping")
            later = free[free > current] if blocks else free
            current = int(later[0] if len(later) else free[0])
        load[cores[current]] += len(neurons)
        blocks.append(Block(name, neurons, int(cores[current])))
    return CoreMapping(snn_name=snn.name, hardware_name=hw.name, layout_hash=layout_hash(hw),
                   blocks=tuple(blocks), placer="random-test", seed=seed)
